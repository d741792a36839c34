"""What both demos need around the real app: a throwaway database and the app on loopback."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

__all__ = ["in_demo_database", "served"]


async def in_demo_database(
    database_url: str | None, run: Callable[[str, str], Awaitable[int]]
) -> int:
    """``run(url, shown)`` on ``database_url``, or without one on a SQLite file in a new
    temporary directory that is removed when the run ends, however it ends (done, failed, or
    Ctrl-C); ``shown`` says which, for the timeline. Returns what ``run`` returns."""
    if database_url is not None:
        return await run(database_url, database_url)
    with tempfile.TemporaryDirectory(prefix="quiet-hours-demo-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'demo.db'}"
        return await run(url, "a temporary SQLite file, removed at the end")


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """``app`` listening on a free port of 127.0.0.1 (no access log); yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
