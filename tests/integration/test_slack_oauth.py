"""The "Add to Slack" install over real HTTP, against the fake Slack's oauth.v2.access."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.oauth import SlackInstall, manifest_scopes
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.logs import QuietAccessLogger
from bot.metrics import DeliveryMetrics
from bot.services.erase import erase_workspace
from bot.storage.crypto import Cipher
from bot.storage.models import (
    InstallationRow,
    PersonRow,
    WorkspaceRow,
    slack_bots_table,
    slack_installations_table,
    slack_oauth_states_table,
)
from bot.storage.repositories import PersonRepository, WorkspaceRepository
from bot.web import build_app
from tests.support.slack import fake_slack

CLIENT_ID = "111.222"
CLIENT_SECRET = "shh-client-secret"
TEAM = "T_NEW"
BOT_TOKEN = "xoxb-new-workspace-token"
USER_TOKEN = "xoxp-ana-user-token"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
COOKIE = "slack-app-oauth-state"

Sessions = async_sessionmaker[AsyncSession]

# slack-sdk sends the client credentials with aiohttp's BasicAuth, which aiohttp now deprecates
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@dataclass
class Site:
    http: aiohttp.ClientSession
    base: str
    slack: FakeSlack
    forgotten: list[str]

    async def get(
        self, path: str, *, cookie: str | None = None, language: str = "en"
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        headers = {"Accept-Language": language}
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE}={cookie}"
        async with self.http.get(self.base + path, headers=headers, allow_redirects=False) as r:
            return r.status, await r.text(), r.headers

    async def start_install(self, query: str = "") -> tuple[str, dict[str, list[str]]]:
        """``GET /slack/install``: the state (from the cookie) and the authorize URL's query."""
        status, _, headers = await self.get("/slack/install" + query)
        assert status == 302
        location = urlsplit(headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            "https://slack.com/oauth/v2/authorize"
        )
        cookie = SimpleCookie(headers["Set-Cookie"])
        params = parse_qs(location.query, keep_blank_values=True)
        assert params["state"] == [cookie[COOKIE].value]
        return cookie[COOKIE].value, params


@pytest.fixture
async def site(engine: AsyncEngine, sessions: Sessions, cipher: Cipher) -> AsyncIterator[Site]:
    slack = fake_slack(bot_token="xoxb-unused", team_id=TEAM)
    slack.oauth_clients[CLIENT_ID] = CLIENT_SECRET
    await slack.start()
    forgotten: list[str] = []
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    SlackInstall(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        clock=FixedClock(NOW),
        api_url=slack.url,
        on_installed=[forgotten.append],
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log_class=QuietAccessLogger)  # as `serve` runs it
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            yield Site(http, str(server.make_url("")).rstrip("/"), slack, forgotten)
    finally:
        await server.close()
        await slack.stop()


async def test_install_redirects_to_slack_with_a_state_cookie(
    site: Site, sessions: Sessions
) -> None:
    state, params = await site.start_install()
    assert params["client_id"] == [CLIENT_ID]
    assert params["scope"][0].split(",") == manifest_scopes()[0]
    assert params["user_scope"] == [""]  # user scopes only for people opting in to auto-hold
    assert state.count(".") == 2  # issued.nonce.signature: nothing stored for it


async def test_anonymous_install_starts_add_no_rows(site: Site, sessions: Sessions) -> None:
    """A flood of GET /slack/install must not grow the database."""
    states = {(await site.start_install())[0] for _ in range(200)}
    assert len(states) == 200
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(slack_oauth_states_table))
    assert count == 0


async def test_used_states_are_kept_only_while_they_could_pass(
    site: Site, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            slack_oauth_states_table.insert().values(
                state="abandoned", expire_at=datetime(2020, 1, 1, 12, 0)
            )
        )
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-used", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    path = f"/slack/oauth_redirect?code=code-used&state={state}"
    assert (await site.get(path, cookie=state))[0] == 200
    async with sessions() as session:
        stored = (await session.execute(select(slack_oauth_states_table.c.state))).scalars()
        assert list(stored) == [state]


async def test_a_forged_signature_or_an_old_state_is_refused(site: Site) -> None:
    state, _ = await site.start_install()
    issued, nonce, signature = state.split(".")
    for bad in (
        f"{issued}.{nonce}.{signature[:-2]}AA",
        f"{int(issued) - 3600}.{nonce}.{signature}",
        f"{issued}.other.{signature}",
    ):
        status, page, _ = await site.get(f"/slack/oauth_redirect?code=c&state={bad}", cookie=bad)
        assert status == 400
        assert "expired" in page


async def test_the_access_log_never_prints_oauth_codes_or_states(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        state, _ = await site.start_install("?team=T0123ABCD")
        site.slack.approve_install(
            "code-secret-77", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
        )
        path = f"/slack/oauth_redirect?code=code-secret-77&state={state}"
        assert (await site.get(path, cookie=state))[0] == 200
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/slack/oauth_redirect" in line for line in access)
    assert any("/slack/install" in line for line in access)
    for line in access:
        assert "code-secret-77" not in line and state not in line and "?" not in line


async def test_auto_hold_opt_in_asks_for_user_scopes(site: Site) -> None:
    _, params = await site.start_install("?auto_hold=1")
    bot, user = manifest_scopes()
    assert "chat:write" in user
    assert params["user_scope"][0].split(",") == user
    assert params["scope"][0].split(",") == bot


async def test_team_hint_is_passed_only_when_it_is_a_team_id(site: Site) -> None:
    _, params = await site.start_install("?team=T0123ABC")
    assert params["team"] == ["T0123ABC"]
    _, params = await site.start_install("?team=T1%26redirect_uri%3Dhttps://evil.example")
    assert "team" not in params
    assert "redirect_uri" not in params


async def test_full_round_trip_stores_encrypted_tokens_in_both_stores(
    site: Site, sessions: Sessions, cipher: Cipher
) -> None:
    state, _ = await site.start_install("?auto_hold=1")
    site.slack.approve_install(
        "code-1",
        client_id=CLIENT_ID,
        installer="U_ANA",
        bot_token=BOT_TOKEN,
        user_token=USER_TOKEN,
        user_scope="chat:write,channels:history",
        team_name="Fjord & Co",
    )
    status, page, headers = await site.get(
        f"/slack/oauth_redirect?code=code-1&state={state}", cookie=state
    )

    assert status == 200, page
    assert "Quiet Hours is installed" in page
    assert "Fjord &amp; Co" in page  # escaped
    assert "Auto-hold is on" in page
    assert headers["Cache-Control"] == "no-store"
    assert len(site.slack.calls_to("oauth.v2.access")) == 1
    assert site.forgotten == [TEAM]

    async with sessions() as session:
        # slack-sdk's tables: a row each, tokens not in plaintext, readable with our key
        for table in (slack_installations_table, slack_bots_table):
            rows = (await session.execute(select(table))).mappings().all()
            assert len(rows) == 1
            row = rows[0]
            assert row["team_id"] == TEAM
            assert BOT_TOKEN not in str(dict(row))
            assert USER_TOKEN not in str(dict(row))
            assert cipher.decrypt(row["bot_token"].encode()) == BOT_TOKEN
        installed = (await session.execute(select(slack_installations_table))).mappings().one()
        assert cipher.decrypt(installed["user_token"].encode()) == USER_TOKEN
        # our own tables: the workspace, the bot token and the installer's user token
        workspace = await WorkspaceRepository(session).find("slack", TEAM)
        assert workspace is not None
        assert workspace.name == "Fjord & Co"
        assert workspace.uninstalled_at is None
        installation = (await session.scalars(select(InstallationRow))).one()
        assert installation.bot_token_enc is not None
        assert BOT_TOKEN.encode() not in installation.bot_token_enc
        assert installation.installed_by == "U_ANA"
        person = (await session.scalars(select(PersonRow))).one()
        assert person.external_id == "U_ANA"
        assert person.auto_hold is True
        assert person.user_token_enc is not None
        assert USER_TOKEN.encode() not in person.user_token_enc
        assert PersonRepository(session, cipher).user_token(person) == USER_TOKEN

    # what the delivery engine and the events endpoint use
    tokens = StoredTokens(sessions, cipher)
    assert await tokens(TEAM, None) == BOT_TOKEN
    assert await tokens(TEAM, "U_ANA") == USER_TOKEN


async def test_the_installation_store_decrypts_on_find(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, site: Site
) -> None:
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-2", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    status, page, _ = await site.get(
        f"/slack/oauth_redirect?code=code-2&state={state}", cookie=state
    )
    assert status == 200, page
    assert "Auto-hold" not in page
    install = SlackInstall(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        clock=FixedClock(NOW),
        api_url=site.slack.url,
    )
    found = await install.installation_store.async_find_installation(
        enterprise_id=None, team_id=TEAM
    )
    assert found is not None
    assert (found.bot_token, found.user_token, found.user_id) == (BOT_TOKEN, None, "U_OLA")
    bot = await install.installation_store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None
    assert bot.bot_token == BOT_TOKEN
    async with sessions() as session:
        assert (await session.scalars(select(PersonRow))).all() == []


async def test_reinstall_after_uninstall_revives_the_workspace(
    site: Site, sessions: Sessions, cipher: Cipher
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", TEAM, now=NOW)
        await WorkspaceRepository(session).mark_uninstalled(workspace.id, NOW)
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-3", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    status, _, _ = await site.get(f"/slack/oauth_redirect?code=code-3&state={state}", cookie=state)
    assert status == 200
    assert await StoredTokens(sessions, cipher)(TEAM, None) == BOT_TOKEN


async def test_erasing_the_workspace_erases_slack_sdk_rows(site: Site, sessions: Sessions) -> None:
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-4", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    assert (await site.get(f"/slack/oauth_redirect?code=code-4&state={state}", cookie=state))[
        0
    ] == 200
    async with sessions() as session, session.begin():
        assert await erase_workspace(session, "slack", TEAM) is not None
    async with sessions() as session:
        for table in (slack_installations_table, slack_bots_table):
            assert (await session.execute(select(table))).all() == []
        assert await WorkspaceRepository(session).find("slack", TEAM) is None


@pytest.mark.parametrize(
    ("query", "with_cookie"),
    [
        ("code=code-x&state={state}", False),  # no cookie: another browser
        ("code=code-x", True),  # no state at all
        ("code=code-x&state=forged", True),  # cookie and state agree, but we never issued it
        ("code=code-x&state={state}", "other"),  # the cookie names another state
    ],
)
async def test_bad_or_missing_state_gets_a_friendly_400(
    site: Site, sessions: Sessions, query: str, with_cookie: bool | str
) -> None:
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-x", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    path = "/slack/oauth_redirect?" + query.format(state=state)
    cookie: str | None = None
    if with_cookie is True:
        cookie = "forged" if "state=forged" in query else state
    elif with_cookie == "other":
        cookie = "some-other-state"
    status, page, headers = await site.get(path, cookie=cookie)
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert "This install link has expired" in page
    assert 'href="/slack/install"' in page
    assert site.slack.calls_to("oauth.v2.access") == []
    async with sessions() as session:
        assert (await session.execute(select(WorkspaceRow))).all() == []


async def test_a_state_works_only_once(site: Site) -> None:
    state, _ = await site.start_install()
    site.slack.approve_install(
        "code-5", client_id=CLIENT_ID, installer="U_OLA", bot_token=BOT_TOKEN
    )
    path = f"/slack/oauth_redirect?code=code-5&state={state}"
    assert (await site.get(path, cookie=state))[0] == 200
    status, page, _ = await site.get(path, cookie=state)
    assert status == 400
    assert "expired" in page


async def test_a_code_slack_refuses_gets_a_friendly_400(site: Site, sessions: Sessions) -> None:
    state, _ = await site.start_install()
    status, page, _ = await site.get(
        f"/slack/oauth_redirect?code=never-issued&state={state}", cookie=state
    )
    assert status == 400
    assert "Installation did not finish" in page
    async with sessions() as session:
        assert (await session.execute(select(slack_installations_table))).all() == []


async def test_cancel_on_slack_gets_a_friendly_page_in_the_browser_language(site: Site) -> None:
    state, _ = await site.start_install()
    status, page, _ = await site.get(
        f"/slack/oauth_redirect?error=access_denied&state={state}",
        cookie=state,
        language="nb-NO,nb;q=0.9,en;q=0.5",
    )
    assert status == 200
    assert "Installasjonen ble avbrutt" in page
    assert '<html lang="nb">' in page


async def test_slack_unreachable_gets_a_friendly_503(site: Site) -> None:
    state, _ = await site.start_install()
    await site.slack.stop()
    status, page, _ = await site.get(f"/slack/oauth_redirect?code=c&state={state}", cookie=state)
    assert status == 503
    assert "Something went wrong on our side" in page
