"""Local calendar fields of UTC timestamps, per zone, remembered per quarter hour.

The replay needs, for every message, its local day, week, hour of week and minute in the
report's zone and in its author's zone. ``datetime.astimezone`` per message would dominate the
replay; every zone's UTC offset is a whole number of quarter hours (tzdata has none finer
since 1972), so a UTC quarter hour is one local quarter hour and its fields are worked out once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["QUARTER", "LocalClock"]

QUARTER = 900  # seconds
#: Quarters remembered per zone before the memory is cleared (about five years).
REMEMBERED = 200_000


class LocalClock:
    """Local calendar fields of a UTC timestamp in one zone, remembered per quarter hour.

    Every zone's offset is a whole number of quarter hours, so a UTC quarter hour is one local
    quarter hour. ``at(quarter)`` (``quarter = int(ts // 900)``) is ``(day ordinal, ordinal of
    that week's Monday, hour of week 0..167, minute of day at the quarter's start, rest day)``.
    """

    __slots__ = ("_cache", "_rest", "tz")

    def __init__(self, tz: ZoneInfo, rest: Callable[[int], bool] | None = None) -> None:
        self.tz = tz
        self._rest = rest
        self._cache: dict[int, tuple[int, int, int, int, bool]] = {}

    def at(self, quarter: int) -> tuple[int, int, int, int, bool]:
        found = self._cache.get(quarter)
        if found is None:
            local = datetime.fromtimestamp(quarter * QUARTER, self.tz)
            day = local.date()
            ordinal, weekday = day.toordinal(), day.weekday()
            rest = self._rest is not None and self._rest(ordinal)
            found = (
                ordinal,
                ordinal - weekday,
                weekday * 24 + local.hour,
                local.hour * 60 + local.minute,
                rest,
            )
            if len(self._cache) > REMEMBERED:
                self._cache.clear()
            self._cache[quarter] = found
        return found
