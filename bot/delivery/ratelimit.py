"""The platforms' rate limits, as token buckets (GCRA) that every replica shares.

Sources (each a published limit, never a guess):

- Slack ``chat.postMessage``: "generally allows posting one message per second per channel,
  while also maintaining a workspace-wide limit", "short bursts >1 allowed"
  (https://docs.slack.dev/apis/web-api/rate-limits, "Posting messages"). Slack publishes no
  workspace-wide figure: ours is a setting (``QUIET_HOURS_SLACK_WORKSPACE_RATE``).
- Microsoft Teams, per bot per conversation: 7 per 1 s, 8 per 2 s, 60 per 30 s, 1800 per hour;
  per bot across one tenant: 50 requests per second
  (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).

A bucket (``rate`` per second, ``burst``) lets ``burst`` through at once, then one every
``1/rate`` s. The buckets below are chosen so that no published window is ever exceeded
(``tests/unit/test_ratelimit.py`` checks it on every window); ``Retry-After`` comes on top.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "SLACK_CHANNEL",
    "TEAMS_CONVERSATION",
    "TEAMS_CONVERSATION_WINDOWS",
    "TEAMS_TENANT",
    "TEAMS_TENANT_WINDOWS",
    "Backoff",
    "Bucket",
    "RateLimit",
    "sendable_within",
    "slack_workspace",
]


@dataclass(frozen=True)
class RateLimit:
    """A published window: at most ``count`` sends in any ``per`` seconds."""

    count: int
    per: float


@dataclass(frozen=True)
class Bucket:
    """A token bucket in GCRA form: ``burst`` sends at once, refilled at ``rate`` per second.

    The whole state is one number, the *theoretical arrival time* ``tat`` (Unix seconds), so a
    bucket shared by several processes is one database row (``send_slots``).
    """

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"a bucket needs a positive rate and a burst >= 1, not {self}")

    def admit(self, tat: float | None, now: float) -> tuple[float, float]:
        """(seconds to wait, new ``tat``): a send is allowed now when the wait is 0, and then
        the new ``tat`` is to be stored; otherwise ``tat`` stays as it was."""
        interval = 1.0 / self.rate
        current = now if tat is None else max(tat, now)
        wait = current - (self.burst - 1) * interval - now
        if wait > 1e-9:
            return wait, current
        return 0.0, current + interval


#: Slack chat.postMessage per channel: one per second, short bursts (of 3) allowed.
SLACK_CHANNEL: tuple[Bucket, ...] = (Bucket(1.0, 3),)

TEAMS_CONVERSATION_WINDOWS: tuple[RateLimit, ...] = (
    RateLimit(7, 1.0),
    RateLimit(8, 2.0),
    RateLimit(60, 30.0),
    RateLimit(1800, 3600.0),
)
#: Teams per conversation: 6 at once then 1/s keeps 7/1 s and 8/2 s; 36 then 0.49/s keeps
#: 60/30 s and 1800/h (36 + 0.49 * 3600 = 1800).
TEAMS_CONVERSATION: tuple[Bucket, ...] = (Bucket(1.0, 6), Bucket(0.49, 36))

TEAMS_TENANT_WINDOWS: tuple[RateLimit, ...] = (RateLimit(50, 1.0),)
#: Teams per tenant: 25 at once then 24/s keeps 50 in any second.
TEAMS_TENANT: tuple[Bucket, ...] = (Bucket(24.0, 25),)


def slack_workspace(rate: float, burst: int | None = None) -> tuple[Bucket, ...]:
    """The Slack workspace-wide budget: ``rate`` messages per second, bursts of ``burst``
    (default one second's worth)."""
    return (Bucket(rate, burst if burst is not None else max(1, int(rate))),)


def sendable_within(buckets: tuple[Bucket, ...], seconds: float) -> int:
    """How many sends ``buckets`` allow in ``seconds`` from idle (at least 1)."""
    if not buckets:
        raise ValueError("no buckets")
    return max(1, min(int(bucket.burst + bucket.rate * seconds) for bucket in buckets))


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter for transient failures."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before attempt number ``attempt`` (1 = the first retry)."""
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)
