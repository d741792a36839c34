"""Slack tokens from our encrypted store, with a short cache and single-workspace setup."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import ConfigError, StartupError, one_line
from bot.storage.crypto import Cipher
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    WorkspaceRepository,
)

__all__ = ["StoredTokens", "check_bot_token", "install_single_workspace"]

log = logging.getLogger(__name__)

#: auth.test errors that mean "this is not a working bot token" (api.slack.com/methods/auth.test)
REFUSED_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


async def _auth_test(bot_token: str, api_url: str) -> AsyncSlackResponse:
    """Slack's ``auth.test`` for ``bot_token``, its failures as one-line startup errors."""
    try:
        return await AsyncWebClient(token=bot_token, base_url=api_url, timeout=10).auth_test()
    except SlackApiError as error:
        code = str(error.response.get("error") or error.response.status_code)
        if code in REFUSED_TOKEN:
            raise ConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token "
                "(xoxb-…) from your app's OAuth & Permissions page at api.slack.com/apps"
            ) from None
        raise StartupError(
            f"Slack answered auth.test with {code!r} when checking SLACK_BOT_TOKEN; "
            "see api.slack.com/methods/auth.test, then start again"
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise StartupError(
            f"cannot reach Slack at {api_url} to check SLACK_BOT_TOKEN (auth.test): "
            f"{one_line(str(error) or type(error).__name__, limit=200)}; check the network "
            "(proxy, firewall) or SLACK_API_URL"
        ) from None


class StoredTokens:
    """``token_for(team, person)`` for :class:`SlackPlatform`: bot or user tokens, decrypted.

    Tokens are cached for ``ttl`` seconds so a Monday herd does not decrypt one per message;
    :meth:`forget` drops a workspace at once when it uninstalls. When the cache has none, one
    caller reads it and the others wait for that read: a herd's first hundred posts (or the
    ones in flight when the ttl ends) would otherwise each read the database between their send
    slot and the platform, and go out late, together.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        *,
        ttl: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str | None], tuple[float, str | None]] = {}
        self._reading: dict[tuple[str, str | None], asyncio.Lock] = {}

    async def __call__(self, team: str, person: str | None) -> str | None:
        key = (team, person)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        lock = self._reading.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(key)  # read by the caller we waited for
            if cached is not None and cached[0] > self._monotonic():
                return cached[1]
            token = await self._load(team, person)
            self._cache[key] = (self._monotonic() + self._ttl, token)
        if not lock.locked():
            self._reading.pop(key, None)
        return token

    async def _load(self, team: str, person: str | None) -> str | None:
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find("slack", team)
            if workspace is None or workspace.uninstalled_at is not None:
                return None
            if person is None:
                return await InstallationRepository(session, self._cipher).bot_token(workspace.id)
            people = PersonRepository(session, self._cipher)
            row = await people.find(workspace.id, person)
            return None if row is None else people.user_token(row)

    def forget(self, team: str) -> None:
        for key in [key for key in self._cache if key[0] == team]:
            del self._cache[key]


async def check_bot_token(bot_token: str, api_url: str) -> str:
    """The workspace (team id) ``bot_token`` works for, by Slack's ``auth.test`` at ``api_url``.

    Raises ``ConfigError`` when Slack refuses the token, ``StartupError`` when Slack cannot be
    reached or answers otherwise; each one line saying what to do (``quiet-hours doctor``).
    """
    return str((await _auth_test(bot_token, api_url))["team_id"])


async def install_single_workspace(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    *,
    bot_token: str,
    api_url: str,
    now: datetime,
) -> str:
    """Record the workspace behind ``SLACK_BOT_TOKEN`` (asks Slack which one it is).

    Raises ``ConfigError`` when Slack refuses the token and ``StartupError`` when Slack cannot
    be reached: ``serve`` cannot work either way, and says so in one line.
    """
    identity = await _auth_test(bot_token, api_url)
    team_id = str(identity["team_id"])
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "slack", team_id, now=now, name=identity.get("team")
        )
        installations = InstallationRepository(session, cipher)
        if await installations.bot_token(workspace.id) != bot_token:
            await installations.save(
                workspace.id,
                bot_token=bot_token,
                now=now,
                bot_user_id=identity.get("user_id"),
                app_id=identity.get("app_id"),
            )
    log.info("single-workspace Slack install for team %s", team_id)
    return team_id
