"""POST /slack/events over real HTTP: signatures, bad bodies, retries, messages, uninstalls."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, func, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.events import SlackEvents
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.services.erase import NO_WORKSPACE_DATA
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ActivityRow
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import WorkspaceRepository
from bot.web import build_app
from tests.support.outage import DatabaseOutage
from tests.support.rawhttp import raw_request
from tests.support.signing import slack_headers
from tests.support.slack import fake_slack, install_workspace, is_guard
from tests.support.slack_app import shared_payload
from tests.support.waiting import until, until_async

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-events"
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


def payload(name: str) -> dict[str, Any]:
    return shared_payload(name)


def saturday_message(event_id: str = "Ev1", thread_ts: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(payload("test_message__message_body.json"))
    body["team_id"] = "T1"
    body["event_id"] = event_id
    body["event"].update(
        {
            "channel": "C_TEAM",
            "user": "U_OLA",
            "ts": f"{SATURDAY.timestamp():.6f}",
            "text": "Vi går for alternativ B",
            "team": "T1",
        }
    )
    if thread_ts:
        body["event"]["thread_ts"] = thread_ts
    return body


@pytest.fixture
async def client(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[tuple[aiohttp.ClientSession, str, FakeSlack]]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_channel("C_TEAM")
    await slack.start()
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="label")
    tokens = StoredTokens(sessions, cipher)
    platform = SlackPlatform(token_for=tokens, base_url=slack.url)
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    SlackEvents(
        signing_secret=SECRET,
        sessions=sessions,
        cipher=cipher,
        tokens=tokens,
        watcher=OffHoursWatcher(sessions=sessions, platforms={"slack": platform}, cipher=cipher),
        clock=FixedClock(SATURDAY),
        api_url=slack.url,
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield http, str(server.make_url("/slack/events")), slack
    finally:
        await server.close()
        await platform.close()
        await slack.stop()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    async with http.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def test_url_verification(client: tuple[aiohttp.ClientSession, str, FakeSlack]) -> None:
    http, url, _ = client
    body = json.dumps(payload("test_events_url_verification__event_body.json")).encode()
    status, text = await post(http, url, body, slack_headers(SECRET, body))
    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


@pytest.mark.parametrize("tamper", ["signature", "stale", "unsigned"])
async def test_bad_signatures_get_401(
    client: tuple[aiohttp.ClientSession, str, FakeSlack], tamper: str
) -> None:
    http, url, _ = client
    body = json.dumps(saturday_message()).encode()
    headers = slack_headers(SECRET, body)
    if tamper == "signature":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-4] + "0000"
    elif tamper == "stale":
        headers = slack_headers(SECRET, body, timestamp=int(time.time()) - 60 * 10)
    else:
        headers = {"Content-Type": "application/json"}
    assert (await post(http, url, body, headers))[0] == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"hello=world", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ],
)
async def test_signed_garbage_gets_a_4xx_never_a_500(
    client: tuple[aiohttp.ClientSession, str, FakeSlack], body: bytes, content_type: str
) -> None:
    http, url, _ = client
    status, _text = await post(
        http, url, body, slack_headers(SECRET, body, content_type=content_type)
    )
    assert 400 <= status < 500


async def test_off_hours_message_is_labelled_and_a_retry_has_one_effect(
    client: tuple[aiohttp.ClientSession, str, FakeSlack], sessions: Sessions
) -> None:
    http, url, slack = client
    body = json.dumps(saturday_message("EvSame")).encode()
    first = await post(http, url, body, slack_headers(SECRET, body))
    retry_headers = {
        **slack_headers(SECRET, body),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    second = await post(http, url, body, retry_headers)
    assert first[0] == second[0] == 200
    await until(lambda: any(m.thread_ts for m in slack.posted("C_TEAM")))
    await asyncio.sleep(0.3)
    # the message reads like a decision: the decision guard replies too (tests/e2e/…guard…)
    labels = [m for m in slack.posted("C_TEAM") if m.thread_ts and not is_guard(m)]
    assert len(labels) == 1
    # Monday 08:00 in Oslo, shown to each reader in their own zone (Slack's date token)
    assert labels[0].text == (
        "No reply expected — replies are due from "
        "<!date^1796022000^{date_short_pretty} {time}|Mon 08:00 Europe/Oslo>."
    )
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(ActivityRow))).scalar()
    assert count == 1


async def rows_left(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table, for every table that can hold a workspace's data."""

    def count(connection: Connection) -> dict[str, int]:
        names = set(inspect(connection).get_table_names()) - set(NO_WORKSPACE_DATA)
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in sorted(names)
        }

    async with engine.connect() as connection:
        return await connection.run_sync(count)


@pytest.mark.parametrize(
    "event_file",
    ["test_events__app_uninstalled_body.json", "test_events__tokens_revoked_body.json"],
)
async def test_uninstalling_erases_everything_of_the_workspace(
    client: tuple[aiohttp.ClientSession, str, FakeSlack],
    engine: AsyncEngine,
    sessions: Sessions,
    cipher: Cipher,
    event_file: str,
) -> None:
    http, url, _ = client
    # Saturday: a thread in the team's channel (activity, a label, its first line kept for the
    # digest) and a message held for Monday
    body = json.dumps(saturday_message()).encode()
    assert (await post(http, url, body, slack_headers(SECRET, body)))[0] == 200
    await until_async(lambda: rows_left_in(engine, "thread_excerpts"))
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("slack", "T1")
        assert workspace is not None
        await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace.id,
            conversation_id="C_TEAM",
            author_id="U_OLA",
            body="secret plans",
            deliver_at=SATURDAY,
            now=SATURDAY,
        )
    # the app is uninstalled (or its bot token revoked): nothing of the workspace is kept
    event = payload(event_file)
    event["team_id"] = "T1"
    event["event"].get("tokens", {}).pop("oauth", None)
    body = json.dumps(event).encode()
    assert (await post(http, url, body, slack_headers(SECRET, body)))[0] == 200
    await until_async(lambda: rows_left_in(engine, "workspaces", none=True))
    assert {name: n for name, n in (await rows_left(engine)).items() if n} == {}


async def rows_left_in(engine: AsyncEngine, name: str, *, none: bool = False) -> bool:
    left = (await rows_left(engine))[name]
    return left == 0 if none else left > 0


def deep_json(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    "case",
    ["timestamp-abc", "non-ascii-signature", "duplicated-headers", "deep-json", "deep-form"],
)
async def test_malformed_requests_get_a_4xx_and_one_line_without_a_traceback(
    client: tuple[aiohttp.ClientSession, str, FakeSlack],
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http, url, _ = client
    body = json.dumps(saturday_message()).encode()
    headers: Any = slack_headers(SECRET, body)
    if case == "timestamp-abc":
        headers["X-Slack-Request-Timestamp"] = "abc"
    elif case == "non-ascii-signature":
        headers["X-Slack-Signature"] = "v0=" + "é" * 64
    elif case == "duplicated-headers":
        headers = [*headers.items(), ("X-Slack-Signature", headers["X-Slack-Signature"])]
    elif case == "deep-json":
        body = deep_json(100_000)
        headers = slack_headers(SECRET, body)
    else:
        body = b"payload=" + deep_json(100_000).replace(b"{", b"%7B").replace(b"}", b"%7D")
        headers = slack_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
    with caplog.at_level("INFO"):
        async with http.post(url, data=body, headers=headers) as response:
            status = response.status
    assert 400 <= status < 500
    assert [record for record in caplog.records if record.exc_info] == []
    refusals = [record for record in caplog.records if "refused" in record.getMessage()]
    assert len(refusals) == 1


async def _raw_post(url: str, head: dict[str, str], body_prefix: bytes, length: int) -> bytes:
    """Send the headers and only the start of a ``length``-byte body; the status line."""
    pairs = [(name.encode(), value.encode()) for name, value in head.items()]
    return await raw_request(url, pairs, body_prefix, length=length, wait=5)


@pytest.mark.parametrize("tamper", ["unsigned", "stale", "signature-shaped-wrong"])
async def test_unsigned_or_stale_posts_are_refused_before_their_body_is_read(
    client: tuple[aiohttp.ClientSession, str, FakeSlack], tamper: str
) -> None:
    """The server answers while the client is still sending: the body was never waited for."""
    _, url, _ = client
    head = {"Content-Type": "application/json"}
    if tamper == "stale":
        head.update(slack_headers(SECRET, b"{}", timestamp=int(time.time()) - 600))
    elif tamper == "signature-shaped-wrong":
        head.update({"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "x"})
    status_line = await _raw_post(url, head, b'{"type": "event_callback", ', 1024 * 1024)
    assert status_line.startswith(b"HTTP/1.1 401"), status_line


async def test_a_body_over_the_limit_is_refused_by_its_length(
    client: tuple[aiohttp.ClientSession, str, FakeSlack],
) -> None:
    _, url, _ = client
    head = slack_headers(SECRET, b"{}")
    status_line = await _raw_post(url, head, b"{", 50 * 1024 * 1024)
    assert status_line.startswith(b"HTTP/1.1 413"), status_line


async def test_an_event_arriving_while_the_database_is_down_is_retried_and_stored_once(
    database_url: str, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """Never acknowledge what is not durable: 503 + Retry-After while the database is away
    (so Slack retries), then the retry is stored — once, however often Slack sends it."""
    outage = DatabaseOutage(database_url)
    app_engine = create_engine(await outage.url())
    app_sessions = session_factory(app_engine)
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_channel("C_TEAM")
    await slack.start()
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="label")
    tokens = StoredTokens(app_sessions, cipher)
    platform = SlackPlatform(token_for=tokens, base_url=slack.url)
    app = build_app(engine=app_engine, delivery_metrics=DeliveryMetrics())
    SlackEvents(
        signing_secret=SECRET,
        sessions=app_sessions,
        cipher=cipher,
        tokens=tokens,
        watcher=OffHoursWatcher(sessions=app_sessions, platforms={"slack": platform}),
        clock=FixedClock(SATURDAY),
        api_url=slack.url,
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("/slack/events"))
    try:
        async with aiohttp.ClientSession() as http:
            warm = json.dumps(saturday_message("EvWarm", thread_ts="1700000000.000100")).encode()
            assert (await post(http, url, warm, slack_headers(SECRET, warm)))[0] == 200
            body = json.dumps(saturday_message("EvBlip")).encode()
            await outage.down(app_engine)
            async with http.post(url, data=body, headers=slack_headers(SECRET, body)) as response:
                assert response.status == 503
                assert int(response.headers["Retry-After"]) > 0
            await outage.up()
            for retry in ("1", "2"):
                headers = {**slack_headers(SECRET, body), "X-Slack-Retry-Num": retry}
                assert (await post(http, url, body, headers))[0] == 200
            ts = saturday_message()["event"]["ts"]
            await until(lambda: any(m.thread_ts == ts for m in slack.posted("C_TEAM")))
            await asyncio.sleep(0.3)
    finally:
        await server.close()
        await platform.close()
        await slack.stop()
        await app_engine.dispose()
        await outage.close()
    assert len([m for m in slack.posted("C_TEAM") if m.thread_ts == ts and not is_guard(m)]) == 1
    async with sessions() as session:
        threads = (await session.scalars(select(ActivityRow.thread_id))).all()
    assert sorted(threads) == sorted(["1700000000.000100", ts])
