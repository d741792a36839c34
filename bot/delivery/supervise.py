"""Background tasks that cannot die silently: a crash is logged and the task restarted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["log_if_failed", "supervised"]

log = logging.getLogger(__name__)


async def supervised(
    name: str,
    body: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    restart_seconds: float = 1.0,
) -> None:
    """Run ``body`` until ``stop`` is set; if it raises, log the error and run it again.

    ``body`` returning normally ends supervision. Cancellation passes through.
    """
    crashes = 0
    while not stop.is_set():
        try:
            await body()
            return
        except Exception:
            crashes += 1
            log.exception("%s crashed (%d times); restarting", name, crashes)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(30.0, restart_seconds * crashes))


def log_if_failed(task: asyncio.Task[None]) -> None:
    """A done-callback: a task that ended with an exception is logged (and so retrieved)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s ended with an error", task.get_name(), exc_info=error)
