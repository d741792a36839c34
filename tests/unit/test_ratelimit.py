"""Rate limits: the pacing a platform sees never exceeds its published limits."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.ratelimit import (
    SLACK_CHANNEL,
    TEAMS_CONVERSATION,
    TEAMS_CONVERSATION_WINDOWS,
    TEAMS_TENANT,
    TEAMS_TENANT_WINDOWS,
    Backoff,
    Bucket,
    sendable_within,
    slack_workspace,
)


def drive(buckets: tuple[Bucket, ...], sends: int, gaps: list[float] | None = None) -> list[float]:
    """Send as soon as every bucket allows (after an optional idle gap each); the send times."""
    tats: list[float | None] = [None] * len(buckets)
    now, times = 0.0, []
    for n in range(sends):
        now += gaps[n] if gaps else 0.0
        while True:
            answers = [bucket.admit(tat, now) for bucket, tat in zip(buckets, tats, strict=True)]
            wait = max(w for w, _ in answers)
            if wait <= 0:
                tats = [tat for _, tat in answers]
                break
            now += wait
        times.append(now)
    return times


def max_in_window(times: list[float], per: float) -> int:
    """The most sends in any closed window of ``per`` seconds."""
    best, left = 0, 0
    for right, t in enumerate(times):
        while times[left] < t - per - 1e-9:
            left += 1
        best = max(best, right - left + 1)
    return best


def test_slack_pacing_is_one_per_second_with_bursts_of_three() -> None:
    times = drive(SLACK_CHANNEL, 30)
    assert times[:4] == [0.0, 0.0, 0.0, 1.0]
    assert 26.0 <= times[-1] <= 28.0  # 30 messages take about 30 s after the burst


def test_teams_pacing_respects_every_published_window() -> None:
    times = drive(TEAMS_CONVERSATION, 2000)
    for window in TEAMS_CONVERSATION_WINDOWS:
        assert max_in_window(times, window.per) <= window.count, window
    tenant = drive(TEAMS_TENANT, 500)
    for window in TEAMS_TENANT_WINDOWS:
        assert max_in_window(tenant, window.per) <= window.count, window


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.floats(0, 40), min_size=200, max_size=200))
def test_no_teams_window_is_exceeded_whatever_the_gaps(gaps: list[float]) -> None:
    times = drive(TEAMS_CONVERSATION, 200, gaps)
    for window in TEAMS_CONVERSATION_WINDOWS[:3]:
        assert max_in_window(times, window.per) <= window.count, window


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 30),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_a_bucket_never_lets_more_than_burst_plus_rate_times_span(
    rate: float, burst: int, gaps: list[float]
) -> None:
    times = drive((Bucket(rate, burst),), len(gaps), gaps)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            assert j - i + 1 <= burst + (times[j] - start) * rate + 1e-6


def test_what_a_lease_can_send_bounds_a_claim() -> None:
    assert sendable_within(SLACK_CHANNEL, 30.0) == 33
    assert sendable_within(TEAMS_CONVERSATION, 30.0) == 36
    assert sendable_within(slack_workspace(20.0), 30.0) == 620


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    backoff = Backoff(base=1.0, cap=60.0)
    delays = [backoff.delay(attempt, rng) for attempt in range(1, 12)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(d <= 60.0 for d in delays)
    assert delays[-1] >= 30.0
