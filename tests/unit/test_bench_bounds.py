"""The herd benchmark's bound: the best schedule the sandbox's two token buckets allow."""

from __future__ import annotations

import itertools

import pytest

from bench.bounds import Limit, herd_bound, lower_bound

CHANNEL = Limit(1.0, 3)
WORKSPACE = Limit(100.0, 20)


@pytest.mark.parametrize(
    ("n", "channels", "expected"),
    [
        (20, 1, 17.0),  # one channel: 3 at once, then one a second
        (10_000, 500, 99.8),  # the workspace limits: 20 at once, then 100 a second
        (100_000, 5_000, 999.8),
    ],
)
def test_one_limit_alone_gives_its_own_bound(n: int, channels: int, expected: float) -> None:
    assert herd_bound(n, channels, CHANNEL, WORKSPACE) == pytest.approx(expected)
    assert lower_bound(n, channels, CHANNEL, WORKSPACE) == pytest.approx(expected)


def test_when_both_limit_the_bound_is_above_each_alone() -> None:
    """1,000 over 50 channels: only 20 channels' bursts fit the workspace's burst at once."""
    bound = herd_bound(1_000, 50, CHANNEL, WORKSPACE)
    assert lower_bound(1_000, 50, CHANNEL, WORKSPACE) == 17.0
    assert 17.0 < bound < 18.0


def _best_by_search(per_channel: list[int], channel: Limit, workspace: Limit) -> float:
    """Every order of sends on a 0.5 s grid, earliest allowed time each: the true optimum."""
    best = float("inf")
    sends = [i for i, count in enumerate(per_channel) for _ in range(count)]
    for order in set(itertools.permutations(sends)):
        tats = [0.0] * len(per_channel)
        workspace_tat = now = 0.0
        for i in order:
            now = max(now, channel.earliest(tats[i]), workspace.earliest(workspace_tat))
            tats[i] = max(tats[i], now) + 1 / channel.rate
            workspace_tat = max(workspace_tat, now) + 1 / workspace.rate
        best = min(best, now)
    return best


@pytest.mark.parametrize(
    ("n", "channels", "workspace"),
    [(6, 2, Limit(2.0, 2)), (7, 3, Limit(2.0, 1)), (6, 3, Limit(1.0, 2)), (5, 2, Limit(4.0, 3))],
)
def test_bound_is_the_best_schedule_of_small_herds(n: int, channels: int, workspace: Limit) -> None:
    channel = Limit(1.0, 2)
    per_channel = [n // channels + (1 if i < n % channels else 0) for i in range(channels)]
    assert herd_bound(n, channels, channel, workspace) == pytest.approx(
        _best_by_search(per_channel, channel, workspace)
    )
