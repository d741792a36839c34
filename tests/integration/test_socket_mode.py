"""Socket Mode over a real websocket: envelopes reach the same listeners and are acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket as sockets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.events import DURABLE_EVENTS, SlackEvents
from adapters.slack.platform import SlackPlatform
from adapters.slack.socket_mode import SlackSocketMode
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ActivityRow
from bot.web import build_app
from tests.conftest import TEST_KEY
from tests.support.outage import DatabaseOutage
from tests.support.slack import check_call_with_socket_mode, fake_slack, install_workspace
from tests.support.slack_app import shared_payload
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-socket"
APP_TOKEN = "xapp-1-A_QUIET-socket"
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


class SocketModeServer:
    """Slack's end of a Socket Mode websocket: says hello, pushes envelopes, collects acks."""

    def __init__(self) -> None:
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/link", self._connect)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = getattr(server, "sockets", [])[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link?ticket=t1"
        return self.url

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A_QUIET"}}
        )
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.put_nowait(json.loads(message.data))
        return socket

    async def push(self, envelope: dict[str, Any]) -> None:
        await asyncio.wait_for(self.connected.wait(), 5)
        assert self._socket is not None
        await self._socket.send_json(envelope)

    async def ack(self, within: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.acks.get(), within)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()


def saturday_message(event_id: str) -> dict[str, Any]:
    body = shared_payload("test_message__message_body.json")
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
    return dict(body)


def envelope(envelope_id: str, payload: dict[str, Any], retry: int = 0) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": payload,
    }


@dataclass
class Setup:
    slack: FakeSlack
    server: SocketModeServer
    events: SlackEvents


@pytest.fixture
async def setup(engine: AsyncEngine, sessions: Sessions, cipher: Cipher) -> AsyncIterator[Setup]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1", validator=check_call_with_socket_mode)
    slack.add_channel("C_TEAM")
    slack.app_tokens.add(APP_TOKEN)
    await slack.start()
    server = SocketModeServer()
    slack.socket_mode_url = await server.start()
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="label")
    tokens = StoredTokens(sessions, cipher)
    platform = SlackPlatform(token_for=tokens, base_url=slack.url)
    events = SlackEvents(
        signing_secret="unused-in-socket-mode",
        sessions=sessions,
        cipher=cipher,
        tokens=tokens,
        watcher=OffHoursWatcher(sessions=sessions, platforms={"slack": platform}),
        clock=FixedClock(SATURDAY),
        api_url=slack.url,
    )
    try:
        yield Setup(slack, server, events)
    finally:
        await server.stop()
        await platform.close()
        await slack.stop()


async def test_an_event_envelope_is_acknowledged_and_handled_like_http(
    setup: Setup, sessions: Sessions
) -> None:
    socket = SlackSocketMode(bolt=setup.events.bolt, app_token=APP_TOKEN, api_url=setup.slack.url)
    await socket.start()
    try:
        assert socket.connected
        [opened] = setup.slack.calls_to("apps.connections.open")
        assert opened.token == APP_TOKEN

        await setup.server.push(envelope("env-1", saturday_message("EvSocket")))
        assert await setup.server.ack() == {"envelope_id": "env-1"}
        # Slack redelivers what it thinks was not acknowledged: acked again, one effect
        await setup.server.push(envelope("env-2", saturday_message("EvSocket"), retry=1))
        assert await setup.server.ack() == {"envelope_id": "env-2"}

        await until(lambda: sum(1 for m in setup.slack.posted("C_TEAM") if m.thread_ts) >= 2)
        await asyncio.sleep(0.3)
    finally:
        await socket.stop()
    replies = [m for m in setup.slack.posted("C_TEAM") if m.thread_ts]
    # the redelivered envelope changed nothing: one label, and one guard for the decision
    # the message reads as ("Vi går for alternativ B")
    labels = [m for m in replies if m.text.startswith("No reply expected")]
    guards = [m for m in replies if "decision made outside working hours" in m.text]
    assert len(labels) == 1
    assert len(guards) == 1
    assert len(replies) == 2
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(ActivityRow))).scalar()
    assert count == 1
    assert not socket.connected


async def test_an_event_during_a_database_outage_is_not_acknowledged_and_its_redelivery_counts(
    database_url: str, setup: Setup, sessions: Sessions, cipher: Cipher
) -> None:
    """Socket Mode, like HTTP, acknowledges an effectful event only once it is stored: while
    the database is away the envelope stays unacknowledged, so Slack sends it again."""
    outage = DatabaseOutage(database_url)
    app_engine = create_engine(await outage.url())
    tokens = StoredTokens(session_factory(app_engine), cipher)
    await tokens("T1", None)  # the token cache is warm, as in the field report
    platform = SlackPlatform(token_for=tokens, base_url=setup.slack.url)
    events = SlackEvents(
        signing_secret="unused-in-socket-mode",
        sessions=session_factory(app_engine),
        cipher=cipher,
        tokens=tokens,
        watcher=OffHoursWatcher(
            sessions=session_factory(app_engine), platforms={"slack": platform}
        ),
        clock=FixedClock(SATURDAY),
        api_url=setup.slack.url,
    )
    socket = SlackSocketMode(
        bolt=events.bolt,
        app_token=APP_TOKEN,
        api_url=setup.slack.url,
        store_first=events.store_first,
        durable=DURABLE_EVENTS,
    )
    await socket.start()
    try:
        await outage.down(app_engine)
        await setup.server.push(envelope("env-down", saturday_message("EvOutage")))
        with pytest.raises(TimeoutError):
            await setup.server.ack(within=3.0)
        await outage.up()
        await setup.server.push(envelope("env-again", saturday_message("EvOutage"), retry=1))
        assert await setup.server.ack() == {"envelope_id": "env-again"}
        await until(lambda: sum(1 for m in setup.slack.posted("C_TEAM") if m.thread_ts) >= 2)
    finally:
        await socket.stop()
        await platform.close()
        await app_engine.dispose()
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(ActivityRow))).scalar()
    assert count == 1


async def test_mounted_it_runs_alongside_the_web_app(setup: Setup, engine: AsyncEngine) -> None:
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    socket = SlackSocketMode(bolt=setup.events.bolt, app_token=APP_TOKEN, api_url=setup.slack.url)
    socket.mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert socket.connected
        await setup.server.push(envelope("env-3", saturday_message("EvMounted")))
        assert await setup.server.ack() == {"envelope_id": "env-3"}
    finally:
        await server.close()
    assert not socket.connected


async def test_a_wrong_app_token_fails_at_once_instead_of_retrying(setup: Setup) -> None:
    socket = SlackSocketMode(
        bolt=setup.events.bolt, app_token="xapp-1-revoked", api_url=setup.slack.url
    )
    with pytest.raises(SlackApiError):
        await asyncio.wait_for(socket.start(), 5)
    assert not socket.connected
    assert not setup.server.connected.is_set()


def test_a_bot_token_is_refused_as_app_token(setup: Setup) -> None:
    with pytest.raises(ValueError, match="xapp-") as refused:
        SlackSocketMode(bolt=setup.events.bolt, app_token=TOKEN, api_url=setup.slack.url)
    assert TOKEN not in str(refused.value)


def free_port() -> int:
    with sockets.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_runs_socket_mode_and_the_install_routes_and_stops_on_sigterm(
    setup: Setup, database_url: str, tmp_path: Path
) -> None:
    """The composition root: Socket Mode plus OAuth, no signing secret (so no /slack/events)."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "QUIET_HOURS_SECRET_KEY": TEST_KEY,
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "shh",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": setup.slack.url,
        "PORT": str(port),
    }
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        env.pop(name, None)
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--no-migrate",
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            await asyncio.wait_for(setup.server.connected.wait(), 30)
        except TimeoutError:
            raise AssertionError((tmp_path / "serve.log").read_text()) from None
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            async with http.get(base + "/slack/install", allow_redirects=False) as response:
                assert response.status == 302
            async with http.post(base + "/slack/events", data=b"{}") as response:
                assert response.status == 404
        await setup.server.push(envelope("env-serve", saturday_message("EvServe")))
        assert await setup.server.ack(within=10) == {"envelope_id": "env-serve"}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
