"""The delivery loop outlives a database that is briefly busy or away."""

from __future__ import annotations

import asyncio
from typing import Any

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
