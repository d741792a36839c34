"""A conversation's members as an audience: when are at least half of them inside their hours?

A channel whose team chose ``audience members`` (and a group DM) is not one person with one set
of hours: each member has their own (own zone, holidays, days off). A held post goes out at the
first instant at which at least half of them — ``ceil(n / 2)`` of ``n`` human members — are
inside their own hours.

The answer is found by a sweep over the members' open/close transitions, never by stepping
through minutes: each member's merged open intervals (:meth:`WorkingHours.open_intervals`) are
read lazily, the transitions go through one heap in time order, and the first transition after
which enough members are open is the answer. Members with equal hours (same windows, zone and
days off — most of a channel) are swept once, weighted by how many they are, so a channel of
5,000 people costs as much as the number of *distinct* hours among them. The result is exact:
an interval's edges are exact UTC instants (half-open, ``[start, end)``), and at an instant
where one member closes and another opens both count as they are *at* that instant.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.hours import WorkingHours
from bot.domain.timeutil import ensure_utc

__all__ = ["QUORUM_HORIZON", "MembersHours", "first_quorum_open", "grouped", "quorum"]

#: How far ahead the sweep looks for an instant when enough members are in their hours; past
#: it the answer is "not within reach" (``None``) and the caller falls back to the team's hours.
QUORUM_HORIZON = timedelta(days=60)


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
    """
    at = ensure_utc(at)
    total = sum(weight for _, weight in members)
    wanted = quorum(total) if needed is None else needed
    if total == 0 or wanted > total:
        return None
    if wanted <= 0:
        return at
    limit = at + horizon
    open_weight = 0
    streams: list[Iterator[tuple[datetime, datetime | None]]] = []
    ends: list[datetime | None] = []
    # (instant, kind, group): kind 0 closes, 1 opens. Every event at one instant is applied
    # before the count is read (intervals are half-open), so the kind only orders the tuples.
    events: list[tuple[datetime, int, int]] = []
    for index, (hours, weight) in enumerate(members):
        stream = hours.open_intervals(at)
        streams.append(stream)
        first = next(stream, None)
        ends.append(None if first is None else first[1])
        if first is None:
            continue
        start, end = first
        if start > at:
            events.append((start, 1, index))
            continue
        open_weight += weight
        if end is not None:
            events.append((end, 0, index))
    if open_weight >= wanted:
        return at
    heapq.heapify(events)
    while events:
        instant = events[0][0]
        if instant >= limit:
            return None
        while events and events[0][0] == instant:
            _, kind, index = heapq.heappop(events)
            weight = members[index][1]
            if kind == 1:  # opens now; closes at the end of this interval (None: never)
                open_weight += weight
                end = ends[index]
                if end is not None:
                    heapq.heappush(events, (end, 0, index))
                continue
            open_weight -= weight  # closes now; opens again at its next interval
            following = next(streams[index], None)
            if following is not None:
                ends[index] = following[1]
                heapq.heappush(events, (following[0], 1, index))
        if open_weight >= wanted:
            return instant
    return None


@dataclass(frozen=True)
class MembersHours:
    """The hours of a conversation's human members taken together (``audience members``).

    ``members`` holds one entry per distinct :class:`WorkingHours` with how many members have
    it; ``tz`` is the zone instants are shown in (the team's). It answers the one question a
    decision asks of hours — :meth:`next_open` — with :func:`first_quorum_open`.
    """

    members: tuple[tuple[WorkingHours, int], ...]
    tz: ZoneInfo

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
        """The first instant ``>= instant`` when at least half of the members are in hours."""
        return first_quorum_open(self.members, instant)

    def is_open(self, instant: datetime) -> bool:
        """Whether at least half of the members are in their hours at ``instant``."""
        return sum(w for hours, w in self.members if hours.is_open(instant)) >= self.needed
