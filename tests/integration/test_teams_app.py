"""POST /api/messages over real HTTP: references stored, help answered, uninstalls erase, JWTs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core import JwtTokenValidator, OutboundHostValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.teams.activities import parse_reference
from adapters.teams.app import ROUTE, TeamsBot
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.storage.crypto import Cipher
from bot.storage.models import (
    ConversationRow,
    HeldMessageRow,
    PersonRow,
    TeamRow,
    ThreadExcerptRow,
    WorkspaceRow,
)
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import ExcerptRepository, TeamRepository
from bot.web import build_app
from tests.conftest import TEST_KEY
from tests.integration.test_serve_faults import ROOT, free_port
from tests.support.rawhttp import raw_request, status_of
from tests.support.teams import (
    APP_ID,
    CHANNEL,
    GENERAL,
    KARI,
    OLA,
    PERSONAL_KARI,
    TEAM,
    TENANT,
    FakeConnector,
    FakeTokenProvider,
    SigningKeys,
    channel_message,
    conversation_update,
    installation_update,
    personal_message,
)

SUNDAY = datetime(2026, 11, 29, 20, 14, tzinfo=UTC)
OTHER_TENANT = "11111111-2222-4333-8444-555555555555"
OUTBOUND = "outbound-token"

Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Bot:
    http: aiohttp.ClientSession
    url: str
    connector: FakeConnector

    async def send(self, activity: dict[str, Any], token: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.post(self.url + ROUTE, json=activity, headers=headers) as response:
            await response.read()
            return response.status


async def _serve(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, connector: FakeConnector, **bot: Any
) -> AsyncIterator[Bot]:
    await connector.start()
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    TeamsBot(sessions=sessions, cipher=cipher, clock=FixedClock(SUNDAY), **bot).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Bot(http, str(server.make_url("")).rstrip("/"), connector)
    finally:
        await server.close()
        await connector.stop()


@pytest.fixture
async def anonymous(engine: AsyncEngine, sessions: Sessions, cipher: Cipher) -> AsyncIterator[Bot]:
    async for bot in _serve(
        engine, sessions, cipher, FakeConnector(), app_id=None, app_password=None, tenant_id=None
    ):
        yield bot


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> SigningKeys:
    keys = SigningKeys()
    # The SDK fetches Microsoft's signing keys through this class-level client manager.
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", keys)
    return keys


@pytest.fixture
async def secured(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, keys: SigningKeys
) -> AsyncIterator[Bot]:
    async for bot in _serve(
        engine,
        sessions,
        cipher,
        FakeConnector(token=OUTBOUND),
        app_id=APP_ID,
        app_password="not-used-offline",
        tenant_id=TENANT,
        provider_factory=lambda configuration: FakeTokenProvider(configuration, OUTBOUND),
        host_validator=OutboundHostValidator(enabled=False),  # the fake is on 127.0.0.1
    ):
        yield bot


async def conversations(sessions: Sessions) -> dict[str, ConversationRow]:
    async with sessions() as session:
        rows = (await session.scalars(select(ConversationRow))).all()
        return {row.conversation_id: row for row in rows}


async def hold(sessions: Sessions, cipher: Cipher, conversation: str) -> str:
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        row = await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace.id,
            conversation_id=conversation,
            author_id=KARI["id"],
            body="til mandag",
            deliver_at=SUNDAY.replace(day=30),
            now=SUNDAY,
        )
        return row.id


async def keep_first_line(sessions: Sessions, cipher: Cipher, conversation: str) -> None:
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        await ExcerptRepository(session, cipher).remember(
            workspace.id, conversation, "1.1", "Skal vi bytte?", now=SUNDAY, keep=timedelta(days=14)
        )


async def held_states(sessions: Sessions) -> dict[str, tuple[str, bool]]:
    async with sessions() as session:
        rows = (await session.scalars(select(HeldMessageRow))).all()
        return {row.conversation_id: (row.state, row.body_enc is not None) for row in rows}


# -- anonymous (local emulator) ------------------------------------------------------------------


async def test_installing_in_a_team_stores_its_reference(
    anonymous: Bot, sessions: Sessions
) -> None:
    service_url = anonymous.connector.service_url
    assert await anonymous.send(installation_update(service_url)) == 202
    [row] = (await conversations(sessions)).values()
    reference = parse_reference(row.reference)
    assert (row.conversation_id, row.kind, row.service_url) == (GENERAL, "channel", service_url)
    assert reference["teamId"] == TEAM
    assert reference["bot"]["id"] == f"28:{APP_ID}"
    assert reference["conversation"]["tenantId"] == TENANT
    assert "user" not in reference  # a channel's reference names nobody
    async with sessions() as session:
        workspace = (await session.scalars(select(WorkspaceRow))).one()
    assert (workspace.platform, workspace.external_id) == ("teams", TENANT)
    assert anonymous.connector.calls == []  # nothing said on install


async def test_whoever_adds_the_app_to_a_team_leads_its_policy(
    anonymous: Bot, sessions: Sessions
) -> None:
    service_url = anonymous.connector.service_url
    assert await anonymous.send(installation_update(service_url)) == 202
    assert await anonymous.send(installation_update(service_url)) == 202  # again: no change
    async with sessions() as session:
        (team,) = (await session.scalars(select(TeamRow))).all()
        teams = TeamRepository(session)
        assert team.external_id == TEAM
        assert await teams.channels(team.id) == [GENERAL]
        assert await teams.leaders(team.id) == [KARI["id"]]
        # no tenant default here: the installer's zone, and the holidays of its country
        assert team.hours_spec == "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"


async def test_a_personal_message_is_remembered_and_answered(
    anonymous: Bot, sessions: Sessions
) -> None:
    activity = personal_message(anonymous.connector.service_url)
    assert await anonymous.send(activity) == 202
    [reply] = anonymous.connector.posted(PERSONAL_KARI)
    assert reply.reply_to == activity["id"]
    assert "Quiet Hours" in reply.body["text"]
    assert "holdes" in reply.body["text"]  # Kari's client speaks Norwegian
    assert reply.authorization is None  # anonymous: no token either way
    assert anonymous.connector.violations == []
    row = (await conversations(sessions))[PERSONAL_KARI]
    assert row.kind == "dm"
    assert parse_reference(row.reference)["user"]["id"] == KARI["id"]
    async with sessions() as session:
        person = (await session.scalars(select(PersonRow))).one()
    assert (person.external_id, person.display_name, person.tz, person.locale) == (
        KARI["id"],
        "Kari",
        "Europe/Oslo",
        "nb-NO",
    )


async def test_channel_messages_are_answered_only_when_the_bot_is_mentioned(
    anonymous: Bot, sessions: Sessions
) -> None:
    service_url = anonymous.connector.service_url
    assert await anonymous.send(channel_message(service_url)) == 202
    assert anonymous.connector.calls == []
    mentioned = channel_message(service_url, "help", mention=True)
    assert await anonymous.send(mentioned) == 202
    [reply] = anonymous.connector.posted()
    assert reply.conversation == f"{CHANNEL};messageid={mentioned['id']}"
    row = (await conversations(sessions))[CHANNEL]  # stored without the thread suffix
    assert (row.kind, parse_reference(row.reference)["conversation"]["id"]) == ("channel", CHANNEL)
    # A busy channel writes its reference once, but still meets each new person.
    assert await anonymous.send(channel_message(service_url, sender=OLA)) == 202
    async with sessions() as session:
        people = (await session.scalars(select(PersonRow.display_name))).all()
    assert sorted(people) == ["Kari", "Ola"]


async def test_removing_the_app_from_a_team_erases_what_was_held_there(
    anonymous: Bot, sessions: Sessions, cipher: Cipher
) -> None:
    service_url = anonymous.connector.service_url
    for activity in (
        installation_update(service_url),
        channel_message(service_url),
        personal_message(service_url),
    ):
        assert await anonymous.send(activity) == 202
    for conversation in (GENERAL, CHANNEL, PERSONAL_KARI):
        await hold(sessions, cipher, conversation)
    await keep_first_line(sessions, cipher, CHANNEL)
    removed = installation_update(service_url, action="remove")
    assert await anonymous.send(removed) == 202
    assert await held_states(sessions) == {
        GENERAL: ("cancelled", False),
        CHANNEL: ("cancelled", False),
        PERSONAL_KARI: ("held", True),
    }
    assert set(await conversations(sessions)) == {PERSONAL_KARI}
    async with sessions() as session:  # the channel's thread first lines went with it
        assert (await session.scalars(select(ThreadExcerptRow))).all() == []
    # Teams also says the bot left the team; nothing is left to do, nothing breaks.
    bot_left = conversation_update(service_url, removed=[removed["recipient"]])
    assert await anonymous.send(bot_left) == 202
    # Uninstalled personally too: the tenant has nothing left, and nothing of it is kept.
    assert await anonymous.send(installation_update(service_url, "remove", "personal")) == 202
    async with sessions() as session:
        for model in (WorkspaceRow, HeldMessageRow, PersonRow, ConversationRow):
            assert (await session.scalars(select(model))).all() == [], model.__tablename__


async def test_a_deleted_channel_takes_only_its_own_held_messages(
    anonymous: Bot, sessions: Sessions, cipher: Cipher
) -> None:
    service_url = anonymous.connector.service_url
    assert await anonymous.send(installation_update(service_url)) == 202
    assert await anonymous.send(channel_message(service_url)) == 202
    for conversation in (GENERAL, CHANNEL):
        await hold(sessions, cipher, conversation)
    deleted = conversation_update(service_url, event_type="channelDeleted", channel=CHANNEL)
    assert await anonymous.send(deleted) == 202
    assert await held_states(sessions) == {
        GENERAL: ("held", True),
        CHANNEL: ("cancelled", False),
    }


async def test_bodies_that_are_not_activities_are_refused(anonymous: Bot) -> None:
    async with anonymous.http.post(
        anonymous.url + ROUTE, data=b"{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    async with anonymous.http.post(
        anonymous.url + ROUTE, json={"type": "message", "conversation": "nope"}
    ) as response:
        assert response.status == 400
    async with anonymous.http.post(anonymous.url + ROUTE, json={"type": "message"}) as response:
        assert response.status == 400


# -- JWT-checked (production) --------------------------------------------------------------------


async def test_a_valid_token_is_served_and_the_reply_carries_our_token(
    secured: Bot, keys: SigningKeys
) -> None:
    service_url = secured.connector.service_url
    activity = personal_message(service_url)
    assert await secured.send(activity, keys.token(service_url=service_url)) == 202
    [reply] = secured.connector.posted(PERSONAL_KARI)
    assert reply.authorization == f"Bearer {OUTBOUND}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda keys: keys.token(audience="someone-else"), id="wrong-audience"),
        pytest.param(lambda keys: keys.token(expires_in=-900), id="expired"),
        pytest.param(lambda keys: SigningKeys.unsigned(), id="unsigned"),
        pytest.param(
            lambda keys: keys.token(
                key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            ),
            id="forged",
        ),
        pytest.param(lambda keys: "not.a.jwt", id="garbage"),
        pytest.param(lambda keys: None, id="missing"),
        pytest.param(lambda keys: keys.token(issuer="https://evil.example.com"), id="any-issuer"),
        pytest.param(lambda keys: keys.token(without=("iss",)), id="no-issuer"),
        pytest.param(
            lambda keys: keys.token(issuer=f"https://sts.windows.net/{OTHER_TENANT}/"),
            id="another-tenant-v1",
        ),
        pytest.param(
            lambda keys: keys.token(
                issuer=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"
            ),
            id="another-tenant-v2",
        ),
        pytest.param(lambda keys: keys.token(without=("exp",)), id="no-expiry"),
        pytest.param(lambda keys: keys.token(without=("nbf",)), id="no-not-before"),
        pytest.param(
            lambda keys: keys.token(extra={"nbf": int(time.time()) + 3600}), id="not-yet-valid"
        ),
        pytest.param(
            lambda keys: keys.token(service_url="https://smba.trafficmanager.net/amer/"),
            id="another-service-url",
        ),
    ],
)
async def test_bad_tokens_are_refused(
    secured: Bot,
    keys: SigningKeys,
    sessions: Sessions,
    make_token: Callable[[SigningKeys], str | None],
) -> None:
    activity = personal_message(secured.connector.service_url)
    assert await secured.send(activity, make_token(keys)) == 401
    assert secured.connector.calls == []
    assert await conversations(sessions) == {}


@pytest.mark.parametrize(
    "issuer",
    [
        "https://api.botframework.com",
        f"https://sts.windows.net/{TENANT}/",
        f"https://login.microsoftonline.com/{TENANT}/v2.0",
    ],
)
async def test_bot_connector_and_our_tenants_entra_tokens_are_served(
    secured: Bot, keys: SigningKeys, issuer: str
) -> None:
    """Microsoft's documented issuers: the Bot Connector's, and Entra v1/v2 for our tenant."""
    service_url = secured.connector.service_url
    activity = personal_message(service_url)
    token = keys.token(issuer=issuer, service_url=service_url, extra={"tid": TENANT})
    assert await secured.send(activity, token) == 202
    assert len(secured.connector.posted(PERSONAL_KARI)) == 1


async def test_in_production_only_microsoft_service_urls_are_accepted(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, keys: SigningKeys
) -> None:
    async for bot in _serve(
        engine,
        sessions,
        cipher,
        FakeConnector(token=OUTBOUND),
        app_id=APP_ID,
        app_password="not-used-offline",
        tenant_id=TENANT,
        provider_factory=lambda configuration: FakeTokenProvider(configuration, OUTBOUND),
    ):
        for service_url in ("https://evil.example.com/", bot.connector.service_url):
            activity = installation_update(service_url)
            assert await bot.send(activity, keys.token(service_url=service_url)) == 401
        assert await conversations(sessions) == {}
        assert bot.connector.calls == []


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic a2FyaTpwYXNz", "Bearer", "Bearer a b", "Bearer é"],
    ids=["missing", "basic", "empty", "two-words", "non-ascii"],
)
async def test_a_request_without_a_bearer_token_is_refused_before_its_body_is_read(
    secured: Bot, authorization: str | None
) -> None:
    """The answer comes while the client is still sending a 1 MiB body."""
    headers = [(b"Content-Type", b"application/json")]
    if authorization is not None:
        headers.append((b"Authorization", authorization.encode()))
    status_line = await raw_request(
        secured.url + ROUTE, headers, b'{"type": "message", ', length=1024 * 1024, wait=5
    )
    assert status_of(status_line) == 401, status_line
    assert secured.connector.calls == []


async def test_when_microsofts_keys_cannot_be_fetched_the_connector_is_asked_to_retry(
    secured: Bot, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a 401 (Teams would drop the activity): 503 + Retry-After, and nothing happens."""

    class Unreachable:
        async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> Any:
            raise jwt.PyJWKClientConnectionError(f"Fail to fetch data from the url {jwks_uri}")

    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", Unreachable())
    service_url = secured.connector.service_url
    activity = personal_message(service_url)
    headers = {"Authorization": f"Bearer {keys.token(service_url=service_url)}"}
    async with secured.http.post(secured.url + ROUTE, json=activity, headers=headers) as response:
        assert response.status == 503
        assert int(response.headers["Retry-After"]) > 0
    assert secured.connector.calls == []


async def test_only_the_teams_route_is_guarded(secured: Bot) -> None:
    async with secured.http.get(secured.url + "/healthz") as response:
        assert response.status == 200
    async with secured.http.post(secured.url + "/slack/events", json={}) as response:
        assert response.status != 401  # not mounted here: 404/405, never the Teams check


async def test_serve_mounts_the_guarded_route_when_an_app_id_is_set(tmp_path: Path) -> None:
    """The composition root: MICROSOFT_APP_ID alone brings up /api/messages behind the JWT check."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "QUIET_HOURS_SECRET_KEY": TEST_KEY,
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "not-used-offline",
        "MICROSOFT_APP_TENANT_ID": TENANT,
        "PORT": str(port),
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("serve did not come up")
            activity = personal_message("https://smba.trafficmanager.net/emea/")
            async with http.post(base + ROUTE, json=activity) as response:
                assert response.status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
