"""Rate limiters: the pacing a platform sees never exceeds its published limits."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.ratelimit import (
    SLACK_CHANNEL,
    TEAMS_CONVERSATION,
    Backoff,
    KeyedLimiter,
    RateLimit,
)


def drive(limiter: KeyedLimiter, key: str, sends: int, start: float = 0.0) -> list[float]:
    """Send as fast as the limiter allows; return the send times."""
    now, times = start, []
    for _ in range(sends):
        now += limiter.wait(key, now)
        limiter.record(key, now)
        times.append(now)
    return times


def max_in_window(times: list[float], per: float) -> int:
    best, left = 0, 0
    for right, t in enumerate(times):
        while times[left] <= t - per:
            left += 1
        best = max(best, right - left + 1)
    return best


def test_slack_pacing_is_one_per_second_with_bursts_of_three() -> None:
    times = drive(KeyedLimiter(SLACK_CHANNEL), "C1", 30)
    assert times[:3] == [0.0, 1 / 3, 2 / 3]
    assert max_in_window(times, 3.0) <= 3
    assert 27.0 <= times[-1] <= 29.5  # 30 messages take about 30 s


def test_teams_pacing_respects_every_window() -> None:
    times = drive(KeyedLimiter(TEAMS_CONVERSATION), "19:chat", 200)
    assert max_in_window(times, 1.0) <= 7
    assert max_in_window(times, 2.0) <= 8
    assert max_in_window(times, 30.0) <= 60


def test_conversations_do_not_wait_for_each_other() -> None:
    limiter = KeyedLimiter(SLACK_CHANNEL)
    drive(limiter, "C1", 10)
    assert limiter.wait("C2", 0.0) == 0.0


def test_retry_after_blocks_only_its_key() -> None:
    limiter = KeyedLimiter(SLACK_CHANNEL)
    limiter.block("C1", 30.0)
    assert limiter.wait("C1", 10.0) == 20.0
    assert limiter.wait("C2", 10.0) == 0.0


def test_idle_keys_are_forgotten() -> None:
    limiter = KeyedLimiter([RateLimit(1, 1.0)], max_idle_keys=100)
    for n in range(1000):
        limiter.record(f"C{n}", float(n))
    assert len(limiter) <= 101


@settings(max_examples=200, deadline=None)
@given(
    limits=st.lists(
        st.builds(RateLimit, st.integers(1, 10), st.floats(0.1, 60)), min_size=1, max_size=4
    ),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_no_window_is_ever_exceeded(limits: list[RateLimit], gaps: list[float]) -> None:
    limiter = KeyedLimiter(limits)
    now, times = 0.0, []
    for gap in gaps:
        now += gap
        now += limiter.wait("k", now)
        limiter.record("k", now)
        times.append(now)
    for limit in limits:
        # a hair of tolerance for float arithmetic at the window's edge
        assert max_in_window(times, limit.per - 1e-9) <= limit.count


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    backoff = Backoff(base=1.0, cap=60.0)
    delays = [backoff.delay(attempt, rng) for attempt in range(1, 12)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(d <= 60.0 for d in delays)
    assert delays[-1] >= 30.0
