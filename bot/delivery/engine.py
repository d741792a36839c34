"""The outbox loop: claim due held messages, pace them per conversation, post, record.

Exactly-once *effect*: a row is ``delivering`` under our lease before the platform call, what we
post carries the row's id as a tag, and a row claimed for the second time (its owner died, or a
call timed out) is first looked up on the platform by that tag before anything is re-sent.
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
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.ratelimit import Backoff, KeyedLimiter, RateLimit
from bot.i18n import translate
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform, Delivered, DeliveryError, DeliveryErrorKind, OutgoingMessage
from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.outbox import HeldMessageRepository, WorkspaceRef

__all__ = ["DeliveryEngine", "EngineConfig"]

log = logging.getLogger(__name__)

#: How often the held/due gauges are refreshed from the database.
GAUGE_SECONDS = 5.0
#: Delivery outcomes are written in batches: start a write at this many, at most this many each.
FLUSH_BATCH = 50
FLUSH_LIMIT = 500


@dataclass(frozen=True)
class EngineConfig:
    batch_size: int = 200
    max_in_flight: int = 2_000
    lease_seconds: float = 60.0
    poll_seconds: float = 0.25
    max_attempts: int = 8
    shutdown_grace_seconds: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    #: per-conversation limits by platform name
    conversation_limits: Mapping[str, Sequence[RateLimit]] = field(default_factory=dict)
    #: whole-workspace limits by platform name
    workspace_limits: Mapping[str, Sequence[RateLimit]] = field(default_factory=dict)


#: Longest pause between claims while the database keeps failing.
MAX_CLAIM_BACKOFF = 5.0


class _Outcome(Enum):
    DONE = "done"
    AGAIN = "again"  # rate limited: same job once the conversation may send again


@dataclass
class _Job:
    id: str
    workspace: WorkspaceRef
    conversation: str
    thread: str | None
    author: str
    as_author: bool
    urgent: bool
    deliver_at: datetime
    attempts: int
    body_enc: bytes | None
    created_at: datetime | None = None
    schedule_id: str | None = None  # the platform posts it itself (Slack chat.scheduleMessage)
    checked: bool = False
    started: bool = False


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
        self._on_urgent_delivered = on_urgent_delivered
        self._cipher = cipher
        self._platforms = platforms
        self._clock = clock
        self._owner = owner
        self.metrics = metrics or DeliveryMetrics()
        self._config = config or EngineConfig()
        self._monotonic = monotonic
        self._queues: dict[tuple[str, str], deque[_Job]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._conversation_limiters: dict[str, KeyedLimiter] = {
            name: KeyedLimiter(limits) for name, limits in self._config.conversation_limits.items()
        }
        self._workspace_limiters: dict[str, KeyedLimiter] = {
            name: KeyedLimiter(limits) for name, limits in self._config.workspace_limits.items()
        }
        self._retry_blocks = KeyedLimiter([RateLimit(10**9, 1.0)])  # Retry-After only
        self._workspace_gates: dict[str, asyncio.Lock] = {}
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._outcomes: list[tuple[_Job, str, datetime]] = []
        self._flushing: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    # -- the loop -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and deliver until ``stop`` is set, then shut down within the grace period."""
        renewer = asyncio.create_task(self._renew_leases(stop))
        next_gauges = 0.0
        failures = 0  # in a row: the database is busy or away
        try:
            while not stop.is_set():
                if self._outcomes:
                    self._start_flush()
                try:
                    if self._monotonic() >= next_gauges:
                        await self._refresh_gauges()
                        next_gauges = self._monotonic() + GAUGE_SECONDS
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
            renewer.cancel()
            await self._shut_down()

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
            await self._flush()
            if not claimed and not self._workers:
                return

    async def _refresh_gauges(self) -> None:
        try:
            async with self._sessions() as session:
                repo = HeldMessageRepository(session, self._cipher)
                counts = await repo.count_by_state()
                due = await repo.count_due(self._clock.now())
        except Exception:  # metrics must never stop delivery
            log.warning("could not refresh outbox gauges", exc_info=True)
            return
        self.metrics.held.set(counts.get("held", 0) + counts.get("delivering", 0))
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
                now=now, owner=self._owner, limit=limit, lease_seconds=self._config.lease_seconds
            )
            workspaces = await repo.workspaces({row.workspace_id for row in rows})
        for row in rows:
            job = _Job(
                id=row.id,
                workspace=workspaces[row.workspace_id],
                conversation=row.conversation_id,
                thread=row.thread_id,
                author=row.author_id,
                as_author=row.as_author,
                urgent=row.urgent,
                deliver_at=row.deliver_at,
                attempts=row.attempts,
                body_enc=row.body_enc,
                created_at=row.created_at,
                schedule_id=row.platform_schedule_id,
            )
            key = (job.workspace.key, job.conversation)
            self._queues.setdefault(key, deque()).append(job)
            self._in_flight += 1
            if key not in self._workers:
                self._workers[key] = asyncio.create_task(self._work(key))
        return len(rows), limit

    async def _work(self, key: tuple[str, str]) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                if job.schedule_id is None:  # the platform posts scheduled ones itself
                    await self._pace(job)
                outcome = await self._deliver(job)
                if outcome is _Outcome.AGAIN:
                    continue
                queue.popleft()
                self._in_flight -= 1
        finally:
            if not queue:
                self._queues.pop(key, None)
            self._workers.pop(key, None)

    async def _pace(self, job: _Job) -> None:
        """Wait until this conversation, and then its workspace, may send."""
        platform = job.workspace.platform
        conversation_key = (job.workspace.key, job.conversation)
        conversation = self._conversation_limiters.get(platform)
        while True:  # only this conversation's worker waits here
            now = self._monotonic()
            wait = self._retry_blocks.wait(conversation_key, now)
            if conversation is not None:
                wait = max(wait, conversation.wait(conversation_key, now))
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        workspace = self._workspace_limiters.get(platform)
        if workspace is not None:
            # One waiter per workspace at a time, the rest queue fairly on the lock: hundreds of
            # conversations polling one shared window would wake each other on every send.
            gate = self._workspace_gates.setdefault(job.workspace.key, asyncio.Lock())
            async with gate:
                while (wait := workspace.wait(job.workspace.key, self._monotonic())) > 0:  # noqa: ASYNC110 (a timed wait, nothing to signal)
                    await asyncio.sleep(wait)
                now = self._monotonic()
                workspace.record(job.workspace.key, now)
        if conversation is not None:
            conversation.record(conversation_key, now)

    # -- one delivery -------------------------------------------------------------------------

    async def _deliver(self, job: _Job) -> _Outcome:
        platform = self._platforms.get(job.workspace.platform)
        if platform is None:
            await self._fail(job, "no_platform", notify=False)
            return _Outcome.DONE
        job.started = True
        if job.schedule_id is not None:
            # Slack posted it at deliver_at (as the author); nothing to send, only to record.
            await self._record_delivered(job, f"scheduled:{job.schedule_id}")
            return _Outcome.DONE
        try:
            if job.attempts > 1 and not job.checked:
                existing = await platform.find_tagged(
                    job.workspace.external_id, job.conversation, job.id
                )
                job.checked = True
                if existing is not None:
                    self.metrics.recovered.inc()
                    await self._record_delivered(job, existing)
                    return _Outcome.DONE
            body = self._body(job)
            if body is None:
                await self._fail(job, "erased", notify=False)
                return _Outcome.DONE
            posted = await platform.post(
                OutgoingMessage(
                    workspace=job.workspace.external_id,
                    conversation=job.conversation,
                    text=body,
                    thread=job.thread,
                    as_author=job.author if job.as_author else None,
                    tag=job.id,
                    urgent=job.urgent,
                    author=job.author,
                    written_at=job.created_at,
                )
            )
        except DeliveryError as error:
            return await self._handle_error(job, error)
        except Exception as error:  # a bug or an unknown failure: retry, never lose the message
            log.exception("unexpected error delivering %s", job.id)
            return await self._handle_error(
                job, DeliveryError(DeliveryErrorKind.TRANSIENT, type(error).__name__)
            )
        await self._record_delivered(job, posted.message_id)
        if self._on_urgent_delivered is not None and job.urgent:
            try:
                await self._on_urgent_delivered(
                    Delivered(
                        platform=job.workspace.platform,
                        workspace=job.workspace.external_id,
                        conversation=posted.conversation,
                        message_id=posted.message_id,
                        thread=job.thread,
                        author=job.author,
                        urgent=job.urgent,
                        at=self._clock.now(),
                    )
                )
            except Exception:  # a follow-up never undoes or repeats a delivery
                log.exception("follow-up after delivering %s failed", job.id)
        return _Outcome.DONE

    def _body(self, job: _Job) -> str | None:
        """Decrypt only when sending: plaintext never waits in memory longer than needed."""
        if job.body_enc is None:
            return None
        try:
            return self._cipher.decrypt(job.body_enc)
        except DecryptionError:
            log.error("held message %s cannot be decrypted with the configured keys", job.id)
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "undecryptable") from None

    async def _handle_error(self, job: _Job, error: DeliveryError) -> _Outcome:
        self.metrics.platform_errors.labels(
            platform=job.workspace.platform, kind=error.kind.value
        ).inc()
        now = self._monotonic()
        key = (job.workspace.key, job.conversation)
        if error.kind is DeliveryErrorKind.RATE_LIMITED:
            self.metrics.rate_limited.inc()
            self._retry_blocks.block(key, now + (error.retry_after or 1.0))
            return _Outcome.AGAIN
        if error.kind is DeliveryErrorKind.PERMANENT or job.attempts >= self._config.max_attempts:
            await self._fail(job, error.code, notify=True)
            return _Outcome.DONE
        self.metrics.retries.inc()
        delay = self._config.backoff.delay(job.attempts)
        async with self._sessions() as session, session.begin():
            await HeldMessageRepository(session, self._cipher).release(
                job.id,
                owner=self._owner,
                retry_at=self._clock.now() + timedelta(seconds=delay),
                error=error.code,
                at=self._clock.now(),
            )
        return _Outcome.DONE

    async def _record_delivered(self, job: _Job, message_id: str) -> None:
        """Queue the outcome; it is written with others in one transaction (see _flush).

        Until then the row stays ``delivering`` under our lease, so a crash in between is the
        ordinary posted-but-not-recorded case that the delivery tag resolves.
        """
        self._outcomes.append((job, message_id, self._clock.now()))
        if len(self._outcomes) >= FLUSH_BATCH:
            self._start_flush()

    def _start_flush(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Write every queued delivery outcome; SQLite has one writer, so batch them."""
        async with self._flush_lock:
            while self._outcomes:
                batch, self._outcomes = self._outcomes[:FLUSH_LIMIT], self._outcomes[FLUSH_LIMIT:]
                async with self._sessions() as session, session.begin():
                    repo = HeldMessageRepository(session, self._cipher)
                    recorded = [
                        await repo.mark_delivered(
                            job.id, owner=self._owner, platform_message_id=message_id, at=at
                        )
                        for job, message_id, at in batch
                    ]
                for (job, _message_id, at), ok in zip(batch, recorded, strict=True):
                    if ok:
                        self.metrics.delivered.inc()
                        self.metrics.lag.observe(max(0.0, (at - job.deliver_at).total_seconds()))
                    else:  # our lease was taken over: the new owner finds the tag, no re-send
                        log.warning("lease on %s lost before recording delivery", job.id)

    async def _fail(self, job: _Job, code: str, *, notify: bool) -> None:
        async with self._sessions() as session, session.begin():
            repo = HeldMessageRepository(session, self._cipher)
            await repo.mark_failed(job.id, error=code, at=self._clock.now())
            locale = await repo.author_locale(job.workspace, job.author)
        self.metrics.failed.labels(reason=code).inc()
        platform = self._platforms.get(job.workspace.platform)
        if not notify or platform is None:
            return
        key = f"delivery.failed.{code}"
        try:
            reason = translate(key, locale)
        except KeyError:
            reason = translate("delivery.failed.other", locale, code=code)
        text = translate("delivery.failed", locale, conversation=job.conversation, reason=reason)
        with contextlib.suppress(DeliveryError):
            await platform.notify(job.workspace.external_id, job.author, text)

    # -- leases and shutdown ------------------------------------------------------------------

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        interval = self._config.lease_seconds / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set() or not self._in_flight:
                continue
            try:
                async with self._sessions() as session, session.begin():
                    await HeldMessageRepository(session, self._cipher).renew_leases(
                        owner=self._owner,
                        now=self._clock.now(),
                        lease_seconds=self._config.lease_seconds,
                    )
            except Exception:  # the database is away: leases lapse, others take over
                log.warning("could not renew delivery leases", exc_info=True)

    async def _shut_down(self) -> None:
        """Stop claiming; let in-flight work finish briefly; give the rest back to the outbox."""
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(
                workers, timeout=self._config.shutdown_grace_seconds
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._flush()
        leftovers = [job for queue in self._queues.values() for job in queue]
        self._queues.clear()
        self._in_flight = 0
        if not leftovers:
            return
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            repo = HeldMessageRepository(session, self._cipher)
            for job in leftovers:
                await repo.release(
                    job.id,
                    owner=self._owner,
                    retry_at=now,
                    error="shutdown",
                    at=now,
                    attempted=job.started,
                )
        log.info("released %d undelivered message(s) at shutdown", len(leftovers))
