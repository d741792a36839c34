"""Rate limiters forget idle conversations, and forgetting one never lets it send sooner."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.ratelimit import SLACK_CHANNEL, KeyedLimiter, RateLimit


def test_drained_conversations_are_forgotten_long_before_max_idle_keys() -> None:
    # a Monday herd: 5,000 channels each send once, then go quiet
    limiter = KeyedLimiter(SLACK_CHANNEL)
    for n in range(5_000):
        limiter.record(f"C{n}", n / 2_000)
    assert len(limiter) == 5_000
    # once the longest window (3 s) has passed the last send, the next call sweeps them all
    limiter.record("C_next", 2.5 + 3.0)
    assert len(limiter) == 1


def test_active_conversations_are_kept() -> None:
    limiter = KeyedLimiter(SLACK_CHANNEL)
    limiter.record("C_busy", 0.0)
    limiter.record("C_quiet", 0.0)
    limiter.record("C_busy", 2.5)
    limiter.wait("C_other", 3.0)  # sweeps: C_quiet's send has left every window
    assert len(limiter) == 1
    limiter.record("C_busy", 3.0)
    limiter.record("C_busy", 3.4)
    # three sends within 3 s: the next waits for the one at 2.5 to leave the window
    assert limiter.wait("C_busy", 3.4) == pytest.approx(2.1)


def test_ended_retry_after_blocks_are_forgotten() -> None:
    # the engine keeps Retry-After blocks in a limiter that is only ever blocked and asked
    blocks = KeyedLimiter([RateLimit(10**9, 1.0)])
    for n in range(1_000):
        blocks.block(f"C{n}", 30.0)
    assert blocks.wait("C0", 10.0) == 20.0
    assert len(blocks) == 1_000  # still blocked: nothing forgotten
    assert blocks.wait("C0", 31.0) == 0.0
    assert len(blocks) == 0


def reference_wait(
    limits: list[RateLimit], sent: list[float], blocked_until: float, now: float
) -> float:
    """What a limiter that never forgot anything would answer."""
    delay = max(0.0, blocked_until - now)
    for limit in limits:
        if len(sent) >= limit.count:
            delay = max(delay, sent[-limit.count] + limit.per - now)
    return delay


operation = st.tuples(
    st.sampled_from(["wait", "record", "block"]),
    st.integers(0, 3),  # which key
    st.floats(0, 4),  # time since the previous operation
    st.floats(0, 10),  # block length
)


@settings(max_examples=300, deadline=None)
@given(
    limits=st.lists(
        st.builds(RateLimit, st.integers(1, 5), st.floats(0.1, 5)), min_size=1, max_size=3
    ),
    operations=st.lists(operation, min_size=1, max_size=80),
)
def test_forgetting_never_changes_an_answer(
    limits: list[RateLimit], operations: list[tuple[str, int, float, float]]
) -> None:
    limiter = KeyedLimiter(limits, max_idle_keys=2)  # sweep as often as possible
    sent: dict[int, list[float]] = {key: [] for key in range(4)}
    blocked: dict[int, float] = dict.fromkeys(range(4), 0.0)
    now = 0.0
    for kind, key, gap, length in operations:
        now += gap
        if kind == "record":
            limiter.record(key, now)
            sent[key].append(now)
        elif kind == "block":
            limiter.block(key, now + length)
            blocked[key] = max(blocked[key], now + length)
        assert limiter.wait(key, now) == reference_wait(limits, sent[key], blocked[key], now)
