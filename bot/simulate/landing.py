"""How long delivering a wave of held messages takes under Slack's rate limits.

Held messages that share an opening (Monday 08:00) fall due together. The delivery loop sends
each through the per-channel bucket and the workspace bucket of ``bot/delivery/ratelimit.py``
(Slack ``chat.postMessage``: about one per second per channel with short bursts, plus a
workspace-wide limit, ``QUIET_HOURS_SLACK_WORKSPACE_RATE``). This module replays that pacing
with the same :class:`~bot.delivery.ratelimit.Bucket` arithmetic: at every step the channel
that may send soonest sends, as soon as both its bucket and the workspace's allow.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from bot.delivery.ratelimit import SLACK_CHANNEL, Bucket, slack_workspace

__all__ = ["drain_seconds"]


def _ready(buckets: Sequence[Bucket], tats: list[float | None], now: float) -> float:
    """The earliest instant >= ``now`` at which every bucket admits a send."""
    ready = now
    for bucket, tat in zip(buckets, tats, strict=True):
        wait, _ = bucket.admit(tat, now)
        ready = max(ready, now + wait)
    return ready


def _take(buckets: Sequence[Bucket], tats: list[float | None], at: float) -> None:
    for index, bucket in enumerate(buckets):
        _, tats[index] = bucket.admit(tats[index], at)


def drain_seconds(
    per_channel: Mapping[int, int],
    *,
    workspace_rate: float,
    channel: Sequence[Bucket] = SLACK_CHANNEL,
) -> float:
    """Seconds from the wave's due instant until its last message is sent.

    ``per_channel`` maps a conversation to the number of its messages in the wave. Buckets start
    idle (full bursts). Sending itself is taken as instant: this is the floor the limits set.
    """
    workspace = slack_workspace(workspace_rate)
    workspace_tats: list[float | None] = [None] * len(workspace)
    remaining = {key: count for key, count in per_channel.items() if count > 0}
    channel_tats: dict[int, list[float | None]] = {key: [None] * len(channel) for key in remaining}
    queue = [(0.0, key) for key in sorted(remaining)]
    heapq.heapify(queue)
    last = 0.0
    while queue:
        ready, key = heapq.heappop(queue)
        at = _ready(workspace, workspace_tats, ready)
        at = _ready(channel, channel_tats[key], at)
        _take(channel, channel_tats[key], at)
        _take(workspace, workspace_tats, at)
        last = max(last, at)
        remaining[key] -= 1
        if remaining[key]:
            heapq.heappush(queue, (_ready(channel, channel_tats[key], at), key))
    return last
