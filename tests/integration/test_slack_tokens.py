"""Slack tokens read from our store: a herd's posts asking together read the token once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.slack.tokens import StoredTokens
from bot.storage.crypto import Cipher
from tests.support.slack import install_workspace

NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)


async def test_posts_asking_together_read_the_token_once_with_one_connection(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], cipher: Cipher
) -> None:
    await install_workspace(sessions, cipher, token="xoxb-herd", now=NOW)
    clock = [0.0]
    tokens = StoredTokens(sessions, cipher, ttl=30.0, monotonic=lambda: clock[0])
    checkouts = []

    def checked_out(*_: Any) -> None:
        checkouts.append(1)

    event.listen(engine.sync_engine, "checkout", checked_out)
    try:
        # a Monday herd's first 100 posts, then the same once the cached token has expired:
        # one read each time, not one connection per post (which opened the whole pool)
        for expired in (0.0, 31.0):
            clock[0] = expired
            checkouts.clear()
            found = await asyncio.gather(*(tokens("T1", None) for _ in range(100)))
            assert found == ["xoxb-herd"] * 100
            assert len(checkouts) == 1
    finally:
        event.remove(engine.sync_engine, "checkout", checked_out)
