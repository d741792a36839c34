"""One load at a time per key: callers asking while it runs share its answer.

The in-memory snapshots read on every event (the watched channels, who uses auto-hold) expire
every few seconds; without this, every request in flight at that moment read them again —
sixteen copies of the same queries at once, on the path Slack times to 3 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Runs ``load()`` for a key once at a time; callers meanwhile get the same result (or
    error). A caller that is cancelled does not cancel the load for the others."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(load())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(running)

    def forget(self, key: K) -> None:
        """The next caller starts a new load (the one running still answers its waiters)."""
        self._running.pop(key, None)

    def _finished(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here too: every waiter may have gone
