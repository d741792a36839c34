"""The periodic jobs of ``serve`` (APScheduler only ticks them), each stoppable at shutdown.

Every job is idempotent and claim-based or bounded, so every replica may run it; the job store
stays in memory, never shared between processes. A run still in flight when the process stops
is cancelled by :meth:`StoppableJob.stop` and said in one line — left to ``asyncio.run`` it
would be cancelled anyway, after the database engine is gone, and APScheduler would log the
``CancelledError`` with a traceback. :func:`add_jobs` is the one place jobs are scheduled, so
none is left out of that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = [
    "DIGEST_TICK_SECONDS",
    "RETENTION_FIRST_DELAY_SECONDS",
    "RETENTION_TICK_SECONDS",
    "StoppableJob",
    "add_jobs",
    "stop_jobs",
]

log = logging.getLogger(__name__)

#: How often due digests are looked for (they go out within this of their time).
DIGEST_TICK_SECONDS = 30
#: The retention clean-up runs daily, the first time shortly after start.
RETENTION_TICK_SECONDS = 24 * 3600
RETENTION_FIRST_DELAY_SECONDS = 60

Job = Callable[[], Awaitable[object]]


class StoppableJob:
    """One periodic job as APScheduler calls it (a coroutine function), stoppable at shutdown.

    ``steps`` run one after another in each run (the digest tick also sends the weekly team
    insight and asks leaders the guard's questions: all idempotent and claim-based).
    """

    def __init__(self, name: str, *steps: Job) -> None:
        self.name = name
        self._steps = steps
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False

    async def run(self) -> None:
        """One run of every step; cut short only by :meth:`stop` (then one WARNING line)."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            for step in self._steps:
                await step()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.warning("a %s run was interrupted by the shutdown", self.name)
        finally:
            self._running.discard(task)

    async def stop(self) -> None:
        """Cancel the run in flight, if any, and wait for it to end."""
        self._stopping = True
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def add_jobs(
    scheduler: AsyncIOScheduler,
    *,
    now: datetime,
    digest: Iterable[Job],
    retention: Job,
    refresh: Job,
    refresh_seconds: float,
) -> list[StoppableJob]:
    """Schedule ``serve``'s jobs; returns them for :func:`stop_jobs` at shutdown.

    ``digest``: the digest tick's steps, every :data:`DIGEST_TICK_SECONDS` from ``now``;
    ``retention``: the daily clean-up, first after :data:`RETENTION_FIRST_DELAY_SECONDS`;
    ``refresh``: the platform-defaults refresh (zones, schedules, Outlook automatic replies),
    one bounded batch every ``refresh_seconds``, the first one ``refresh_seconds`` after ``now``.
    """
    plan = [
        (StoppableJob("digest", *digest), "digests", DIGEST_TICK_SECONDS, 0.0),
        (
            StoppableJob("retention", retention),
            "retention",
            RETENTION_TICK_SECONDS,
            RETENTION_FIRST_DELAY_SECONDS,
        ),
        (
            StoppableJob("platform-defaults refresh", refresh),
            "platform_defaults",
            refresh_seconds,
            refresh_seconds,
        ),
    ]
    for job, job_id, every, first in plan:
        scheduler.add_job(
            job.run,
            "interval",
            seconds=every,
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=now + timedelta(seconds=first),
        )
    return [job for job, *_ in plan]


async def stop_jobs(jobs: Iterable[StoppableJob]) -> None:
    """Stop every job's run in flight (before the engine is disposed under it)."""
    await asyncio.gather(*(job.stop() for job in jobs))
