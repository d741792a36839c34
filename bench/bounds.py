"""The herd's bound: the shortest makespan the platform's limits allow, with the bursts.

Both limits are token buckets as the sandbox enforces them (``burst`` at once, refilled at
``rate`` per second): one per channel and one for the whole workspace. Two lower bounds are
plain: a channel's ``m`` messages take ``(m - burst) / rate`` seconds after the first, and the
workspace's ``n`` take ``(n - burst) / rate``. They cannot always be met together (a channel that
waits for the workspace at the start loses its burst), so the bound is computed by playing the
best schedule: whenever the workspace has a token, the channel with the most messages left
that has a token sends. That schedule never wastes a workspace token while a channel could
send; when the workspace limits (10k and 100k herds) it meets the workspace's lower bound
exactly, when channels limit it is within a few tenths of a second of theirs.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

__all__ = ["Limit", "herd_bound", "lower_bound"]

EPSILON = 1e-9


@dataclass(frozen=True)
class Limit:
    """A token bucket: ``burst`` sends at once, then ``rate`` per second."""

    rate: float
    burst: int

    def earliest(self, tat: float) -> float:
        """When the next send may go, given the bucket's theoretical arrival time ``tat``."""
        return tat - (self.burst - 1) / self.rate


def _per_channel(n: int, channels: int) -> list[int]:
    return [n // channels + (1 if i < n % channels else 0) for i in range(channels)]


def lower_bound(n: int, channels: int, channel: Limit, workspace: Limit) -> float:
    """max(the fullest channel alone, the workspace alone), in seconds from the due instant."""
    fullest = max(_per_channel(n, channels))
    return max(
        max(0.0, (fullest - channel.burst) / channel.rate),
        max(0.0, (n - workspace.burst) / workspace.rate),
    )


def herd_bound(n: int, channels: int, channel: Limit, workspace: Limit) -> float:
    """Seconds from the due instant to the last send of the best schedule (see module doc)."""
    remaining = _per_channel(n, channels)
    channel_tat = [0.0] * channels
    ready = [(-count, i) for i, count in enumerate(remaining) if count]
    heapq.heapify(ready)
    waiting: list[tuple[float, int]] = []  # (when the channel has a token again, channel)
    workspace_tat = 0.0
    now = last = 0.0
    sent = 0
    while sent < n:
        now = max(now, workspace.earliest(workspace_tat))
        while waiting and waiting[0][0] <= now + EPSILON:
            _, i = heapq.heappop(waiting)
            heapq.heappush(ready, (-remaining[i], i))
        if not ready:
            now = waiting[0][0]
            continue
        _, i = heapq.heappop(ready)
        remaining[i] -= 1
        workspace_tat = max(workspace_tat, now) + 1 / workspace.rate
        channel_tat[i] = max(channel_tat[i], now) + 1 / channel.rate
        last = now
        sent += 1
        if remaining[i]:
            heapq.heappush(waiting, (channel.earliest(channel_tat[i]), i))
    return last
