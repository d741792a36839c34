"""Multi-workspace Slack install: ``GET /slack/install`` and ``GET /slack/oauth_redirect``.

bolt's OAuth flow runs on slack-sdk's async SQLAlchemy installation and state stores, on our
database (tables from our migrations). Tokens are encrypted at rest there too, and each install
is also recorded in our own ``workspaces``/``installations`` tables, where the delivery engine
and the events endpoint look tokens up; an installer who opted in to auto-hold (user scopes)
gets their user token stored, encrypted, on their person row.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import yaml
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth import AuthorizeUrlGenerator, OAuthStateUtils
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.types import TypeDecorator

from adapters.slack.manifest import manifest_text
from adapters.slack.oauth_state import SignedStateStore
from bot.clock import Clock
from bot.i18n import normalize_locale, translate
from bot.storage.crypto import Cipher
from bot.storage.models import (
    SLACK_ENCRYPTED_COLUMNS,
    WorkspaceRow,
    slack_installations_table,
)
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    WorkspaceRepository,
)

__all__ = [
    "EncryptedInstallationStore",
    "EncryptedText",
    "SignedStateStore",
    "SlackInstall",
    "manifest_scopes",
]

log = logging.getLogger(__name__)

_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,31}$")


class EncryptedText(TypeDecorator[str]):
    """A token column: Fernet ciphertext at rest, plaintext in Python."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: Cipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value).decode("ascii")

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.decrypt(str(value).encode("ascii"))


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack-sdk's async SQLAlchemy store with encrypted tokens, recording installs for us too."""

    def __init__(
        self,
        *,
        client_id: str,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        on_installed: Sequence[Callable[[str], None]] = (),
        welcome: Callable[[str, str | None], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        # The store queries its own copies of the tables; give their token columns a type that
        # encrypts on the way in and decrypts on the way out, so every save and find_* does.
        for table in (self.installations, self.bots):
            for column in table.columns:
                if column.name in SLACK_ENCRYPTED_COLUMNS:
                    column.type = EncryptedText(cipher)
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._on_installed = tuple(on_installed)
        self._welcome = welcome

    async def create_tables(self) -> None:
        raise RuntimeError("the Slack OAuth tables are created by `quiet-hours migrate`")

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(installation)
        team = await self._record(installation)
        for callback in self._on_installed:
            callback(team)
        if self._welcome is not None:
            # the workspace default from the installer's zone and locale, and their welcome
            # DM; never a failed install for it (see adapters.slack.welcome)
            try:
                await self._welcome(team, installation.user_id)
            except Exception:
                log.exception("the workspace default or welcome after an install failed")

    async def _record(self, installation: Installation) -> str:
        """The workspace, bot token and (auto-hold) user token in our own tables."""
        team = installation.team_id or installation.enterprise_id
        if not team:
            raise ValueError("an installation without a team or enterprise id")
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).get_or_create(
                "slack", team, now=now, name=installation.team_name
            )
            # a reinstall after an uninstall: the workspace is live again
            await session.execute(
                update(WorkspaceRow)
                .where(WorkspaceRow.id == workspace.id)
                .values(uninstalled_at=None, name=installation.team_name or workspace.name)
            )
            installations = InstallationRepository(session, self._cipher)
            token = installation.bot_token
            if token and await installations.bot_token(workspace.id) != token:
                await installations.save(
                    workspace.id,
                    bot_token=token,
                    now=now,
                    bot_user_id=installation.bot_user_id,
                    app_id=installation.app_id,
                    scopes=",".join(installation.bot_scopes or ()),
                    installed_by=installation.user_id,
                )
            if installation.user_token and installation.user_id:
                people = PersonRepository(session, self._cipher)
                person = await people.get_or_create(workspace.id, installation.user_id, now=now)
                await people.set_user_token(person, installation.user_token, now=now)
        log.info(
            "Slack install recorded for team %s (auto-hold: %s)",
            team,
            "yes" if installation.user_token else "no",
        )
        return team


def manifest_scopes() -> tuple[list[str], list[str]]:
    """The bot and user scopes of the app manifest we ship: one list to keep right.

    User scopes are asked for only with ``/slack/install?auto_hold=1``, by a person opting in.
    """
    scopes = yaml.safe_load(manifest_text())["oauth_config"]["scopes"]
    return [str(scope) for scope in scopes["bot"]], [str(s) for s in scopes.get("user") or []]


async def erase_slack_user_tokens(session: AsyncSession, team: str, people: list[str]) -> None:
    """People revoked their user token: forget slack-sdk's (encrypted) copy of it too."""
    table = slack_installations_table
    await session.execute(
        update(table)
        .where(
            ((table.c.team_id == team) | (table.c.enterprise_id == team)),
            table.c.user_id.in_(people),
        )
        .values(user_token=None, user_refresh_token=None, user_scopes=None)
    )


class _Flow(AsyncOAuthFlow):
    """bolt's flow, asking for user scopes only when someone opts in to auto-hold."""

    def __init__(self, *, user_scopes_generator: AuthorizeUrlGenerator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._user_scopes_generator = user_scopes_generator

    async def build_authorize_url(self, state: str, request: AsyncBoltRequest) -> str:
        query = request.query
        teams = query.get("team") or []
        # bolt pastes `team` into the URL unescaped: only a real team id gets through
        team = teams[0] if teams and _TEAM_ID.match(teams[0]) else None
        opted_in = (query.get("auto_hold") or [""])[0] in ("1", "true", "yes")
        generator = (
            self._user_scopes_generator if opted_in else self.settings.authorize_url_generator
        )
        return generator.generate(state=state, team=team)


class SlackInstall:
    """The "Add to Slack" routes on our aiohttp app, with friendly pages either way."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        api_url: str,
        redirect_uri: str | None = None,
        scopes: Sequence[str] | None = None,
        user_scopes: Sequence[str] | None = None,
        on_installed: Sequence[Callable[[str], None]] = (),
        welcome: Callable[[str, str | None], Awaitable[None]] | None = None,
        state_expiration_seconds: int = OAuthStateUtils.default_expiration_seconds,
    ) -> None:
        shipped_scopes, shipped_user_scopes = manifest_scopes()
        bot_scopes = list(shipped_scopes if scopes is None else scopes)
        person_scopes = list(shipped_user_scopes if user_scopes is None else user_scopes)
        self.installation_store = EncryptedInstallationStore(
            client_id=client_id,
            engine=engine,
            sessions=sessions,
            cipher=cipher,
            clock=clock,
            on_installed=on_installed,
            welcome=welcome,
        )
        settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=bot_scopes,
            user_scopes=[],
            redirect_uri=redirect_uri,
            install_page_rendering_enabled=False,  # straight on to Slack's consent page
            callback_options=AsyncCallbackOptions(success=self._success, failure=self._failure),
            installation_store=self.installation_store,
            state_store=SignedStateStore(
                engine=engine,
                client_secret=client_secret,
                expiration_seconds=state_expiration_seconds,
            ),
            state_expiration_seconds=state_expiration_seconds,
            logger=log,
        )
        self._state_utils = settings.state_utils
        self.flow = _Flow(
            client=AsyncWebClient(base_url=api_url, timeout=10),
            logger=log,
            settings=settings,
            user_scopes_generator=AuthorizeUrlGenerator(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=bot_scopes,
                user_scopes=person_scopes,
                authorization_url=settings.authorization_url,
            ),
        )

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/slack/install", self.install)
        app.router.add_get("/slack/oauth_redirect", self.callback)

    async def install(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self.flow.handle_installation(await to_bolt_request(request))
        except Exception:
            log.exception("could not start a Slack install")
            return await to_aiohttp_response(
                self._page("error", _locale(request.headers), status=503)
            )
        return await to_aiohttp_response(response)

    async def callback(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self.flow.handle_callback(await to_bolt_request(request))
        except Exception:  # Slack unreachable, database down: never a bare 500
            log.exception("could not complete a Slack install")
            return await to_aiohttp_response(
                self._page("error", _locale(request.headers), status=503)
            )
        return await to_aiohttp_response(response)

    # -- bolt's callbacks -----------------------------------------------------------------------

    async def _success(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        locale = _locale(args.request.headers)
        body = translate("oauth.installed.body", locale, workspace=installation.team_name or "")
        if installation.user_token:
            body += " " + translate("oauth.auto_hold.body", locale)
        link = f"slack://open?team={installation.team_id or ''}"
        return self._page(
            "installed", locale, status=200, body=body, link=(link, "oauth.open_slack")
        )

    async def _failure(self, args: AsyncFailureArgs) -> BoltResponse:
        locale = _locale(args.request.headers)
        reason = args.reason
        log.info("Slack install did not complete: %s", reason)
        if reason in ("invalid_browser", "invalid_state"):
            return self._page("expired", locale, status=400)
        if reason in ("missing_code", "invalid_code"):
            return self._page("failed", locale, status=400)
        if reason == "storage_error":
            return self._page("error", locale, status=503)
        if reason == "access_denied":  # the installer pressed Cancel on Slack's page
            return self._page("cancelled", locale, status=200)
        return self._page("failed", locale, status=400)  # another `error` Slack sent back

    def _page(
        self,
        kind: str,
        locale: str,
        *,
        status: int,
        body: str | None = None,
        link: tuple[str, str] | None = None,
    ) -> BoltResponse:
        if link is None:
            link = ("/slack/install", "oauth.start_again")
        href, label = link
        page = _PAGE.format(
            lang=locale,
            title=html.escape(translate("oauth.title", locale)),
            heading=html.escape(translate(f"oauth.{kind}.heading", locale)),
            body=html.escape(body if body is not None else translate(f"oauth.{kind}.body", locale)),
            href=html.escape(href, quote=True),
            label=html.escape(translate(label, locale)),
        )
        return BoltResponse(
            status=status,
            body=page,
            headers={
                "Content-Type": "text/html; charset=utf-8",
                # the redirect URL carries a one-time code: keep it out of caches and referrers
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                "frame-ancestors 'none'",
                "Set-Cookie": [self._state_utils.build_set_cookie_for_deletion()],
            },
        )


def _locale(headers: Any) -> str:
    """The page language from ``Accept-Language`` (first choice), English otherwise."""
    value = headers.get("accept-language") if headers is not None else None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    first = str(value or "").split(",", 1)[0].split(";", 1)[0].strip()
    return normalize_locale(first or None)


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 34rem; margin: 4rem auto; padding: 0 1rem;
  line-height: 1.5; color: #1d1c1d; }}
a {{ display: inline-block; margin-top: 1rem; padding: .6rem 1.2rem; border-radius: .4rem;
  background: #4a154b; color: #fff; text-decoration: none; }}
</style>
</head>
<body>
<h1>{heading}</h1>
<p>{body}</p>
<p><a href="{href}">{label}</a></p>
</body>
</html>
"""
