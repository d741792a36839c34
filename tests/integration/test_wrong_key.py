"""A key that cannot read the stored data loses nothing: nothing is failed or erased for it, and
the server refuses to become ready until the right key is back (alone or listed after the new).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.oauth import EncryptedInstallationStore
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.cli import main
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import Backoff
from bot.delivery.sender import UNREADABLE_RETRY_SECONDS
from bot.metrics import DeliveryMetrics
from bot.services.digest import DigestService
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.keycheck import check_keys
from bot.storage.models import HeldMessageRow, ThreadExcerptRow
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ExcerptRepository,
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from bot.web import add_readiness_check, build_app, keys_ready
from tests.conftest import TEST_KEY
from tests.support.slack import fake_slack

Sessions = async_sessionmaker[AsyncSession]

KEY_A = TEST_KEY  # what the data was written with
KEY_B = "_3v06R5Tp_XTMOLp1t40tpQKXCy2PvYgh-Bgk11-jwE="  # a new key, tests only
A, B, B_THEN_A = (Cipher.from_secret(k) for k in (KEY_A, KEY_B, f"{KEY_B},{KEY_A}"))
TOKEN = "xoxb-keys"
FRIDAY = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
MONDAY_8 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
TEXT = "Kan du se på kontrakten?"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = fake_slack(bot_token=TOKEN, team_id="T1")
    server.add_user("U_KARI", "Kari")
    server.add_channel("C1")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def install_and_hold(sessions: Sessions, *, token_key: Cipher, body_key: Cipher) -> str:
    """A Slack workspace (bot token under ``token_key``), one message held under ``body_key``."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T1", now=FRIDAY)
        await InstallationRepository(session, token_key).save(
            workspace.id, bot_token=TOKEN, now=FRIDAY
        )
        await PersonRepository(session).get_or_create(workspace.id, "U_KARI", now=FRIDAY)
        row = await HeldMessageRepository(session, body_key).add(
            workspace_id=workspace.id,
            conversation_id="C1",
            author_id="U_KARI",
            body=TEXT,
            deliver_at=MONDAY_8,
            now=FRIDAY,
        )
        return row.id


async def held_row(sessions: Sessions, held_id: str) -> HeldMessageRow:
    async with sessions() as session:
        row = await session.get(HeldMessageRow, held_id)
        assert row is not None
        return row


def engine_with(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack, clock: FixedClock
) -> tuple[DeliveryEngine, SlackPlatform]:
    platform = SlackPlatform(token_for=StoredTokens(sessions, cipher, ttl=0), base_url=slack.url)
    engine = DeliveryEngine(
        sessions=sessions,
        cipher=cipher,
        platforms={"slack": platform},
        clock=clock,
        owner="keys",
        metrics=DeliveryMetrics(),
        config=EngineConfig(backoff=Backoff(base=0.01, cap=0.02), max_attempts=3),
    )
    return engine, platform


@pytest.mark.parametrize(
    ("unreadable", "right"),
    [("body", KEY_A), ("body", f"{KEY_B},{KEY_A}"), ("token", f"{KEY_B},{KEY_A}")],
    ids=["all under A, A restored", "all under A, B,A listed", "token under A, B,A listed"],
)
async def test_a_message_the_keys_cannot_read_is_kept_until_the_right_key_is_back(
    sessions: Sessions, slack: FakeSlack, unreadable: str, right: str
) -> None:
    # everything written under key A (or: the body since under B, the bot token still under
    # A); the server now has only B
    held_id = await install_and_hold(
        sessions, token_key=A, body_key=A if unreadable == "body" else B_THEN_A
    )
    before = await held_row(sessions, held_id)
    clock = FixedClock(MONDAY_8)
    wrong, platform = engine_with(sessions, B, slack, clock)
    # Monday, and long after: more tries than max_attempts, and nothing is lost
    for _ in range(5):
        await wrong.run_until_idle()
        clock.advance(timedelta(seconds=UNREADABLE_RETRY_SECONDS))
    await platform.close()
    after = await held_row(sessions, held_id)
    assert (after.state, after.body_enc) == ("held", before.body_enc)
    assert after.attempts == 0  # never counted towards failing it
    assert after.last_error == "undecryptable"
    assert slack.posted() == []  # nothing posted, nobody told it failed
    assert slack.calls_to("chat.postEphemeral") == []
    assert wrong.metrics.undecryptable._value.get() == 5

    # the operator restores the old key (alone, or after the new one): delivered, once
    fixed, platform = engine_with(sessions, Cipher.from_secret(right), slack, clock)
    await fixed.run_until_idle()
    await fixed.run_until_idle()
    await platform.close()
    [delivered] = slack.posted("C1")
    assert delivered.text.endswith(TEXT)
    assert (await held_row(sessions, held_id)).state == "delivered"


async def test_a_digest_never_erases_a_first_line_the_keys_cannot_read(
    sessions: Sessions, slack: FakeSlack
) -> None:
    clock = FixedClock(SATURDAY)
    async with sessions() as session, session.begin():
        ws = await WorkspaceRepository(session).get_or_create("slack", "T1", now=FRIDAY)
        await InstallationRepository(session, B).save(ws.id, bot_token=TOKEN, now=FRIDAY)
        teams = TeamRepository(session)
        team = await teams.create(
            ws.id,
            "Platform",
            now=FRIDAY,
            mode="label",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await teams.watch(team, "C1")
    platform = SlackPlatform(token_for=StoredTokens(sessions, B, ttl=0), base_url=slack.url)
    # Saturday's thread, its first line kept under key A
    root = slack.user_writes("C1", "U_KARI", "Skal vi bytte leverandør?")
    await OffHoursWatcher(sessions=sessions, platforms={"slack": platform}, cipher=A).on_message(
        ChannelMessage(
            platform="slack",
            workspace="T1",
            conversation="C1",
            thread=root.ts,
            author="U_KARI",
            at=SATURDAY,
            text="Skal vi bytte leverandør?",
            is_thread_root=True,
        )
    )
    async with sessions() as session:
        [kept] = (await session.scalars(select(ThreadExcerptRow.excerpt_enc))).all()
    # Monday: a server with only key B posts the digest, without that line, and keeps it
    clock.set(MONDAY_8)
    digests = DigestService(
        sessions=sessions, platforms={"slack": platform}, clock=clock, owner="d", cipher=B
    )
    [run] = await digests.run_due()
    await platform.close()
    assert run.posted == 1
    async with sessions() as session:
        assert (await session.scalars(select(ThreadExcerptRow.excerpt_enc))).all() == [kept]
    assert A.decrypt(kept) == "Skal vi bytte leverandør?"


async def _store_every_kind(sessions: Sessions, engine: AsyncEngine, cipher: Cipher) -> None:
    """One value of each encrypted kind, under ``cipher``: a held body, a bot token, a thread's
    first line, and an OAuth install (slack-sdk's tables, and Kari's user token on her row)."""
    await install_and_hold(sessions, token_key=cipher, body_key=cipher)
    async with sessions() as session, session.begin():
        ws = await WorkspaceRepository(session).find("slack", "T1")
        assert ws is not None
        await ExcerptRepository(session, cipher).remember(
            ws.id, "C1", "1.0", "first line", now=FRIDAY, keep=timedelta(days=14)
        )
    store = EncryptedInstallationStore(
        client_id="1.2", engine=engine, sessions=sessions, cipher=cipher, clock=FixedClock(FRIDAY)
    )
    await store.async_save(
        Installation(
            app_id="A1",
            team_id="T1",
            user_id="U_KARI",
            bot_token=TOKEN,
            bot_id="B1",
            bot_user_id="U_BOT",
            user_token="xoxp-kari",
        )
    )


async def test_the_probe_reads_one_sample_of_every_kind(
    sessions: Sessions, engine: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        assert (await check_keys(connection, B)).ok  # nothing stored: any key is right
    await _store_every_kind(sessions, engine, A)
    async with engine.connect() as connection:
        wrong = await check_keys(connection, B)
        assert wrong.unreadable == (
            "held messages",
            "thread first lines",
            "bot tokens",
            "user tokens",
            "Slack install tokens",
        )
        assert (await check_keys(connection, B_THEN_A)).ok
        assert (await check_keys(connection, A)).ok


async def test_readyz_says_the_keys_cannot_read_the_stored_data(
    sessions: Sessions, engine: AsyncEngine
) -> None:
    async def readyz(cipher: Cipher) -> tuple[int, dict[str, str]]:
        app = build_app(
            engine=engine, delivery_metrics=DeliveryMetrics(), platforms={"slack": "http"}
        )
        add_readiness_check(app, keys_ready(cipher))
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/readyz")
            return response.status, await response.json()

    status, body = await readyz(B)  # nothing stored yet: any key can read it
    assert (status, body["status"], body["keys"]) == (200, "ready", "ok")
    await install_and_hold(sessions, token_key=A, body_key=A)
    status, body = await readyz(B)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["keys"].startswith("QUIET_HOURS_SECRET_KEY cannot read the stored data")
    assert "NEW,OLD" in body["keys"]
    assert body["problems"] == [body["keys"]]
    for right in (A, B_THEN_A):
        status, body = await readyz(right)
        assert (status, body["status"], body["keys"]) == (200, "ready", "ok")


async def test_rotate_keys_without_the_old_key_changes_nothing_and_says_what_to_do(
    database_url: str,
    sessions: Sessions,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    held_id = await install_and_hold(sessions, token_key=A, body_key=A)
    before = await held_row(sessions, held_id)
    monkeypatch.setenv("QUIET_HOURS_SECRET_KEY", KEY_B)
    # the CLI runs its own event loop
    code = await asyncio.to_thread(main, ["rotate-keys", "--database-url", database_url])
    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("quiet-hours: nothing re-encrypted: QUIET_HOURS_SECRET_KEY cannot read")
    assert "NEW,OLD" in line
    after = await held_row(sessions, held_id)
    assert (after.state, after.body_enc) == ("held", before.body_enc)
    monkeypatch.setenv("QUIET_HOURS_SECRET_KEY", f"{KEY_B},{KEY_A}")
    assert await asyncio.to_thread(main, ["rotate-keys", "--database-url", database_url]) == 0
    assert B.decrypt((await held_row(sessions, held_id)).body_enc or b"") == TEXT
