"""Working hours: weekly windows in an IANA time zone, minus days off, with exact open/close maths.

Every question is answered on UTC instants. A window occurrence is turned into a half-open UTC
interval ``[start, end)`` with :func:`resolve_wall_time` (see there for the DST rule), days off are
subtracted, touching intervals are merged, and the answers fall out of the first interval that
ends after the instant asked about.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import MIDNIGHT, HolidayRule
from bot.domain.timeutil import ensure_utc, local_date, resolve_wall_time

__all__ = ["HORIZON_DAYS", "Interval", "Window", "WorkingHours"]

#: How far ahead (in days) we look for the next opening before answering "never".
HORIZON_DAYS = 800

DAY = timedelta(days=1)
#: How many local dates' intervals one ``WorkingHours`` remembers (a few years' worth).
DAY_CACHE = 2048

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, order=True)
class Window:
    """One weekly window: opens on ``weekday`` (0 = Monday) at ``start`` local time.

    ``end`` is a local wall time too. When ``end <= start`` the window runs past midnight into
    the next day (``22:00-06:00``); ``start == end`` is only allowed at midnight, meaning a
    whole day (``00:00-24:00``).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, not {self.weekday}")
        for edge in (self.start, self.end):
            if edge.tzinfo is not None or edge.second or edge.microsecond:
                raise ValueError("window edges are naive wall times in whole minutes")
        if self.start == self.end and self.start != MIDNIGHT:
            raise ValueError("a window that starts and ends at the same time must be 00:00-24:00")

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    @property
    def minutes(self) -> int:
        """Nominal length in minutes (ignoring DST on the day)."""
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return (end - start) % (24 * 60) or 24 * 60


def _subtract(interval: Interval, holes: list[Interval]) -> list[Interval]:
    pieces = [interval]
    for hole_start, hole_end in holes:
        next_pieces: list[Interval] = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if start < hole_start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return pieces


@dataclass(frozen=True)
class WorkingHours:
    """Weekly windows in ``tz`` plus the days that are off (holidays, eves, absences).

    ``away`` holds a person's absences as half-open UTC intervals (typed days off, scheduled
    Outlook automatic replies); they are closed like holidays. Build them with
    :meth:`bot.domain.absence.Absence.apply`, the one place days off are subtracted.
    """

    windows: tuple[Window, ...]
    tz: ZoneInfo
    days_off: HolidayRule = field(default_factory=HolidayRule)
    away: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", tuple(sorted(set(self.windows))))
        by_weekday: list[list[Window]] = [[] for _ in range(7)]
        for window in self.windows:
            by_weekday[window.weekday].append(window)
        object.__setattr__(self, "_by_weekday", tuple(tuple(w) for w in by_weekday))
        # a day's intervals depend on nothing but the date: remembered, a bounded number of days
        object.__setattr__(self, "_days", {})

    # -- building blocks -------------------------------------------------------------------

    def _closures(self, day: date) -> list[Interval]:
        holes: list[Interval] = []
        for d in (day - DAY, day, day + DAY):
            closed_from = self.days_off.closed_from(d)
            if closed_from is not None:
                holes.append(
                    (
                        resolve_wall_time(d, closed_from, self.tz),
                        resolve_wall_time(d + DAY, MIDNIGHT, self.tz),
                    )
                )
        if self.away:
            # a window starting on ``day`` lies within [day 00:00, day+2 00:00)
            lo = resolve_wall_time(day, MIDNIGHT, self.tz)
            hi = resolve_wall_time(day + 2 * DAY, MIDNIGHT, self.tz)
            holes.extend((start, end) for start, end in self.away if start < hi and end > lo)
        return holes

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        """Open intervals of the windows that *start* on local date ``day``, in order."""
        days: dict[date, tuple[Interval, ...]] = self._days  # type: ignore[attr-defined]
        found = days.get(day)
        if found is None:
            if len(days) >= DAY_CACHE:
                days.clear()
            found = days[day] = tuple(self._compute_day_intervals(day))
        return found

    def _compute_day_intervals(self, day: date) -> list[Interval]:
        result: list[Interval] = []
        holes: list[Interval] | None = None
        windows: tuple[Window, ...] = self._by_weekday[day.weekday()]  # type: ignore[attr-defined]
        for window in windows:
            start = resolve_wall_time(day, window.start, self.tz)
            end_day = day + DAY if window.crosses_midnight else day
            end = resolve_wall_time(end_day, window.end, self.tz)
            if end <= start:  # swallowed whole by a DST gap
                continue
            if holes is None:
                holes = self._closures(day)
            result.extend(_subtract((start, end), holes))
        result.sort()
        return result

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of the windows that start on local date ``day`` (days off
        subtracted), in order of start; not merged with each other or the next day's."""
        return self._day_intervals(day)

    def open_intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime | None]]:
        """Merged open intervals that end after ``since``, in order.

        The last one has ``end=None`` when it is still open at the search horizon (the hours
        never close, for example ``mon-sun 00:00-24:00`` with no days off).
        """
        since = ensure_utc(since)
        first_day = local_date(since, self.tz) - DAY
        horizon = resolve_wall_time(first_day + timedelta(days=HORIZON_DAYS), MIDNIGHT, self.tz)
        pending: Interval | None = None
        for offset in range(HORIZON_DAYS):
            for start, end in self._day_intervals(first_day + timedelta(days=offset)):
                if end <= since:
                    continue
                if pending is None:
                    pending = (start, end)
                elif start <= pending[1]:
                    pending = (min(pending[0], start), max(pending[1], end))
                else:
                    yield pending
                    pending = (start, end)
        if pending is not None:
            yield (pending[0], None if pending[1] >= horizon else pending[1])

    def intervals_between(self, start: datetime, end: datetime) -> list[Interval]:
        """The open intervals clipped to ``[start, end)``."""
        start, end = ensure_utc(start), ensure_utc(end)
        found: list[Interval] = []
        for open_start, open_end in self.open_intervals(start):
            if open_start >= end:
                break
            found.append((max(open_start, start), end if open_end is None else min(open_end, end)))
            if open_end is None:
                break
        return found

    # -- the questions ---------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Is ``instant`` inside an open interval?

        Only the windows that start on the instant's local date or the day before can contain
        it (a window lasts at most a day), so this looks at two days, never at the merged
        interval around the instant, which for hours that never close spans the whole horizon.
        """
        instant = ensure_utc(instant)
        day = local_date(instant, self.tz)
        return any(
            start <= instant < end
            for d in (day - DAY, day)
            for start, end in self._day_intervals(d)
        )

    def next_open(self, instant: datetime) -> datetime | None:
        """The earliest open instant at or after ``instant``; ``None`` if none within horizon.

        Day by day from the day before ``instant`` (windows start in local date order), the
        first interval that ends after ``instant`` holds the answer; nothing is merged.
        """
        instant = ensure_utc(instant)
        first_day = local_date(instant, self.tz) - DAY
        for offset in range(HORIZON_DAYS):
            for start, end in self._day_intervals(first_day + timedelta(days=offset)):
                if end > instant:
                    return max(start, instant)
        return None

    def next_close(self, instant: datetime) -> datetime | None:
        """The earliest instant at or after ``instant`` that is closed; ``None`` if never."""
        instant = ensure_utc(instant)
        first = next(self.open_intervals(instant), None)
        if first is None or first[0] > instant:
            return instant
        return first[1]

    def previous_close(self, instant: datetime) -> datetime | None:
        """When the closed period containing ``instant`` began (the last open end at or before it).

        ``None`` if ``instant`` is open or nothing was open within the horizon before it.
        """
        instant = ensure_utc(instant)
        if self.is_open(instant):
            return None
        day = local_date(instant, self.tz)
        for back in range(0, HORIZON_DAYS, 7):
            probe = resolve_wall_time(day - timedelta(days=back + 7), MIDNIGHT, self.tz)
            last_end: datetime | None = None
            for _start, end in self.intervals_between(probe, instant):
                last_end = end
            if last_end is not None:
                return last_end
        return None

    def weekly_minutes(self) -> int:
        return sum(window.minutes for window in self.windows)

    def with_days_off(self, days_off: HolidayRule) -> WorkingHours:
        """The same hours with other holidays (absences in ``away`` are kept)."""
        return replace(self, days_off=days_off)
