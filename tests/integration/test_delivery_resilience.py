"""The delivery loop outlives a database that is briefly busy, away, or deadlocked."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from bot.clock import FixedClock
from bot.storage.crypto import Cipher
from tests.integration.test_delivery import (
    MONDAY_8,
    engine_for,
    hold,
    install,
    slack,  # noqa: F401 (the fixture)
    states,
)
from tests.support.pg_faults import fail_recording

Sessions = async_sessionmaker[AsyncSession]


class FlakySessions:
    """A session factory whose first ``failures`` sessions fail as a locked SQLite would."""

    def __init__(self, sessions: Sessions, failures: int) -> None:
        self._sessions = sessions
        self.failures = failures

    def __call__(self) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("UPDATE held_messages", {}, Exception("database is locked"))
        return self._sessions()


async def test_a_failed_claim_does_not_stop_delivery(
    sessions: Sessions,
    cipher: Cipher,
    slack: FakeSlack,  # noqa: F811 (the fixture)
) -> None:
    workspace = await install(sessions, cipher)
    await hold(sessions, cipher, workspace, "C1", "after the outage")
    flaky = FlakySessions(sessions, failures=3)  # the gauges, then claims, fail
    engine = engine_for(flaky, cipher, slack, FixedClock(MONDAY_8))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        for _ in range(100):
            if (await states(sessions, cipher)).get("delivered") == 1 or task.done():
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert flaky.failures == 0
    assert [m.body for m in slack.posted("C1")] == ["after the outage"]


@pytest.mark.parametrize("errcode", ["40P01", "40001"])
async def test_a_deadlock_while_recording_is_retried_nothing_lost_or_posted_twice(
    database_url: str,
    sessions: Sessions,
    cipher: Cipher,
    slack: FakeSlack,  # noqa: F811 (the fixture)
    errcode: str,
) -> None:
    """PostgreSQL aborts the first three transactions that record deliveries (a deadlock
    victim, a serialization failure): each is retried, so every row ends ``delivered`` at once —
    not left ``delivering`` until its lease lapses — and each message is posted exactly once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL picks deadlock victims; SQLite has one writer")
    await fail_recording(sessions, share=1.0, errcode=errcode, limit=3)
    workspace = await install(sessions, cipher)
    for n in range(40):
        await hold(sessions, cipher, workspace, f"C{n % 3 + 1}", f"m{n}")
    engine = engine_for(sessions, cipher, slack, FixedClock(MONDAY_8), conversation_limits={})
    await engine.run_until_idle()
    assert Counter(m.body for m in slack.posted()) == Counter(f"m{n}" for n in range(40))
    assert await states(sessions, cipher) == {"delivered": 40}
    assert slack.calls_to("conversations.history") == []  # nothing needed recovering
