"""Delivery outcomes, written in batches (SQLite has one writer) and never dropped on an error.

A posted message stays ``delivering`` under our claim until its outcome is written. A batch
whose transaction fails (a deadlock the database broke by aborting us, a database that is away)
goes back to the front of the queue and is written on the next try; deadlocks are retried at
once (``bot/storage/retry.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.jobs import Job
from bot.metrics import DeliveryMetrics
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository, Outcome
from bot.storage.retry import retrying

__all__ = ["FLUSH_BATCH", "FLUSH_LIMIT", "Recorder"]

log = logging.getLogger(__name__)

#: Start a write at this many outcomes, at most this many each.
FLUSH_BATCH = 50
FLUSH_LIMIT = 500
#: Outcomes wait at most this long for a batch to fill.
FLUSH_SECONDS = 0.1


class Recorder:
    """Queues ``(job, platform message id)`` and writes them under our claims."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        owner: str,
        metrics: DeliveryMetrics,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._owner = owner
        self._metrics = metrics
        self._pending: list[tuple[Job, str, datetime]] = []
        self._lock = asyncio.Lock()
        self._full = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

    def ids(self) -> list[str]:
        """Rows posted but not yet recorded (their leases must be kept)."""
        return [job.id for job, _, _ in self._pending]

    def add(self, job: Job, message_id: str) -> None:
        self._pending.append((job, message_id, self._clock.now()))
        if len(self._pending) >= FLUSH_BATCH:
            self._full.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Write outcomes as they come until ``stop``; raises if a write fails (supervised)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), FLUSH_SECONDS)
            self._full.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write every queued outcome; on an error the unwritten ones stay queued, then raise."""
        async with self._lock:
            while self._pending:
                batch = self._pending[:FLUSH_LIMIT]
                recorded = await retrying(partial(self._write, batch), what="recording deliveries")
                del self._pending[: len(batch)]
                for job, _message_id, at in batch:
                    if job.id in recorded:
                        self._metrics.delivered.inc()
                        self._metrics.lag.observe(max(0.0, (at - job.deliver_at).total_seconds()))
                    else:  # re-claimed since: the new owner finds our tag and records it
                        log.warning("claim on %s lost before recording its delivery", job.id)

    async def _write(self, batch: list[tuple[Job, str, datetime]]) -> set[str]:
        outcomes = [Outcome(job.id, job.generation, message_id) for job, message_id, _ in batch]
        async with self._sessions() as session, session.begin():
            return await HeldMessageRepository(session, self._cipher).record_delivered(
                outcomes, owner=self._owner, at=self._clock.now()
            )
