"""A person's absence: typed days off and scheduled Outlook automatic replies, as UTC intervals.

The rule kept here: **days off subtract from every source of hours** (the person's own, their
platform schedule, their team's, the workspace default). Whatever hours apply to a person,
:meth:`Absence.apply` is the one place their absence is taken out of them.

A typed day off is a whole calendar day *in the person's own zone*: from 00:00 to the next
00:00 there, both through :func:`~bot.domain.timeutil.resolve_wall_time` (so a day on which the
clocks change is 23 or 25 hours long, and never loses or gains an hour at its edges). Outlook's
scheduled automatic replies are kept as the instants Outlook names. Touching or overlapping
pieces merge, so consecutive days and an Outlook window around them read as one absence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.domain.hours import Interval, Window, WorkingHours
from bot.domain.timeutil import ensure_utc, resolve_wall_time

__all__ = ["Absence", "always_open", "merge_intervals"]

MIDNIGHT = time(0)


def merge_intervals(intervals: list[Interval] | tuple[Interval, ...]) -> tuple[Interval, ...]:
    """Sorted, with touching or overlapping half-open intervals joined; empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def always_open(tz: ZoneInfo) -> WorkingHours:
    """Hours that never close (every day 00:00-24:00): what is left of "no hours at all" once
    an absence is taken out, so a message to someone away still waits for their return."""
    return WorkingHours(windows=tuple(Window(day, MIDNIGHT, MIDNIGHT) for day in range(7)), tz=tz)


@dataclass(frozen=True)
class Absence:
    """When a person is away.

    ``days`` are whole local days in ``tz`` (typed with ``/quiet off``); ``outlook`` are UTC
    half-open intervals read from Microsoft Graph (scheduled automatic replies), kept apart so
    that clearing one's typed days never fights Outlook.
    """

    days: frozenset[date] = field(default_factory=frozenset)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    outlook: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        for start, end in self.outlook:
            ensure_utc(start), ensure_utc(end)  # naive instants are refused

    def __bool__(self) -> bool:
        return bool(self.days or self.outlook)

    @cached_property
    def intervals(self) -> tuple[Interval, ...]:
        """Every absence as merged half-open UTC intervals, in order."""
        pieces: list[Interval] = [
            (
                resolve_wall_time(day, MIDNIGHT, self.tz),
                resolve_wall_time(day + timedelta(days=1), MIDNIGHT, self.tz),
            )
            for day in self.days
        ]
        pieces += [(ensure_utc(s), ensure_utc(e)) for s, e in self.outlook]
        return merge_intervals(pieces)

    def apply(self, hours: WorkingHours) -> WorkingHours:
        """``hours`` with this absence closed (in addition to any absence already in them)."""
        if not self:
            return hours
        return replace(hours, away=merge_intervals(hours.away + self.intervals))

    def around(self, instant: datetime) -> Interval | None:
        """The absence that contains ``instant``, if the person is away then."""
        instant = ensure_utc(instant)
        return next((i for i in self.intervals if i[0] <= instant < i[1]), None)

    def upcoming(self, instant: datetime) -> tuple[Interval, ...]:
        """The absences that have not ended by ``instant`` (the current one first)."""
        instant = ensure_utc(instant)
        return tuple(i for i in self.intervals if i[1] > instant)

    def ended_between(self, start: datetime, end: datetime) -> tuple[Interval, ...]:
        """The absences whose last instant falls in ``(start, end]`` (just came back)."""
        start, end = ensure_utc(start), ensure_utc(end)
        return tuple(i for i in self.intervals if start < i[1] <= end)

    def without_days(self) -> Absence:
        return replace(self, days=frozenset())
