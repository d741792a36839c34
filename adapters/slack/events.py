"""`POST /slack/events` on slack-bolt: verify, de-duplicate, acknowledge first, then work.

Bad requests never reach bolt: a tampered or stale signature gets 401 and a body that is not
what Slack sends gets 400 (a bare bolt app answers some of those with 500). A retried event
(same ``event_id``) is acknowledged like the first and then dropped, so it has one effect; a
replayed slash command or interactive payload (``adapters.slack.replay``) is answered kindly and
has none.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.interactions import SlackInteractions
from adapters.slack.oauth import erase_slack_user_tokens
from adapters.slack.replay import needs_replay_check, replay_key
from adapters.slack.tokens import StoredTokens
from bot.clock import Clock
from bot.i18n import translate
from bot.services.autohold import AutoHoldService, OwnMessage
from bot.services.erase import erase_workspace
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    PersonRepository,
    SeenEventRepository,
    WorkspaceRepository,
)

__all__ = ["SlackEvents"]

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)


def _instant(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


class SlackEvents:
    """The Slack side of the web app: one bolt app, our checks in front of it."""

    def __init__(
        self,
        *,
        signing_secret: str,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        tokens: StoredTokens,
        watcher: OffHoursWatcher,
        clock: Clock,
        api_url: str,
        interactions: SlackInteractions | None = None,
        autohold: AutoHoldService | None = None,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._sessions = sessions
        self._cipher = cipher
        self._tokens = tokens
        self._watcher = watcher
        self._clock = clock
        self._interactions = interactions
        self._api_url = api_url
        self._autohold = autohold
        self.bolt = AsyncApp(
            signing_secret=signing_secret,
            client=AsyncWebClient(base_url=api_url),
            authorize=self._authorizer(),
            process_before_response=False,  # acknowledge first, listeners run after
            raise_error_for_unhandled_request=False,
        )
        self.bolt.event("message")(self._on_message)
        self.bolt.event("app_uninstalled")(self._on_uninstalled)
        self.bolt.event("tokens_revoked")(self._on_tokens_revoked)
        if interactions is not None:
            interactions.register(self.bolt)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self.handle)

    # -- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "not a Slack request body"}, status=400)
        if not self._verifier.is_valid_request(text, dict(request.headers)):
            return web.json_response({"error": "invalid signature"}, status=401)
        body = _parse(raw, request.content_type)
        if body is None:
            return web.json_response({"error": "not a Slack request body"}, status=400)
        if needs_replay_check(body) and not await self._first_request(request, raw):
            return await self._replayed(body)
        try:
            response = await self.bolt.async_dispatch(await to_bolt_request(request))
        except Exception:  # never a 500 for what a client sent
            log.exception("Slack request could not be dispatched")
            return web.json_response({"error": "bad request"}, status=400)
        if response.status >= 500:
            return web.json_response({"error": "bad request"}, status=400)
        return await to_aiohttp_response(response)

    async def _first_request(self, request: web.Request, raw: bytes) -> bool:
        """False when these very signed bytes were handled before (``adapters.slack.replay``)."""
        key = replay_key(request.headers, raw)
        async with self._sessions() as session, session.begin():
            return await SeenEventRepository(session).first_time("slack", key, self._clock.now())

    async def _replayed(self, body: dict[str, Any]) -> web.StreamResponse:
        """A replay is acknowledged, kindly, and has no effect."""
        if not body.get("command"):
            return web.Response(status=200)  # a button or modal: nothing more to show
        team, person = str(body.get("team_id", "")), str(body.get("user_id", ""))
        locale = await self._interactions.locale(team, person) if self._interactions else "en"
        return web.json_response(
            {"response_type": "ephemeral", "text": translate("cmd.replayed", locale)}
        )

    def _authorizer(self) -> Any:
        tokens = self._tokens

        # bolt passes arguments by name, so the parameters must be named exactly so
        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            token = await tokens(team_id, None) if team_id else None
            if token is None:
                raise LookupError(f"no installation for {team_id}")
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

        return authorize

    # -- listeners (they run after the acknowledgement) ------------------------------------------

    async def _first_time(self, body: dict[str, Any]) -> bool:
        """Slack retries an event it did not see acknowledged in time; act on it once.

        Checked here, after the acknowledgement, so the request path never waits on the
        database; a retry is acknowledged like the original and then dropped.
        """
        event_id = body.get("event_id")
        if not isinstance(event_id, str):
            return True
        async with self._sessions() as session, session.begin():
            return await SeenEventRepository(session).first_time(
                "slack", event_id, self._clock.now()
            )

    async def _on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        channel_type = event.get("channel_type")
        ts = str(event.get("ts", ""))
        team = str(body.get("team_id", ""))
        first: bool | None = None
        if (
            self._autohold is not None
            and channel_type in ("channel", "group", "im")
            and await self._autohold.opted_in("slack", team, str(event["user"]))
        ):
            first = await self._first_time(body)
            if not first:
                return
            held = await self._autohold.on_own_message(
                OwnMessage(
                    platform="slack",
                    workspace=team,
                    conversation=str(event.get("channel", "")),
                    message_id=ts,
                    author=str(event["user"]),
                    at=_instant(ts),
                    text=str(event.get("text", "")),
                    thread=event.get("thread_ts") or None,
                    is_direct=channel_type == "im",
                )
            )
            if held is not None:
                if self._interactions is not None:
                    await self._interactions.tell_auto_held(
                        client, team, str(event["user"]), str(event.get("channel", "")), held
                    )
                return
        if channel_type not in ("channel", "group"):
            return
        thread = str(event.get("thread_ts") or ts)
        message = ChannelMessage(
            platform="slack",
            workspace=str(body.get("team_id", "")),
            conversation=str(event.get("channel", "")),
            thread=thread,
            author=str(event["user"]),
            at=_instant(ts),
            text=str(event.get("text", "")),
            is_thread_root=thread == ts,
        )
        # Only off-hours messages in watched channels have an effect; only they need the
        # (database) de-duplication.
        if await self._watcher.relevant(message) and (
            first if first is not None else await self._first_time(body)
        ):
            await self._watcher.on_message(message)

    async def _on_uninstalled(self, body: dict[str, Any]) -> None:
        if await self._first_time(body):
            await self._forget(str(body.get("team_id", "")))

    async def _on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        tokens = event.get("tokens") or {}
        if not await self._first_time(body):
            return
        team = str(body.get("team_id", ""))
        if tokens.get("bot"):
            await self._forget(team)
            return  # nobody can be told: the app has no token left in the workspace
        people = [str(person) for person in tokens.get("oauth") or []]
        if people:
            await self._auto_hold_revoked(team, people)

    async def _auto_hold_revoked(self, team: str, people: list[str]) -> None:
        """People took back their user token: auto-hold stops, nothing they wrote is lost.

        Their held messages the outbox would have posted as them are posted by the bot naming
        them instead (the token to post as them is gone); ones Slack already has scheduled stay
        with Slack. Each person is told privately.
        """
        now = self._clock.now()
        told: list[tuple[str, int]] = []
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).find("slack", team)
            if workspace is None:
                return
            repo = PersonRepository(session, self._cipher)
            held = HeldMessageRepository(session, self._cipher)
            await erase_slack_user_tokens(session, team, people)
            for person in people:
                row = await repo.find(workspace.id, person)
                if row is None:
                    continue
                await repo.set_user_token(row, None, now=now)
                moved = await held.post_as_bot(workspace.id, person, now)
                told.append((person, moved))
        if self._autohold is not None:
            self._autohold.forget("slack", team)
        self._tokens.forget(team)
        # bolt does not authorise tokens_revoked events (its client has no token): use ours
        token = await self._tokens(team, None)
        if token is None:
            return
        client = AsyncWebClient(token=token, base_url=self._api_url)
        for person, moved in told:
            if self._interactions is not None:
                await self._interactions.tell_auto_hold_off(client, team, person, moved)

    async def _forget(self, team: str) -> None:
        """The app was uninstalled: erase every row of the workspace (tokens, held messages,
        first lines, people, teams, activity; see bot.services.erase)."""
        async with self._sessions() as session, session.begin():
            erased = await erase_workspace(session, "slack", team)
        if self._autohold is not None:
            self._autohold.forget("slack", team)
        self._tokens.forget(team)
        if erased is not None:
            log.info(
                "workspace %s uninstalled: %d row(s) erased (%d held message(s))",
                team,
                erased.total,
                erased.rows.get("held_messages", 0),
            )


def _parse(raw: bytes, content_type: str) -> dict[str, Any] | None:
    """The request body as Slack sends it (JSON, or a form with a JSON ``payload``), or None."""
    try:
        text = raw.decode("utf-8")
        if content_type == "application/json":
            value = json.loads(text)
            return value if isinstance(value, dict) else None
        form = {key: values[-1] for key, values in parse_qs(text, strict_parsing=False).items()}
        if "payload" in form:
            payload = json.loads(form["payload"])
            return payload if isinstance(payload, dict) else None
        return form if form.get("command") or form.get("ssl_check") else None
    except (UnicodeDecodeError, ValueError):
        return None
