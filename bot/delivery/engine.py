"""The outbox loop: claim what can be sent within a lease, one worker per conversation, shut down.

Exactly once by construction: a row is claimed as ``(owner, generation)``; immediately before
each platform call the claim takes the row's send slot in a committed, conditional UPDATE that
holds only while the lease does (``bot/delivery/sender.py``); outcomes are recorded under the
same claim (``recorder.py``). A process that lost its lease never posts; a row whose send slot
was taken is looked up on the platform by its tag before it is posted again.

Pacing is shared by every replica through the database (``pacing.py``), and a claim takes per
conversation and per workspace no more than the pacing lets through in half a lease, counting
every replica's claims — so leases rarely lapse, and a crash strands little. A restarted
process (same owner name: host and port) takes its previous life's claims back at once.
Memory stays flat: at most ``max_in_flight`` rows are claimed at once, whatever is held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.jobs import Job
from bot.delivery.pacing import SharedPacer
from bot.delivery.ratelimit import Backoff, Bucket, sendable_within
from bot.delivery.recorder import Recorder
from bot.delivery.sender import Sender, SendPolicy
from bot.delivery.supervise import log_if_failed, supervised
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform, Delivered
from bot.storage.crypto import Cipher
from bot.storage.outbox import ClaimLimits, HeldMessageRepository
from bot.storage.retry import retrying

__all__ = ["DeliveryEngine", "EngineConfig"]

log = logging.getLogger(__name__)

#: How often the held/due gauges are refreshed from the database.
GAUGE_SECONDS = 5.0
#: How often idle pacing buckets are deleted.
SWEEP_SECONDS = 300.0
#: Longest pause between claims while the database keeps failing.
MAX_CLAIM_BACKOFF = 5.0
#: A job whose delivery keeps raising (the database away) is retried this often, then dropped
#: (its lease lapses and it is claimed again).
JOB_ERRORS = 5
#: At shutdown, the share of the grace period in-flight work may still use.
WORKER_SHARE = 0.6


@dataclass(frozen=True)
class EngineConfig:
    """Engine settings; limits are token buckets by platform name (``ratelimit.py``)."""

    batch_size: int = 200
    max_in_flight: int = 2_000
    lease_seconds: float = 60.0
    poll_seconds: float = 0.25
    max_attempts: int = 8
    shutdown_grace_seconds: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    conversation_limits: Mapping[str, Sequence[Bucket]] = field(default_factory=dict)
    workspace_limits: Mapping[str, Sequence[Bucket]] = field(default_factory=dict)
    #: Claim per conversation/workspace what the limits let through in this share of a lease.
    claim_share: float = 0.5
    #: The owner name is ours alone (bound to our listening port): on start, take back what a
    #: previous process of the same name left claimed, instead of waiting for its leases.
    adopt_own_claims: bool = False

    def claim_limits(self) -> ClaimLimits:
        seconds = self.lease_seconds * self.claim_share
        return ClaimLimits(
            per_conversation={
                name: sendable_within(tuple(buckets), seconds)
                for name, buckets in self.conversation_limits.items()
                if buckets
            },
            per_workspace={
                name: sendable_within(tuple(buckets), seconds)
                for name, buckets in self.workspace_limits.items()
                if buckets
            },
        )


class DeliveryEngine:
    """One per process; several processes may share a PostgreSQL database."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        platforms: Mapping[str, ChatPlatform],
        clock: Clock,
        owner: str,
        metrics: DeliveryMetrics | None = None,
        config: EngineConfig | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        on_urgent_delivered: Callable[[Delivered], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._owner = owner
        self.metrics = metrics or DeliveryMetrics()
        self._config = config or EngineConfig()
        self._monotonic = monotonic
        self._claim_limits = self._config.claim_limits()
        self._queues: dict[tuple[str, str], deque[Job]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._in_flight = 0
        self._claimed = 0  # rows claimed so far: each job's rank
        self._wake = asyncio.Event()
        self._pacer = SharedPacer(
            sessions=sessions,
            conversation_limits=self._config.conversation_limits,
            workspace_limits=self._config.workspace_limits,
        )
        self._recorder = Recorder(
            sessions=sessions, cipher=cipher, clock=clock, owner=owner, metrics=self.metrics
        )
        self._sender = Sender(
            sessions=sessions,
            cipher=cipher,
            platforms=platforms,
            clock=clock,
            owner=owner,
            metrics=self.metrics,
            policy=SendPolicy(
                lease_seconds=self._config.lease_seconds,
                max_attempts=self._config.max_attempts,
                backoff=self._config.backoff,
            ),
            pacer=self._pacer,
            recorder=self._recorder,
            on_urgent_delivered=on_urgent_delivered,
        )

    # -- the loop -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and deliver until ``stop`` is set, then shut down within the grace period."""
        if self._config.adopt_own_claims:
            await self._adopt()
        # leases are kept and outcomes written until the shutdown is over, not only until `stop`
        finished = asyncio.Event()
        background = [
            asyncio.create_task(
                supervised("lease renewal", partial(self._renew_leases, finished), finished),
                name="delivery lease renewal",
            ),
            asyncio.create_task(
                supervised("delivery recording", partial(self._recorder.run, finished), finished),
                name="delivery recording",
            ),
        ]
        for task in background:
            task.add_done_callback(log_if_failed)
        next_gauges = next_sweep = 0.0
        failures = 0  # in a row: the database is busy or away
        try:
            while not stop.is_set():
                try:
                    if self._monotonic() >= next_gauges:
                        await self._refresh_gauges()
                        next_gauges = self._monotonic() + GAUGE_SECONDS
                    if self._monotonic() >= next_sweep:
                        await self._pacer.forget_idle()
                        next_sweep = self._monotonic() + SWEEP_SECONDS
                    claimed, asked = await self._claim_and_dispatch()
                    failures = 0
                except Exception:  # the loop must outlive an unreachable database
                    failures += 1
                    log.warning(
                        "could not claim due messages (%d in a row); trying again",
                        failures,
                        exc_info=failures == 1,
                    )
                    claimed, asked = 0, 0
                if claimed and claimed == asked:
                    continue  # more is due: claim again straight away
                self._wake.clear()
                pause = self._config.poll_seconds
                if failures:  # back off, up to MAX_CLAIM_BACKOFF, while the database is away
                    pause = min(MAX_CLAIM_BACKOFF, pause * 2**failures)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait_any(stop), pause)
        finally:
            try:
                await self._shut_down()
            finally:
                finished.set()
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)

    async def _wait_any(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def wake(self) -> None:
        """Something was just held or moved: look at the outbox now."""
        self._wake.set()

    async def run_until_idle(self) -> None:
        """Deliver everything due now and return (tests, the demo, the CLI)."""
        while True:
            claimed, _ = await self._claim_and_dispatch()
            if self._workers:
                await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
            await self._recorder.flush()
            if not claimed and not self._workers:
                return

    async def _refresh_gauges(self) -> None:
        try:
            async with self._sessions() as session:
                repo = HeldMessageRepository(session, self._cipher)
                held = await repo.count_open()
                due = await repo.count_due(self._clock.now())
        except Exception:  # metrics must never stop delivery
            log.warning("could not refresh outbox gauges", exc_info=True)
            return
        self.metrics.held.set(held)
        self.metrics.due.set(due)

    async def _claim_and_dispatch(self) -> tuple[int, int]:
        """Claim what is due (as much as there is room for); returns (claimed, asked for)."""
        room = self._config.max_in_flight - self._in_flight
        if room <= 0:
            return 0, 0
        limit = min(self._config.batch_size, room)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            repo = HeldMessageRepository(session, self._cipher)
            rows = await repo.claim_due(
                now=now,
                owner=self._owner,
                limit=limit,
                lease_seconds=self._config.lease_seconds,
                limits=self._claim_limits,
            )
            workspaces = await repo.workspaces({row.workspace_id for row in rows})
        for row in rows:
            self._claimed += 1
            job = Job.from_row(row, workspaces[row.workspace_id], rank=self._claimed)
            self._queues.setdefault(job.key, deque()).append(job)
            self._in_flight += 1
            if job.key not in self._workers:
                self._workers[job.key] = asyncio.create_task(self._work(job.key))
                self._workers[job.key].add_done_callback(log_if_failed)
        return len(rows), limit

    async def _work(self, key: tuple[str, str]) -> None:
        """Deliver a conversation's jobs in order; no error ends the worker with jobs left."""
        queue = self._queues[key]
        errors = 0
        try:
            while queue:
                job = queue[0]
                try:
                    await self._sender.send(job)
                except Exception:
                    errors += 1
                    if errors < JOB_ERRORS:
                        log.warning("delivering %s failed; trying again", job.id, exc_info=True)
                        await asyncio.sleep(min(MAX_CLAIM_BACKOFF, 0.25 * 2**errors))
                        continue
                    log.error("dropping %s after %d errors: its lease will lapse", job.id, errors)
                errors = 0
                queue.popleft()
                self._in_flight -= 1
        finally:
            if not queue:
                self._queues.pop(key, None)
            self._workers.pop(key, None)

    # -- leases, restarts and shutdown --------------------------------------------------------

    def _held_ids(self) -> list[str]:
        return [job.id for queue in self._queues.values() for job in queue] + self._recorder.ids()

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        """Keep the leases of every job we still hold; raises (and is restarted) on an error."""
        interval = self._config.lease_seconds / 3
        while not stop.is_set():
            ids = self._held_ids()
            if ids:
                await retrying(partial(self._renew, ids), what="renewing leases")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _renew(self, ids: list[str]) -> None:
        async with self._sessions() as session, session.begin():
            await HeldMessageRepository(session, self._cipher).renew_leases(
                owner=self._owner,
                ids=ids,
                now=self._clock.now(),
                lease_seconds=self._config.lease_seconds,
            )

    async def _adopt(self) -> None:
        """Take back this owner's claims from a previous run (see ``adopt_own_claims``)."""

        async def adopt() -> tuple[int, int]:
            async with self._sessions() as session, session.begin():
                return await HeldMessageRepository(session, self._cipher).adopt_stale(
                    owner=self._owner, now=self._clock.now()
                )

        try:
            unsent, sent = await retrying(adopt, what="taking back stale claims")
        except Exception:  # the leases still lapse on their own
            log.warning("could not take back this replica's earlier claims", exc_info=True)
            return
        if unsent or sent:
            log.info("took back %d unsent and %d possibly posted message(s)", unsent, sent)

    async def _shut_down(self) -> None:
        """Stop claiming; let in-flight work finish briefly; give the rest back to the outbox.

        Workers get :data:`WORKER_SHARE` of the grace period; the rest is for writing outcomes
        and releasing what is left, so that the whole stays within the grace period.
        """
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(
                workers, timeout=self._config.shutdown_grace_seconds * WORKER_SHARE
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._recorder.flush()
        except Exception:  # the rows stay ours until the lease lapses; the tag prevents a re-post
            log.warning("could not record every delivery before stopping", exc_info=True)
        claims = sorted(
            (job.id, job.generation) for queue in self._queues.values() for job in queue
        )
        self._queues.clear()
        self._in_flight = 0
        if not claims:
            return

        async def release() -> int:
            now = self._clock.now()
            async with self._sessions() as session, session.begin():
                return await HeldMessageRepository(session, self._cipher).release_all(
                    claims, owner=self._owner, retry_at=now, error="shutdown", at=now
                )

        released = await retrying(release, what="releasing messages at shutdown")
        log.info("released %d undelivered message(s) at shutdown", released)
