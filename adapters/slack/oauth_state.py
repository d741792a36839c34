"""The Slack OAuth ``state``: signed and stateless until used, so install starts cost nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import slack_oauth_states_table

__all__ = ["SignedStateStore"]

log = logging.getLogger(__name__)


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values that cost nothing until someone comes back with one.

    ``GET /slack/install`` is anonymous: a store that writes a row per issued state lets anyone
    grow the database at will. Here a state is ``{issued}.{nonce}.{HMAC}`` (key derived from the
    client secret), checked on the way back for its signature and age (slack-sdk's expiry,
    10 minutes by default); only a state actually *consumed* is written — so it works once —
    and those rows are dropped once they could no longer pass the age check anyway. (bolt also
    binds the state to the installer's browser with a cookie.)
    """

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        client_secret: str,
        expiration_seconds: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._key = hashlib.sha256(b"quiet-hours oauth state\0" + client_secret.encode()).digest()
        self._expiration = expiration_seconds
        self._now = now

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        body = f"{int(self._now())}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    async def async_consume(self, state: str) -> bool:
        issued_text, _, rest = state.partition(".")
        nonce, _, signature = rest.partition(".")
        if not (issued_text.isascii() and issued_text.isdigit() and nonce and signature):
            return False
        if not hmac.compare_digest(self._sign(f"{issued_text}.{nonce}"), signature):
            return False
        now, issued = self._now(), int(issued_text)
        if not issued - 60 <= now <= issued + self._expiration:
            return False
        table = slack_oauth_states_table
        # naive UTC, as slack-sdk's table stores `expire_at`
        expire_at = datetime.fromtimestamp(issued + self._expiration, UTC).replace(tzinfo=None)
        cutoff = datetime.fromtimestamp(now, UTC).replace(tzinfo=None)
        async with self._engine.begin() as connection:
            await connection.execute(delete(table).where(table.c.expire_at < cutoff))
            used = await connection.scalar(select(table.c.id).where(table.c.state == state))
            if used is not None:
                return False
            await connection.execute(table.insert().values(state=state, expire_at=expire_at))
        return True
