"""``decide`` for a stream of instants, remembered over the span in which its answer cannot change.

The decision for an audience depends on the instant only through the audience's next opening
(``WorkingHours.next_open``): inside a closed stretch ``[t, opening)`` every instant is held (or
labelled) until the same ``opening``; inside an open stretch ``[t, close)`` every instant goes
now. So the replay asks :func:`bot.domain.decisions.decide` once per stretch, and answers the
other messages of that stretch from the remembered span — the same answer ``decide`` would
give, which ``tests/unit/test_simulate_spans.py`` checks property-based against ``decide``
itself. Messages arrive in time order, so one remembered span per audience is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from math import inf

from bot.domain.audience import MembersHours
from bot.domain.decisions import Action, Audience, decide
from bot.domain.hours import WorkingHours
from bot.domain.timeutil import UTC

__all__ = ["DELIVER", "HOLD", "LABEL", "DecisionSpans", "members_open_until", "open_until"]

#: What happens to a message, as the replay counts it.
DELIVER, HOLD, LABEL = 0, 1, 2

#: Given an instant at which the audience is in hours: when that stretch ends (None: never).
OpenUntil = Callable[[datetime], datetime | None]


def open_until(hours: WorkingHours) -> OpenUntil:
    """For one person's or team's hours: the next close (``WorkingHours.next_close``)."""
    return hours.next_close


def members_open_until(members: MembersHours) -> OpenUntil:
    """For a conversation's members: the next instant any of their calendars opens or closes.

    Between two such edges the number of members in hours cannot change, so an audience that
    has its quorum at ``instant`` keeps it until then (perhaps longer: asking again is exact).
    """

    def until(instant: datetime) -> datetime | None:
        edges = []
        for hours, _ in members.members:
            edge = hours.next_close(instant) if hours.is_open(instant) else hours.next_open(instant)
            if edge is not None:
                edges.append(edge)
        return min(edges, default=None)

    return until


class DecisionSpans:
    """``decide(audience, at)`` as ``(outcome, opening)``: ``opening`` is the UTC timestamp the
    held message lands (or the label runs until), ``None`` when delivered in hours.

    ``until`` says how long an open stretch lasts for the hours ``decide`` uses for
    ``audience`` (:func:`open_until`, :func:`members_open_until`); None when it has none.
    """

    __slots__ = ("_audience", "_end", "_opening", "_outcome", "_start", "_until", "misses")

    def __init__(self, audience: Audience, until: OpenUntil | None) -> None:
        self._audience = audience
        self._until = until
        self._start = inf
        self._end = -inf
        self._outcome = DELIVER
        self._opening: float | None = None
        self.misses = 0

    def at(self, ts: float, author: str = "") -> tuple[int, float | None]:
        """The decision for a message sent at Unix time ``ts`` (seconds, UTC)."""
        if self._start <= ts < self._end:
            return self._outcome, self._opening
        self._learn(ts)
        return self._outcome, self._opening

    def stretch(self, ts: float) -> tuple[int, float | None, float]:
        """:meth:`at` for ``ts``, and the end of the stretch (exclusive, Unix time) over which
        that answer holds for every later instant: ``ts`` itself when it must be asked anew."""
        if not self._start <= ts < self._end:
            self._learn(ts)
        return self._outcome, self._opening, self._end

    def _learn(self, ts: float) -> None:
        self.misses += 1
        instant = datetime.fromtimestamp(ts, UTC)
        decision = decide(sender="", audience=self._audience, at=instant)
        self._start = ts
        if decision.action is Action.HOLD:
            self._outcome, self._opening = HOLD, decision.deliver_at.timestamp()
            self._end = self._opening
        elif decision.label_until is not None:
            self._outcome, self._opening = LABEL, decision.label_until.timestamp()
            self._end = self._opening
        else:
            self._outcome, self._opening = DELIVER, None
            key = decision.reason.key
            if key.startswith("decision.deliver.open"):
                close = None if self._until is None else self._until(instant)
                self._end = inf if close is None else close.timestamp()
            elif key.startswith("decision.deliver.never_opens"):
                self._end = ts  # nothing within decide's horizon: ask again next time
            else:  # no policy, or mode off: the same for good
                self._end = inf
