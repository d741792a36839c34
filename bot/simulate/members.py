"""The ``members`` audience: a message waits until half of its conversation's people are in hours.

``DESIGN.md`` ("Decision"): with ``audience members``, a channel's message goes at the first
instant at which at least half of its human members are in their own hours; a group DM is
decided by its members the same way. Members are grouped by their hours (the policy's windows
in each person's zone), so a channel of 2,000 people in six zones is six calendars to sweep.

The count of members in hours changes only where some calendar opens or closes, so the answer
for an instant holds until the next such edge (open) or until the opening found (closed): the
replay asks once per stretch, as :class:`bot.simulate.spans.DecisionSpans` does for ``decide``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from math import inf

from bot.domain.hours import WorkingHours
from bot.domain.policy import Mode, TeamPolicy
from bot.domain.timeutil import UTC
from bot.simulate.spans import DELIVER, HOLD, LABEL

__all__ = ["MembersSpans", "members_open_at"]

#: How far ahead a quorum is looked for before the message is delivered as "never opens".
SEARCH = timedelta(days=60)


def _starts(hours: WorkingHours, since: datetime, until: datetime) -> Iterator[datetime]:
    for start, _end in hours.open_intervals(since):
        if start > until:
            return
        yield max(start, since)


def members_open_at(
    groups: Sequence[tuple[WorkingHours, int]], instant: datetime
) -> datetime | None:
    """The first instant at or after ``instant`` when at least half of the people are in hours.

    ``groups`` pairs each calendar with how many people keep it. ``None`` when no such instant
    comes within :data:`SEARCH`.
    """
    total = sum(count for _, count in groups)
    if total == 0:
        return None
    until = instant + SEARCH
    candidates = heapq.merge(*(_starts(hours, instant, until) for hours, _ in groups))
    for candidate in candidates:
        present = sum(count for hours, count in groups if hours.is_open(candidate))
        if 2 * present >= total:
            return candidate
    return None


def _next_change(groups: Sequence[tuple[WorkingHours, int]], instant: datetime) -> float:
    edges: list[float] = []
    for hours, _ in groups:
        edge = hours.next_close(instant) if hours.is_open(instant) else hours.next_open(instant)
        if edge is not None:
            edges.append(edge.timestamp())
    return min(edges, default=inf)


class MembersSpans:
    """``(outcome, opening)`` for messages to one conversation's members, remembered per span."""

    __slots__ = ("_end", "_groups", "_mode", "_opening", "_outcome", "_start", "misses")

    def __init__(self, hours: Sequence[WorkingHours], policy: TeamPolicy) -> None:
        counts = Counter(hours)
        self._groups = tuple(counts.items())
        self._mode = policy.mode
        self._start, self._end = inf, -inf
        self._outcome = DELIVER
        self._opening: float | None = None
        self.misses = 0

    def at(self, ts: float, author: str = "") -> tuple[int, float | None]:
        """The outcome for a message sent at Unix time ``ts``."""
        if not self._start <= ts < self._end:
            self._learn(ts)
        return self._outcome, self._opening

    def _learn(self, ts: float) -> None:
        self.misses += 1
        self._start = ts
        if self._mode is Mode.OFF:
            self._outcome, self._opening, self._end = DELIVER, None, inf
            return
        instant = datetime.fromtimestamp(ts, UTC)
        opening = members_open_at(self._groups, instant)
        if opening is None:
            self._outcome, self._opening, self._end = DELIVER, None, inf
        elif opening == instant:
            self._outcome, self._opening = DELIVER, None
            self._end = _next_change(self._groups, instant)
        else:
            self._outcome = HOLD if self._mode is Mode.HOLD else LABEL
            self._opening = self._end = opening.timestamp()
