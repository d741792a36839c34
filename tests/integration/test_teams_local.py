"""`QH_TEAMS_ANONYMOUS=1` on a real `quiet-hours serve`: local testing, loopback only, said loudly.

The fake Bot Connector in this test process plays Microsoft 365 Agents Playground's connector
(it is on 127.0.0.1, as the Playground's is).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.teams.app import ROUTE, TeamsBot
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.storage.crypto import Cipher
from bot.web import build_app
from tests.support.serving import serve
from tests.support.teams import PERSONAL_KARI, FakeConnector, personal_message

Json = dict[str, object]
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def test_anonymous_local_testing_answers_loopback_in_the_activitys_language(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async with serve(tmp_path, QH_TEAMS_ANONYMOUS="1") as served:
        assert await served.post(personal_message(connector.service_url, "help")) == 202
        [reply] = connector.posted(PERSONAL_KARI)
        assert reply.authorization is None
        said = str(reply.body)
        assert "arbeidstid" in said  # bokmål, as the activity's nb-NO asked
        assert (await served.ready())["platforms"]["teams"] == "anonymous (local testing only)"
        # a serviceUrl off this machine: refused, and nothing is sent anywhere
        for elsewhere in ("https://smba.trafficmanager.net/emea/", "http://10.0.0.8:3978/"):
            assert await served.post(personal_message(elsewhere, "help")) == 403
        assert len(connector.calls) == 1
    warnings = [line for line in served.stderr if "WARNING" in line]
    # one loud line at start, and not the SDK's "App ID is not provided" on every turn
    assert len(warnings) == 1 and "QH_TEAMS_ANONYMOUS" in warnings[0], warnings


async def test_without_the_switch_and_without_an_app_id_teams_is_off_and_says_why(
    tmp_path: Path, connector: FakeConnector
) -> None:
    async with serve(tmp_path) as served:
        assert await served.post(personal_message(connector.service_url, "help")) == 404
        assert (await served.ready())["platforms"]["teams"] == "off"
    assert connector.calls == []
    said = "".join(served.stderr)
    assert "Teams is off: MICROSOFT_APP_ID is not set" in said


def _outside_address() -> str | None:
    """This machine's address on a non-loopback interface, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # a UDP connect sends nothing
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


async def test_anonymous_refuses_clients_off_this_machine_whatever_x_forwarded_for_says(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address to call from")
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    TeamsBot(
        app_id=None,
        app_password=None,
        tenant_id=None,
        sessions=sessions,
        cipher=cipher,
        clock=FixedClock(datetime(2026, 11, 29, 20, 14, tzinfo=UTC)),
    ).mount(app)
    server = TestServer(app, host="0.0.0.0")
    await server.start_server()
    activity = personal_message(connector.service_url, "help")
    try:
        async with aiohttp.ClientSession() as http:
            forged = {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}
            url = f"http://{outside}:{server.port}{ROUTE}"
            async with http.post(url, json=activity, headers=forged) as response:
                assert response.status == 403
            local = f"http://127.0.0.1:{server.port}{ROUTE}"
            async with http.post(local, json=activity) as response:
                assert response.status == 202
    finally:
        await server.close()
    assert len(connector.posted(PERSONAL_KARI)) == 1
