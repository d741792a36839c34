"""The composition root: builds engines, ciphers and the web app from typed settings."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine
from bot.storage.migrate import upgrade
from bot.web import build_app

__all__ = ["serve"]

log = logging.getLogger(__name__)

#: Graceful shutdown budget: in-flight requests get this long before the process exits.
SHUTDOWN_SECONDS = 8.0


async def serve(settings: Settings, *, host: str = "0.0.0.0", migrate: bool = True) -> None:
    """Run the web app until SIGINT/SIGTERM, then shut down within the budget."""
    Cipher.from_secret(settings.require_secret_key())  # fail fast on a missing or bad key
    engine = create_engine(settings.database_url)
    try:
        if migrate:
            await upgrade(engine)
        app = build_app(engine=engine)
        runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        site = web.TCPSite(runner, host, settings.port)
        await site.start()
        log.info("Quiet Hours listening on %s:%d", host, settings.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            await runner.cleanup()
    finally:
        await engine.dispose()
