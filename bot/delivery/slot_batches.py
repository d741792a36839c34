"""Send-slot requests gathered into batches, one batch per workspace at a time, fullest first.

Every conversation's worker asks for its next send slot here; while one batch's transaction
runs (``SharedPacer.take_batch``), the requests that arrive wait and go together in the next.
So a workspace with hundreds of ready conversations pays one commit per batch, not one per
send, and its requests never race each other for the shared workspace bucket.

When the workspace's budget is what holds requests back (a Monday herd: hundreds of
conversations ready, 100 sends a second for all of them), which conversation sends next decides
when the last message lands. The platform's best schedule sends from the conversation with the
most messages left (``bench/bounds.py``); a message's place in its conversation's backlog
(:attr:`Job.priority`: due instant, then its ``seq``) stands for that, so every batch is taken
fullest first, and a request the workspace holds back stays in line here, in its place, instead
of sleeping and asking again behind conversations that have just sent. First come, first
served let conversations that had sent once keep winning (their next request came straight
away, the others' after a sleep): a third of a 10k herd's conversations had not sent their
first message after 8 s, and the last ones still had most of theirs left near the end.

A request may bring back a slot its job took but did not post on (too late, see
``bot/delivery/pacing.py``): the batch it goes in puts that slot back, and the request is
placed like any other, by its job's priority, so a late wake keeps its turn. Posts answered
late are gathered per workspace too, and told to the next batch's transaction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial

from bot.delivery.jobs import Job
from bot.delivery.pacing import Fence, Result, SharedPacer, Taken, Wait
from bot.delivery.supervise import log_if_failed
from bot.storage.retry import retrying

__all__ = ["MAX_BATCH", "MIN_PAUSE", "SlotBatches"]

log = logging.getLogger(__name__)

#: At most this many requests per transaction.
MAX_BATCH = 100
#: The shortest pause (seconds) before asking again for requests the workspace held back.
MIN_PAUSE = 0.01


@dataclass
class _Request:
    job: Job
    future: asyncio.Future[Result] = field(repr=False)
    given_back: Taken | None = None  # a slot this job took and did not post on


class SlotBatches:
    """Per workspace: the requests in line and at most one task taking them in batches, each
    batch's claims fenced by ``fence`` (see ``SharedPacer.take_batch``)."""

    def __init__(self, pacer: SharedPacer, fence: Fence) -> None:
        self._pacer = pacer
        self._fence = fence
        self._queues: dict[str, list[_Request]] = {}
        self._takers: dict[str, asyncio.Task[None]] = {}
        self._answered_late: dict[str, list[tuple[Taken, float]]] = {}

    def answered_late(self, job: Job, slot: Taken, answered: float) -> None:
        """The post on ``slot`` was answered late, at ``answered``: the workspace's next batch
        (started now if none is under way) makes its buckets count from then (see
        ``SharedPacer.take_batch``). One transaction for all that come together: a worker
        never waits for it, and a herd's first posts, all late, are not a transaction each."""
        key = job.workspace.key
        self._answered_late.setdefault(key, []).append((slot, answered))
        self._start(key)

    def _start(self, key: str) -> None:
        """A task taking the workspace's batches, unless one is under way."""
        self._queues.setdefault(key, [])
        if key not in self._takers:
            task = asyncio.create_task(self._run(key), name=f"send slots {key}")
            task.add_done_callback(log_if_failed)
            self._takers[key] = task

    async def take(self, job: Job, given_back: Taken | None = None) -> Result:
        """The job's slot, lost claim or a wait for its own conversation (see
        ``SharedPacer.take_batch``); a wait for the workspace is spent here, in line.
        ``given_back``: the job's previous slot, unused (put back by the first batch it is in).
        Raises the database's errors (after ``retrying``) to the caller."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        key = job.workspace.key
        self._queues.setdefault(key, []).append(_Request(job, future, given_back))
        self._start(key)
        return await future

    async def _run(self, key: str) -> None:
        """Take batches, fullest conversations first, until no request (and no late answer) is
        left; every future gets an answer (or is cancelled)."""
        queue = self._queues[key]
        try:
            while True:
                queue[:] = [request for request in queue if not request.future.done()]
                answered_late = self._answered_late.pop(key, [])
                if not queue and not answered_late:
                    return
                queue.sort(key=lambda request: request.job.priority)
                batch = queue[:MAX_BATCH]
                del queue[:MAX_BATCH]
                jobs = [request.job for request in batch]
                given_back = [r.given_back for r in batch if r.given_back is not None]
                for request in batch:  # put back at most once (twice could free a new slot)
                    request.given_back = None
                planned = self._pacer.wall()  # waits count from about here, not from the commit
                try:
                    results = await retrying(
                        partial(
                            self._pacer.take_batch, jobs, self._fence, given_back, answered_late
                        ),
                        what="taking send slots",
                    )
                except Exception as error:  # each worker sees it and retries on its own
                    # (late answers are dropped: pacing only, a 429 at worst)
                    for request in batch:
                        if not request.future.done():
                            request.future.set_exception(error)
                    continue
                waits: list[float] = []
                for request, result in zip(batch, results, strict=True):
                    if request.future.done():
                        continue
                    if isinstance(result, Wait) and result.workspace:
                        queue.append(request)  # keeps its place: sorted again next batch
                        waits.append(result.seconds)
                    else:
                        request.future.set_result(result)
                if waits:  # the workspace is full until then: ask again in time to plan ahead
                    wake = planned + min(waits) - self._pacer.horizon / 2
                    await asyncio.sleep(max(MIN_PAUSE, wake - self._pacer.wall()))
        finally:
            self._takers.pop(key, None)
            for request in queue:  # cancelled mid-batch: nobody waits forever
                if not request.future.done():
                    request.future.cancel()
            if self._queues.get(key) is queue:
                self._queues.pop(key, None)
