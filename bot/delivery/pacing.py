"""Pacing shared by every replica: a send slot is taken in the database, with the lease fence.

Each conversation and each workspace has token buckets (``bot/delivery/ratelimit.py``) stored in
``send_slots``. Taking a send slot is one transaction: the fence on the held row's claim, then
a compare-and-set on each bucket (in key order), committed before the platform call. Two
replicas therefore share one budget per conversation and per workspace instead of pacing
separately, and a ``Retry-After`` recorded by one holds back all of them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.jobs import Job
from bot.delivery.ratelimit import Bucket
from bot.storage.send_slots import SendSlotRepository

__all__ = ["SharedPacer", "Slot", "Wait"]

#: Buckets idle this long are deleted (longer than any window they keep: Teams' hour).
IDLE_SECONDS = 2 * 3600.0


class Slot(Enum):
    TAKEN = "taken"  # the fence held and every bucket allowed it: send now
    LOST = "lost"  # the claim is no longer ours: drop the job, send nothing


@dataclass(frozen=True)
class Wait:
    """Not yet: try again in ``seconds``; ``workspace`` when only the workspace holds it back."""

    seconds: float
    workspace: bool


class _NotNow(Exception):
    def __init__(self, wait: Wait | None) -> None:
        self.wait = wait  # None: a bucket moved under us, try again at once


Fence = Callable[[AsyncSession], Awaitable[bool]]


class SharedPacer:
    """Takes send slots for jobs; ``limits`` are buckets by platform name (none: unpaced)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        conversation_limits: Mapping[str, Sequence[Bucket]],
        workspace_limits: Mapping[str, Sequence[Bucket]],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._conversation = conversation_limits
        self._workspace = workspace_limits
        self._wall = wall

    def _conversation_keys(self, job: Job) -> list[tuple[str, Bucket]]:
        buckets = self._conversation.get(job.workspace.platform, ())
        return [(f"c:{job.workspace.key}:{job.conversation}#{n}", b) for n, b in enumerate(buckets)]

    def _workspace_keys(self, job: Job) -> list[tuple[str, Bucket]]:
        buckets = self._workspace.get(job.workspace.platform, ())
        return [(f"w:{job.workspace.key}#{n}", bucket) for n, bucket in enumerate(buckets)]

    async def take(self, job: Job, fence: Fence) -> Slot | Wait:
        """One try: :attr:`Slot.TAKEN` (committed), :attr:`Slot.LOST`, or how long to wait.

        Raises the database's errors (a deadlock is for the caller to retry).
        """
        while True:
            try:
                return await self._try(job, fence)
            except _NotNow as not_now:
                if not_now.wait is not None:
                    return not_now.wait

    @staticmethod
    def _block_key(job: Job) -> str:
        """The row that holds the conversation's ``Retry-After`` (its first bucket's row)."""
        return f"c:{job.workspace.key}:{job.conversation}#0"

    async def _try(self, job: Job, fence: Fence) -> Slot:
        conversation, workspace = self._conversation_keys(job), self._workspace_keys(job)
        block_key = self._block_key(job)
        async with self._sessions() as session, session.begin():
            if not await fence(session):
                return Slot.LOST
            slots = SendSlotRepository(session)
            keys = {key for key, _ in conversation + workspace} | {block_key}
            states = await slots.read(sorted(keys))
            now = self._wall()
            updates: list[tuple[str, float | None, float]] = []
            for pairs, is_workspace in ((conversation, False), (workspace, True)):
                wait = 0.0 if is_workspace else states[block_key].blocked_until - now
                for key, bucket in pairs:
                    state = states[key]
                    bucket_wait, tat = bucket.admit(state.tat, now)
                    wait = max(wait, bucket_wait, state.blocked_until - now)
                    updates.append((key, state.tat, tat))
                if wait > 0:  # leaves the transaction: the fence is rolled back too
                    raise _NotNow(Wait(wait, is_workspace))
            for key, old, new in sorted(updates):
                if not await slots.compare_and_set(key, old, new):
                    raise _NotNow(None)
            return Slot.TAKEN

    async def block(self, job: Job, seconds: float) -> None:
        """A ``Retry-After`` of ``seconds`` on the job's conversation, for every replica."""
        now = self._wall()
        async with self._sessions() as session, session.begin():
            await SendSlotRepository(session).block(self._block_key(job), now + seconds, now)

    async def forget_idle(self) -> int:
        """Delete buckets nobody has used for :data:`IDLE_SECONDS`."""
        async with self._sessions() as session, session.begin():
            return await SendSlotRepository(session).forget_idle(self._wall() - IDLE_SECONDS)
