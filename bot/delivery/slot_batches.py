"""Send-slot requests gathered into batches, one batch per workspace at a time.

Every conversation's worker asks for its next send slot here; while one batch's transaction
runs (``SharedPacer.take_batch``), the requests that arrive wait and go together in the next.
So a workspace with hundreds of ready conversations pays one commit per batch, not one per
send, and its requests never race each other for the shared workspace bucket. Requests go
first come, first served.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.delivery.jobs import Job
from bot.delivery.pacing import Fence, Result, SharedPacer
from bot.delivery.supervise import log_if_failed
from bot.storage.retry import retrying

__all__ = ["MAX_BATCH", "SlotBatches"]

log = logging.getLogger(__name__)

#: At most this many requests per transaction.
MAX_BATCH = 100

_Request = tuple[Job, Fence, "asyncio.Future[Result]"]


class SlotBatches:
    """Per workspace: a queue of requests and at most one task taking them in batches."""

    def __init__(self, pacer: SharedPacer) -> None:
        self._pacer = pacer
        self._queues: dict[str, list[_Request]] = {}
        self._takers: dict[str, asyncio.Task[None]] = {}

    async def take(self, job: Job, fence: Fence) -> Result:
        """The job's slot, lost claim or wait (see ``SharedPacer.take_batch``); raises the
        database's errors (after ``retrying``) to the caller."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        key = job.workspace.key
        self._queues.setdefault(key, []).append((job, fence, future))
        if key not in self._takers:
            task = asyncio.create_task(self._run(key), name=f"send slots {key}")
            task.add_done_callback(log_if_failed)
            self._takers[key] = task
        return await future

    async def _run(self, key: str) -> None:
        """Take batches until the workspace's queue is empty; every future gets an answer."""
        queue = self._queues[key]
        try:
            while queue:
                batch = queue[:MAX_BATCH]
                del queue[:MAX_BATCH]
                requests = [(job, fence) for job, fence, future in batch if not future.done()]
                futures = [future for _job, _fence, future in batch if not future.done()]
                if not requests:
                    continue
                try:
                    results = await retrying(
                        partial(self._pacer.take_batch, requests), what="taking send slots"
                    )
                except Exception as error:  # each worker sees it and retries on its own
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for future, result in zip(futures, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._takers.pop(key, None)
            for _job, _fence, future in queue:  # cancelled mid-batch: nobody waits forever
                if not future.done():
                    future.cancel()
            if not queue:
                self._queues.pop(key, None)
