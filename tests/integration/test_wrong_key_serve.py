"""`quiet-hours serve` with a key that cannot read the held messages: one line, exit 2, nothing
touched; with the old key listed after the new one, every message is delivered once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from tests.conftest import TEST_KEY
from tests.integration import test_serve_faults
from tests.integration.test_serve_faults import Serve, delivered_texts, herd
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
slack = test_serve_faults.slack  # the sandbox Slack those serve processes talk to
NEW_KEY = "_3v06R5Tp_XTMOLp1t40tpQKXCy2PvYgh-Bgk11-jwE="  # tests only


async def held(sessions: Sessions) -> list[tuple[str, str, bytes | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(HeldMessageRow.id, HeldMessageRow.state, HeldMessageRow.body_enc).order_by(
                HeldMessageRow.id
            )
        )
        return [(row.id, row.state, row.body_enc) for row in rows]


async def test_serve_refuses_a_key_that_cannot_read_the_held_messages_and_loses_nothing(
    database_url: str, engine: object, sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    texts = await herd(sessions, cipher, slack, per_channel=1)  # due now, under TEST_KEY
    before = await held(sessions)
    serve = Serve(database_url, slack)
    # many workspaces (OAuth): the bot token is read from the database only when posting
    del serve.env["SLACK_BOT_TOKEN"]
    serve.env.update(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s", SLACK_SIGNING_SECRET="x")

    # only the new key: refused at start (schema upgrade included), one line, exit 2
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        env={**serve.env, "QUIET_HOURS_SECRET_KEY": NEW_KEY},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:  # it started: what did it do to the held messages?
            process.kill()
            await process.wait()
            assert await held(sessions) == before
    assert process.returncode == 2
    assert out == b""
    lines = err.decode().splitlines()
    assert "Traceback" not in err.decode()
    # the schema upgrade's log lines, then the one line that says what is wrong and what to do
    [line] = [line for line in lines if line.startswith("quiet-hours:")]
    assert line == lines[-1]
    assert line.startswith(
        "quiet-hours: QUIET_HOURS_SECRET_KEY cannot read the stored data "
        "(held messages, bot tokens): restore the key it was written with, or list the new "
        "and the old keys comma-separated (QUIET_HOURS_SECRET_KEY=NEW,OLD"
    )
    assert await held(sessions) == before  # nothing failed, erased or claimed
    assert slack.posted() == []

    # the new key first, the old one after it: ready, and every message delivered once
    serve.env["QUIET_HOURS_SECRET_KEY"] = f"{NEW_KEY},{TEST_KEY}"
    await serve.start()
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{serve.port}/readyz") as response,
        ):
            assert response.status == 200
            assert (await response.json())["keys"] == "ok"
        await until(lambda: sum(delivered_texts(slack).values()) >= len(texts), within=60)
        await asyncio.sleep(1)  # time for a duplicate to show up
    finally:
        await serve.kill()
    assert delivered_texts(slack) == Counter(texts)
