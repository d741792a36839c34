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

from datetime import datetime
from math import inf

from bot.domain.decisions import Action, Audience, decide
from bot.domain.hours import WorkingHours
from bot.domain.timeutil import UTC

__all__ = ["DELIVER", "HOLD", "LABEL", "DecisionSpans"]

#: What happens to a message, as the replay counts it.
DELIVER, HOLD, LABEL = 0, 1, 2


class DecisionSpans:
    """``decide(audience, at)`` as ``(outcome, opening)``: ``opening`` is the UTC timestamp the
    held message lands (or the label runs until), ``None`` when delivered in hours.

    ``hours`` are the hours ``decide`` uses for ``audience`` (the team's, or the person's own).
    """

    __slots__ = ("_audience", "_end", "_hours", "_opening", "_outcome", "_start", "misses")

    def __init__(self, audience: Audience, hours: WorkingHours | None) -> None:
        self._audience = audience
        self._hours = hours
        self._start = inf
        self._end = -inf
        self._outcome = DELIVER
        self._opening: float | None = None
        self.misses = 0

    def at(self, ts: float) -> tuple[int, float | None]:
        """The decision for a message sent at Unix time ``ts`` (seconds, UTC)."""
        if self._start <= ts < self._end:
            return self._outcome, self._opening
        self._learn(ts)
        return self._outcome, self._opening

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
            close = None if self._hours is None else self._hours.next_close(instant)
            # no policy, mode off, never opens, or hours that never close: the same for good
            opened = decision.reason.key == "decision.deliver.open"
            self._end = close.timestamp() if opened and close is not None else inf
