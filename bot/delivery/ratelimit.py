"""Rate limits the platforms impose, as pure per-key limiters driven by a monotonic clock."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = [
    "SLACK_CHANNEL",
    "TEAMS_CONVERSATION",
    "TEAMS_TENANT",
    "Backoff",
    "KeyedLimiter",
    "RateLimit",
]


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` sends in any ``per`` seconds (a sliding window)."""

    count: int
    per: float


#: Slack chat.postMessage: about one per second per channel, with short bursts allowed.
SLACK_CHANNEL: tuple[RateLimit, ...] = (RateLimit(3, 3.0), RateLimit(1, 1.0 / 3))
#: Teams, per bot per conversation (Microsoft's published limits).
TEAMS_CONVERSATION: tuple[RateLimit, ...] = (
    RateLimit(7, 1.0),
    RateLimit(8, 2.0),
    RateLimit(60, 30.0),
    RateLimit(1800, 3600.0),
)
#: Teams, per bot across all conversations of one tenant.
TEAMS_TENANT: tuple[RateLimit, ...] = (RateLimit(50, 1.0),)


class _Windows:
    """Send times for one key, kept only as long as the longest window needs them."""

    __slots__ = ("blocked_until", "sent")

    def __init__(self, keep: int) -> None:
        self.sent: deque[float] = deque(maxlen=keep)
        self.blocked_until = 0.0


class KeyedLimiter:
    """Sliding-window limits per key (conversation, workspace), plus Retry-After blocks.

    ``wait(key, now)`` says how many seconds until a send on ``key`` is allowed; ``record``
    notes a send; ``block(key, until)`` honours a platform's ``Retry-After``. Idle keys are
    forgotten, so memory follows the number of *active* conversations, not the total: a key is
    idle once it is unblocked and its last send has left the longest window, when forgetting it
    changes no answer ``wait`` can give. Idle keys are swept at most once per longest window
    (and whenever ``max_idle_keys`` keys are held), so the sweeps cost O(1) per call amortized.
    """

    def __init__(self, limits: Sequence[RateLimit], *, max_idle_keys: int = 10_000) -> None:
        if not limits:
            raise ValueError("at least one limit")
        self._limits = tuple(limits)
        self._keep = max(limit.count for limit in self._limits)
        self._longest = max(limit.per for limit in self._limits)
        self._keys: dict[Hashable, _Windows] = {}
        self._max_idle_keys = max_idle_keys
        self._sweep_every = max(self._longest, 1.0)
        self._next_sweep = 0.0

    def wait(self, key: Hashable, now: float) -> float:
        self._sweep(now)
        state = self._keys.get(key)
        if state is None:
            return 0.0
        delay = max(0.0, state.blocked_until - now)
        for limit in self._limits:
            if len(state.sent) >= limit.count:
                # the send `count` back must have left the window
                oldest = state.sent[-limit.count]
                delay = max(delay, oldest + limit.per - now)
        return delay

    def record(self, key: Hashable, now: float) -> None:
        self._sweep(now)
        state = self._keys.get(key)
        if state is None:
            if len(self._keys) >= self._max_idle_keys:
                self._forget_idle(now)
            state = self._keys[key] = _Windows(self._keep)
        state.sent.append(now)

    def block(self, key: Hashable, until: float) -> None:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _Windows(self._keep)
        state.blocked_until = max(state.blocked_until, until)

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            if self._keys:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        idle = [
            key
            for key, state in self._keys.items()
            if state.blocked_until <= now
            and (not state.sent or state.sent[-1] + self._longest <= now)
        ]
        for key in idle:
            del self._keys[key]

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter for transient failures."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before attempt number ``attempt`` (1 = the first retry)."""
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)
