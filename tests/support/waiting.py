"""Waiting for work that runs after an acknowledgement (listeners, background tasks)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["until", "until_async"]


async def until(predicate: Callable[[], object], within: float = 5.0, step: float = 0.02) -> None:
    """Return once ``predicate()`` is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


async def until_async(
    predicate: Callable[[], Awaitable[object]], within: float = 5.0, step: float = 0.02
) -> None:
    """:func:`until` for a predicate that must itself await (a database read)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")
