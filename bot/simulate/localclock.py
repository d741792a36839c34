"""Local calendar fields of UTC timestamps, per zone, remembered per quarter hour.

The replay needs, for every message, its local day, week, hour of week and minute in the
report's zone and in its author's zone. ``datetime.astimezone`` per message would dominate the
replay; every zone's UTC offset is a whole number of quarter hours (tzdata has none finer
since 1972), so a UTC quarter hour is one local quarter hour and its fields are worked out once.
The replay asks for a date's quarters at a time, dates in order: a clock works out the week
ahead with them and answers the next dates from what it remembers (:meth:`LocalClock.fields`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = ["QUARTER", "LocalClock"]

QUARTER = 900  # seconds
HOUR = 3600
DAY = 86_400
EPOCH = 719_163  # the day ordinal of 1970-01-01
Ints = npt.NDArray[np.int64]
#: Quarters remembered per zone before the memory is cleared (about five years).
REMEMBERED = 200_000
#: Quarters worked out past the last one asked (a week), remembered for the next dates.
AHEAD = 7 * 96
#: Quarters asked at once that are worked out as asked, not remembered: a date's quarters
#: span about a day, but a day file with stray messages may span years.
SPREAD = 4 * AHEAD


class LocalClock:
    """Local calendar fields of a UTC timestamp in one zone, remembered per quarter hour.

    Every zone's offset is a whole number of quarter hours, so a UTC quarter hour is one local
    quarter hour. ``at(quarter)`` (``quarter = int(ts // 900)``) is ``(day ordinal, ordinal of
    that week's Monday, hour of week 0..167, minute of day at the quarter's start, rest day)``.
    """

    __slots__ = ("_cache", "_first", "_rest", "_rest_days", "_rows", "tz")

    def __init__(self, tz: ZoneInfo, rest: Callable[[int], bool] | None = None) -> None:
        self.tz = tz
        self._rest = rest
        self._cache: dict[int, tuple[int, int, int, int, bool]] = {}
        self._rest_days: dict[int, bool] = {}
        # :meth:`fields` of the quarters from _first on, one row each (a week or so)
        self._first = 0
        self._rows = np.zeros((0, 5), np.int64)

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

    def fields(self, quarter: Ints) -> Ints:
        """:meth:`at` for every quarter of ``quarter`` (a few days of them), as an (n, 5) array.

        Quarters within a few weeks of each other are answered from the rows remembered for
        the last quarters asked and the week after them (worked out anew when they do not
        hold them all); others are worked out as asked (:meth:`_work_out`).
        """
        if not len(quarter):
            return np.zeros((0, 5), np.int64)
        low, high = int(quarter.min()), int(quarter.max())
        if high - low >= SPREAD:
            return self._work_out(quarter)
        if low < self._first or high >= self._first + len(self._rows):
            self._first = low
            self._rows = self._work_out(np.arange(low, high + 1 + AHEAD, dtype=np.int64))
        found: Ints = self._rows[quarter - self._first]
        return found

    def _work_out(self, quarter: Ints) -> Ints:
        """:meth:`fields` worked out in numpy from the zone's UTC offset at each quarter.

        The offset is asked of the zone at every whole UTC hour of the span; where two hours
        differ, at each quarter between them. A zone would have to change its offset and change
        it back within one hour for an answer to differ from :meth:`at`'s: tzdata has no such
        zone (``tests/unit/test_simulate_localclock.py`` checks the two agree across DST).
        """
        if not len(quarter):
            return np.zeros((0, 5), np.int64)
        per_hour = HOUR // QUARTER
        first = int(quarter.min()) // per_hour
        hours = int(quarter.max()) // per_hour - first + 2  # the hour after the last one too
        offsets = np.array([self._offset(HOUR * (first + n)) for n in range(hours)], np.int64)
        hour = quarter // per_hour - first
        offset = offsets[hour]
        for changed in np.flatnonzero(offsets[1:] != offsets[:-1]).tolist():
            inside = np.flatnonzero(hour == changed)
            found = [self._offset(QUARTER * q) for q in quarter[inside].tolist()]
            offset[inside] = np.array(found, np.int64)
        local = quarter * QUARTER + offset
        ordinal = local // DAY + EPOCH
        weekday = (ordinal + 6) % 7  # ordinal 1 (0001-01-01) is a Monday
        seconds = local % DAY
        rest = np.zeros(len(quarter), np.int64)
        if self._rest is not None:
            days, back = np.unique(ordinal, return_inverse=True)
            rest = np.array([self._is_rest(day) for day in days.tolist()], np.int64)[back]
        return np.stack(
            [
                ordinal,
                ordinal - weekday,
                weekday * 24 + seconds // HOUR,
                seconds // 60,
                rest.reshape(-1),
            ],
            axis=1,
        )

    def _offset(self, ts: int) -> int:
        """The zone's UTC offset at Unix time ``ts``, in seconds."""
        offset = datetime.fromtimestamp(ts, self.tz).utcoffset()
        assert offset is not None
        return offset.days * DAY + offset.seconds

    def _is_rest(self, day: int) -> bool:
        rest = self._rest_days.get(day)
        if rest is None:
            assert self._rest is not None
            rest = self._rest_days[day] = self._rest(day)
        return rest
