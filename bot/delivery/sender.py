"""One held message to its end: take the send slot (fence + pacing), post, handle the answer.

Nothing is posted unless the send slot was taken and committed just before — by this claim,
while its lease held (``take_send_slot``) — so a process that lost its lease, however it lost
it (a pause, failed renewals, a deadlock), drops the job instead of posting it a second time.

Nor is anything posted on a slot more than ``SharedPacer.late`` seconds past (a starved event
loop, a slow commit or look-up) that found a bucket idle (``Taken.found_idle``): the job gives
the slot back and asks for a new one, in its place in line, since a post that late could reach
an idle bucket of the platform's that then counts from its arrival, not from the slot our
buckets recorded (see ``bot/delivery/pacing.py``). After :data:`LATE_SLOTS` late slots in a row
it posts anyway: on a machine too slow for any slot to be on time, late is better than never. A
post whose answer comes back that late may have reached the platform that late: its buckets are
told (``SlotBatches.answered_late``), so that they count from no earlier than the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.jobs import Job, Step
from bot.delivery.pacing import SharedPacer, Slot, Taken, Wait
from bot.delivery.ratelimit import Backoff
from bot.delivery.recorder import Recorder
from bot.delivery.slot_batches import SlotBatches
from bot.i18n import normalize_locale, translate
from bot.metrics import DeliveryMetrics
from bot.ports import (
    ChatPlatform,
    Delivered,
    DeliveryError,
    DeliveryErrorKind,
    OutgoingMessage,
    PlaceNamer,
)
from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.outbox import HeldMessageRepository
from bot.storage.retry import retrying

__all__ = ["LATE_SLOTS", "UNREADABLE_RETRY_SECONDS", "SendPolicy", "Sender"]

log = logging.getLogger(__name__)

#: A held message the configured keys cannot read is looked at again after this long.
UNREADABLE_RETRY_SECONDS = 300
#: A job gives back at most this many late slots; on the next it posts however late it is.
LATE_SLOTS = 3


def _unreadable(error: BaseException) -> bool:
    """Did a platform call fail because a stored value (a token) could not be decrypted?"""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:  # `raise e from e` makes a cycle
        if isinstance(cause, DecryptionError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__
    return False


@dataclass(frozen=True)
class SendPolicy:
    """Lease length (seconds), attempts before a message fails, backoff between attempts."""

    lease_seconds: float
    max_attempts: int
    backoff: Backoff


class Sender:
    """Delivers jobs one at a time per conversation (the engine runs one worker each)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        platforms: Mapping[str, ChatPlatform],
        clock: Clock,
        owner: str,
        metrics: DeliveryMetrics,
        policy: SendPolicy,
        pacer: SharedPacer,
        recorder: Recorder,
        on_urgent_delivered: Callable[[Delivered], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._platforms = platforms
        self._clock = clock
        self._owner = owner
        self._metrics = metrics
        self._policy = policy
        self._pacer = pacer
        self._recorder = recorder
        self._on_urgent_delivered = on_urgent_delivered
        # one slot-taker per workspace, for a batch of conversations at a time: hundreds of
        # conversations waiting on one shared workspace budget share one transaction
        self._batches = SlotBatches(pacer, self._fence)

    async def send(self, job: Job) -> None:
        """Deliver, fail, release or drop ``job``; database errors are raised to the worker."""
        while await self._try(job) is Step.AGAIN:
            pass

    async def _try(self, job: Job) -> Step:
        platform = self._platforms.get(job.workspace.platform)
        if platform is None:
            await self._fail(job, "no_platform", notify=False)
            return Step.DONE
        if job.schedule_id is not None:
            # Slack posted it at deliver_at (as the author); nothing to send, only to record.
            self._recorder.add(job, f"scheduled:{job.schedule_id}")
            return Step.DONE
        slot = await self._take_slot(job)
        if slot is Slot.LOST:
            log.info("claim on %s lapsed before sending: not sent, left to its new owner", job.id)
            return Step.DONE
        try:
            if job.check_first:
                existing = await platform.find_tagged(
                    job.workspace.external_id, job.conversation, job.id
                )
                job.check_first = False
                if existing is not None:
                    self._metrics.recovered.inc()
                    self._recorder.add(job, existing)
                    return Step.DONE
            body = self._body(job)  # DecryptionError: kept, see _keep_unreadable
            if body is None:
                await self._fail(job, "erased", notify=False)
                return Step.DONE
            if self._late(job, slot):
                return Step.AGAIN
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
        except DecryptionError:
            return await self._keep_unreadable(job)
        except DeliveryError as error:
            if _unreadable(error):  # a stored token the keys cannot read
                return await self._keep_unreadable(job)
            return await self._handle_error(job, error)
        except Exception as error:  # a bug or an unknown failure: retry, never lose the message
            log.exception("unexpected error delivering %s", job.id)
            return await self._handle_error(
                job, DeliveryError(DeliveryErrorKind.TRANSIENT, type(error).__name__)
            )
        answered = self._pacer.wall()
        self._recorder.add(job, posted.message_id)
        self._count_late_answer(job, slot, answered)
        await self._follow_up(job, posted.conversation, posted.message_id)
        return Step.DONE

    def _late(self, job: Job, slot: Taken) -> bool:
        """Is it too late to post on ``slot`` (then it is to be given back, and the job asks
        again)? Checked just before the platform call, after anything that may have waited."""
        late = self._pacer.wall() - slot.at
        margin = self._pacer.late
        if late <= margin or not slot.found_idle(margin) or job.late_slots >= LATE_SLOTS:
            job.late_slots = 0
            return False
        job.late_slots += 1
        job.late_slot = slot
        self._metrics.late_slots.inc()
        log.debug("slot for %s came %.3f s late: given back, asking again", job.id, late)
        return True

    def _count_late_answer(self, job: Job, slot: Taken, answered: float) -> None:
        """A post answered more than ``SharedPacer.late`` after its slot, on a slot that found a
        bucket idle, may have arrived that late: its buckets are to count from the answer, for
        every replica (the workspace's next batch, started at once, writes it)."""
        margin = self._pacer.late
        if answered - slot.at > margin and slot.found_idle(margin):
            self._batches.answered_late(job, slot, answered)

    async def _take_slot(self, job: Job) -> Taken | Slot:
        """Wait until the conversation and its workspace may send, take the slot (committed),
        then wait for the slot's instant (at most ``HORIZON_SECONDS`` away)."""
        while True:
            given_back, job.late_slot = job.late_slot, None
            result = await self._batches.take(job, given_back)
            if isinstance(result, Wait):
                await asyncio.sleep(result.seconds)
                continue
            if isinstance(result, Taken):
                delay = result.at - self._pacer.wall()
                if delay > 0:
                    await asyncio.sleep(delay)
            return result

    async def _fence(self, session: AsyncSession, jobs: Sequence[Job]) -> set[str]:
        """Take the send slots of ``jobs``' claims (``take_send_slots``); the ids that held."""
        taken = await HeldMessageRepository(session, self._cipher).take_send_slots(
            [(job.id, job.generation) for job in jobs],
            owner=self._owner,
            now=self._clock.now(),
            lease_seconds=self._policy.lease_seconds,
        )
        for job in jobs:
            if job.id in taken and not job.fenced:
                job.fenced = True
                job.attempts += 1  # as the row counts them: once per claim that sends
        return taken

    def _body(self, job: Job) -> str | None:
        """Decrypt only when sending: plaintext never waits in memory longer than needed.

        Raises:
            DecryptionError: the configured keys cannot read the body.
        """
        return None if job.body_enc is None else self._cipher.decrypt(job.body_enc)

    async def _keep_unreadable(self, job: Job) -> Step:
        """The keys cannot read the body (or the token to post it with): never fail or erase it.

        A wrong or missing key is the operator's to fix (``serve`` and ``/readyz`` refuse such
        keys at start); the row goes back to the outbox as it is, the attempt not counted
        (nothing was posted), and is tried again in :data:`UNREADABLE_RETRY_SECONDS`, so
        restoring the key delivers it.
        """
        self._metrics.undecryptable.inc()
        log.error(
            "held message %s cannot be decrypted with the configured keys; kept, retried in %d s",
            job.id,
            UNREADABLE_RETRY_SECONDS,
        )
        await self.release(
            job, delay=UNREADABLE_RETRY_SECONDS, error="undecryptable", attempted=False
        )
        return Step.DONE

    async def _follow_up(self, job: Job, conversation: str, message_id: str) -> None:
        if self._on_urgent_delivered is None or not job.urgent:
            return
        try:
            await self._on_urgent_delivered(
                Delivered(
                    platform=job.workspace.platform,
                    workspace=job.workspace.external_id,
                    conversation=conversation,
                    message_id=message_id,
                    thread=job.thread,
                    author=job.author,
                    urgent=job.urgent,
                    at=self._clock.now(),
                )
            )
        except Exception:  # a follow-up never undoes or repeats a delivery
            log.exception("follow-up after delivering %s failed", job.id)

    async def _handle_error(self, job: Job, error: DeliveryError) -> Step:
        self._metrics.platform_errors.labels(
            platform=job.workspace.platform, kind=error.kind.value
        ).inc()
        if error.kind is DeliveryErrorKind.RATE_LIMITED:
            self._metrics.rate_limited.inc()
            await retrying(
                partial(self._pacer.block, job, error.retry_after or 1.0), what="Retry-After"
            )
            return Step.AGAIN
        if error.kind is DeliveryErrorKind.PERMANENT or job.attempts >= self._policy.max_attempts:
            await self._fail(job, error.code, notify=True)
            return Step.DONE
        self._metrics.retries.inc()
        await self.release(job, delay=self._policy.backoff.delay(job.attempts), error=error.code)
        return Step.DONE

    async def release(self, job: Job, *, delay: float, error: str, attempted: bool = True) -> None:
        """Give the job's row back to the outbox, due again in ``delay`` seconds
        (``attempted=False``: sure that nothing was posted, the attempt is not counted)."""

        async def write() -> None:
            now = self._clock.now()
            async with self._sessions() as session, session.begin():
                await HeldMessageRepository(session, self._cipher).release(
                    job.id,
                    owner=self._owner,
                    generation=job.generation,
                    retry_at=now + timedelta(seconds=delay),
                    error=error,
                    at=now,
                    attempted=attempted,
                )

        await retrying(write, what="releasing a message")

    async def _fail(self, job: Job, code: str, *, notify: bool) -> None:
        async def write() -> tuple[bool, str | None]:
            async with self._sessions() as session, session.begin():
                repo = HeldMessageRepository(session, self._cipher)
                failed = await repo.mark_failed(
                    job.id,
                    error=code,
                    at=self._clock.now(),
                    owner=self._owner,
                    generation=job.generation,
                )
                return failed, await repo.author_locale(job.workspace, job.author)

        failed, locale = await retrying(write, what="recording a failure")
        if not failed:  # no longer ours: its new owner decides
            return
        self._metrics.failed.labels(reason=code).inc()
        platform = self._platforms.get(job.workspace.platform)
        if not notify or platform is None:
            return
        key = f"delivery.failed.{code}"
        try:
            reason = translate(key, locale)
        except KeyError:
            reason = translate("delivery.failed.other", locale, code=code)
        where = await _place(
            platform, job.workspace.external_id, job.conversation, normalize_locale(locale)
        )
        text = translate("delivery.failed", locale, conversation=where, reason=reason)
        with contextlib.suppress(DeliveryError):
            await platform.notify(job.workspace.external_id, job.author, text)


async def _place(platform: ChatPlatform, workspace: str, conversation: str, locale: str) -> str:
    """The conversation as its people know it (``<#C2>``, "Plattform › Drift"), not its id."""
    if isinstance(platform, PlaceNamer):
        with contextlib.suppress(Exception):
            return await platform.place_name(workspace, conversation, locale)
    return conversation
