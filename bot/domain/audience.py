"""A conversation's members as an audience: when are at least half of them inside their hours?

A channel whose team chose ``audience members`` (and a group DM) is not one person with one set
of hours: each member has their own (own zone, holidays, days off). A held post goes out at the
first instant at which at least half of them — ``ceil(n / 2)`` of ``n`` human members — are
inside their own hours.

The answer is found by a sweep over the members' open/close transitions, never by stepping
through minutes: each member's open intervals in a stretch of time are merged (one person counts
once), their edges sorted, and the first edge after which enough members are open is the answer.
Members with equal hours (same windows, zone and days off — most of a channel) are swept once,
weighted by how many they are, so a channel of 5,000 people costs as much as the number of
*distinct* hours among them. The result is exact: an interval's edges are exact UTC instants
(half-open, ``[start, end)``), and at an instant where one member closes and another opens both
count as they are *at* that instant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from bot.domain.hours import DAY, Interval, WorkingHours
from bot.domain.timeutil import ensure_utc, local_date

__all__ = ["QUORUM_HORIZON", "MembersHours", "first_quorum_open", "grouped", "quorum"]

#: How far ahead the sweep looks for an instant when enough members are in their hours; past
#: it the answer is "not within reach" (``None``) and the caller falls back to the team's hours.
QUORUM_HORIZON = timedelta(days=60)
_INSTANT = itemgetter(0)
#: How many answers a :class:`MembersHours` remembers.
REMEMBERED = 16
#: The first stretch the sweep looks at (doubled each time nothing is found).
FIRST_STRETCH = timedelta(days=2)


def quorum(members: int) -> int:
    """How many of ``members`` people make "at least half": ``ceil(members / 2)`` (1 of 1,
    1 of 2, 2 of 3, 4 of 7); 0 for nobody."""
    return (members + 1) // 2


def grouped(hours: Iterable[WorkingHours]) -> tuple[tuple[WorkingHours, int], ...]:
    """One ``(hours, how many members have them)`` pair per distinct :class:`WorkingHours`."""
    return tuple(Counter(hours).items())


def first_quorum_open(
    members: Sequence[tuple[WorkingHours, int]],
    at: datetime,
    *,
    needed: int | None = None,
    horizon: timedelta = QUORUM_HORIZON,
) -> datetime | None:
    """The first instant ``>= at`` at which at least ``needed`` members are inside their hours.

    ``members`` pairs each distinct :class:`WorkingHours` with how many members have it (see
    :func:`grouped`); ``needed`` defaults to :func:`quorum` of their number. Returns ``at``
    itself when enough are open already, and ``None`` when no such instant comes before
    ``at + horizon``, or there are fewer members than ``needed`` (none at all included). Exact:
    every other candidate is a window or day-off edge, an exact UTC instant.

    The search goes in stretches (2 days, then twice as long each time, up to ``horizon``), so
    the common answer — within a weekend — never looks at the weeks after it.
    """
    at = ensure_utc(at)
    total = sum(weight for _, weight in members)
    wanted = quorum(total) if needed is None else needed
    if total == 0 or wanted > total:
        return None
    if wanted <= 0:
        return at
    limit = at + horizon
    start, span = at, FIRST_STRETCH
    while start < limit:
        end = min(start + span, limit)
        found = _first_in(members, start, end, wanted)
        if found is not None:
            return found
        start, span = end, span * 2
    return None


def _first_in(
    members: Sequence[tuple[WorkingHours, int]], start: datetime, end: datetime, wanted: int
) -> datetime | None:
    """The sweep over ``[start, end)``: every member's opening (+weight) and closing (-weight)
    in time order; all changes at one instant are applied before the count is read."""
    events: list[tuple[datetime, int]] = []
    for hours, weight in members:
        for opens, closes in _merged(hours, start, end):
            events.append((opens, weight))
            if closes < end:
                events.append((closes, -weight))
    events.sort(key=_INSTANT)
    count = 0
    index, size = 0, len(events)
    while index < size:
        instant = events[index][0]
        while index < size and events[index][0] == instant:
            count += events[index][1]
            index += 1
        if count >= wanted:
            return instant
    return None


def _merged(hours: WorkingHours, start: datetime, end: datetime) -> list[Interval]:
    """``hours``' open intervals clipped to ``[start, end)``, overlapping and touching ones
    merged (one person is open or not: two windows at once count once). Windows start in local
    date order and last at most a day, so one pass from the day before ``start`` merges them."""
    found: list[Interval] = []
    day = local_date(start, hours.tz) - DAY
    last = local_date(end, hours.tz)
    while day <= last:
        for opens, closes in hours.day_intervals(day):
            if closes <= start or opens >= end:
                continue
            opens, closes = max(opens, start), min(closes, end)
            if found and opens <= found[-1][1]:
                if closes > found[-1][1]:
                    found[-1] = (found[-1][0], closes)
            else:
                found.append((opens, closes))
        day += DAY
    return found


@dataclass(frozen=True)
class MembersHours:
    """The hours of a conversation's human members taken together (``audience members``).

    ``members`` holds one entry per distinct :class:`WorkingHours` with how many members have
    it; ``tz`` is the zone instants are shown in (the team's). It answers the one question a
    decision asks of hours — :meth:`next_open` — with :func:`first_quorum_open`, and remembers
    its last answers (:data:`REMEMBERED`): a sweep from ``s`` that found ``r`` also answers every
    instant in ``[s, r]``, and one that found nothing within the horizon leaves only the days
    past it to look at. Held for a minute by the caller, one audience answers a burst of posts
    and labels with one sweep.
    """

    members: tuple[tuple[WorkingHours, int], ...]
    tz: ZoneInfo

    def __post_init__(self) -> None:
        # (searched from, the answer or None, searched until): not part of the value
        object.__setattr__(self, "_answers", [])

    @classmethod
    def of(cls, hours: Iterable[WorkingHours], tz: ZoneInfo) -> MembersHours:
        return cls(grouped(hours), tz)

    @property
    def count(self) -> int:
        """How many members there are."""
        return sum(weight for _, weight in self.members)

    @property
    def needed(self) -> int:
        """How many of them must be in their hours: :func:`quorum` of :attr:`count`."""
        return quorum(self.count)

    def next_open(self, instant: datetime) -> datetime | None:
        """The first instant ``>= instant`` when at least half of the members are in hours;
        None when there is none within :data:`QUORUM_HORIZON`."""
        instant = ensure_utc(instant)
        answers: list[tuple[datetime, datetime | None, datetime]] = self._answers  # type: ignore[attr-defined]
        for start, found, until in answers:
            if found is not None and start <= instant <= found:
                return found  # nothing in [start, found), so nothing in [instant, found)
            if found is None and start <= instant < until:
                # nothing in [instant, until): only the days past the earlier horizon are new
                later = first_quorum_open(self.members, until, horizon=instant - start)
                self._remember(instant, later, instant + QUORUM_HORIZON)
                return later
        found = first_quorum_open(self.members, instant)
        self._remember(instant, found, instant + QUORUM_HORIZON)
        return found

    def _remember(self, start: datetime, found: datetime | None, until: datetime) -> None:
        answers: list[tuple[datetime, datetime | None, datetime]] = self._answers  # type: ignore[attr-defined]
        answers.insert(0, (start, found, until))
        del answers[REMEMBERED:]

    def is_open(self, instant: datetime) -> bool:
        """Whether at least half of the members are in their hours at ``instant``."""
        return sum(w for hours, w in self.members if hours.is_open(instant)) >= self.needed
