"""`POST /slack/events` on slack-bolt: verify, make durable, acknowledge, then work.

Our checks in front of bolt, in this order, so a bad request costs neither memory nor a 500:
1. the signature headers, before the body is read: exactly one ``X-Slack-Request-Timestamp``
   (ASCII digits, within 5 minutes of now, as Slack's "Verifying requests from Slack" asks) and
   one ``X-Slack-Signature`` shaped ``v0=<64 hex>``, else 401;
2. the body, read only up to ``bot.webio.MAX_BODY`` (413 past it), then the HMAC (401);
3. a body that is not what Slack sends (not UTF-8, not a JSON object, nested too deep, a form
   without a payload) gets 400 — each refusal is one log line, never a traceback.

Events that have an effect (messages, reactions, ``app_uninstalled``, ``tokens_revoked``) are
handled here,
not by bolt: the effect's durable part (the activity, the held copy, the erasure) and the
event's de-duplication row are written in one transaction *before* the 200 (within
:data:`DURABLE_BUDGET_SECONDS` of Slack's 3 s); platform calls (labels, taking a message down,
private notes) follow the acknowledgement. When the database cannot be reached the answer is a
deliberate 503 with ``Retry-After`` (Slack retries any non-2xx; see ``bot.webio``), and the
retry, once stored, has exactly one effect. Socket Mode stores them the same way before it
acknowledges the envelope (``adapters.slack.socket_mode``). A replayed slash command or
interactive payload (``adapters.slack.replay``) is answered kindly and has no effect.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.effects import After, SlackEventEffects
from adapters.slack.guard_actions import GuardButtons
from adapters.slack.interactions import SlackInteractions
from adapters.slack.replay import needs_replay_check, replay_key
from adapters.slack.tokens import StoredTokens
from bot.clock import Clock
from bot.i18n import translate
from bot.services.autohold import AutoHoldService
from bot.services.once import Duplicate
from bot.services.platform_defaults import PlatformDefaults
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.message_rows import MessageRows
from bot.webio import (
    BodyTooLarge,
    database_unavailable,
    load_json,
    read_body,
    refuse,
    try_again,
)

__all__ = ["SlackEvents"]

log = logging.getLogger(__name__)

BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("slack_bolt", AsyncApp)
#: Slack wants its 200 within 3 s; the durable part of an event must be done well before that.
DURABLE_BUDGET_SECONDS = 2.0
#: Slack's replay window: "more than five minutes from local time" is refused.
MAX_SKEW_SECONDS = 60 * 5
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)
#: Event types whose effect must be durable before Slack hears 200.
DURABLE_EVENTS = frozenset(
    {"message", "reaction_added", "reaction_removed", "app_uninstalled", "tokens_revoked"}
)


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
        defaults: PlatformDefaults | None = None,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._defaults = defaults
        self._sessions = sessions
        self._tokens = tokens
        self._clock = clock
        self._interactions = interactions
        self._writes = watcher.writes
        self.effects = SlackEventEffects(
            sessions=sessions,
            cipher=cipher,
            tokens=tokens,
            watcher=watcher,
            clock=clock,
            api_url=api_url,
            interactions=interactions,
            autohold=autohold,
        )
        with _without_env("SLACK_BOT_TOKEN"):
            # bolt reads SLACK_BOT_TOKEN itself when given none; with our client it would only
            # warn "token will be unused" at every start: tokens come from our authorize
            self.bolt = AsyncApp(
                signing_secret=signing_secret,
                client=AsyncWebClient(base_url=api_url),
                authorize=self._authorizer(),
                process_before_response=False,  # acknowledge first, listeners run after
                raise_error_for_unhandled_request=False,
            )
        self._tasks: set[asyncio.Future[None]] = set()
        # Socket Mode's way in for DURABLE_EVENTS; over HTTP they are handled in front of bolt
        self.bolt.event("message")(self._on_event)
        self.bolt.event("app_uninstalled")(self._on_event)
        self.bolt.event("tokens_revoked")(self._on_event)
        # everyone's hours without asking: read a person's zone and notification schedule when
        # they are first seen, and again when their profile changes (``user_change``)
        self.bolt.event("user_change")(self._on_user_change)
        self.bolt.event("member_joined_channel")(self._on_member_joined)
        self.bolt.event("reaction_added")(self._on_event)
        self.bolt.event("reaction_removed")(self._on_event)
        if interactions is not None:
            interactions.register(self.bolt)
        GuardButtons(guard=watcher.guard).register(self.bolt)

    def mount(self, app: web.Application) -> None:
        """Add ``POST /slack/events``; follow-ups still running are awaited on shutdown, and
        first-sight reads cancelled (and awaited: :meth:`PlatformDefaults.stop`)."""
        app.router.add_post("/slack/events", self.handle)
        app.on_shutdown.append(self._drain)

    async def _drain(self, app: web.Application) -> None:
        if self._defaults is not None:
            await self._defaults.stop()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    # -- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One Slack request: checked as the module docstring says, then acknowledged."""
        why = _unsigned(request.headers.getall("X-Slack-Request-Timestamp", []), time.time())
        signatures = request.headers.getall("X-Slack-Signature", [])
        if why is None and (len(signatures) != 1 or not _SIGNATURE.fullmatch(signatures[0])):
            why = "no or malformed X-Slack-Signature"
        if why is not None:  # refused before a byte of the body is read
            return refuse(401, "invalid signature", why, request)
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return refuse(413, "request too large", "body over the limit", request)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return refuse(400, "not a Slack request body", "body is not UTF-8", request)
        timestamp = request.headers["X-Slack-Request-Timestamp"]
        if not self._verifier.is_valid(text, timestamp, signatures[0]):
            return refuse(401, "invalid signature", "signature does not match", request)
        body = _parse(text, request.content_type)
        if body is None:
            return refuse(400, "not a Slack request body", "not what Slack sends", request)
        event = body.get("event")
        if (
            body.get("type") == "event_callback"
            and isinstance(event, dict)
            and event.get("type") in DURABLE_EVENTS
        ):
            return await self._acknowledge_durably(request, body, event)
        if body.get("command") and not all(
            isinstance(body.get(key), str) and body[key] for key in _COMMAND_FIELDS
        ):
            why = "a slash command without " + "/".join(_COMMAND_FIELDS)
            return refuse(400, "not a Slack request body", why, request)
        unknown = await self._foreign(body)
        if unknown is not None:
            return unknown
        if needs_replay_check(body):
            try:
                first = await self._first_request(request, raw)
            except Exception as error:
                if database_unavailable(error):
                    return try_again(request, f"database unavailable ({type(error).__name__})")
                raise
            if not first:
                return await self._replayed(body)
        try:
            response = await self.bolt.async_dispatch(
                AsyncBoltRequest(
                    body=text,
                    query=request.query_string,
                    headers=request.headers,  # type: ignore[arg-type]
                )
            )
        except Exception:  # never a 500 for what a client sent
            log.exception("Slack request could not be dispatched")
            return web.json_response({"error": "bad request"}, status=400)
        if response.status >= 500:
            return web.json_response({"error": "bad request"}, status=400)
        return await to_aiohttp_response(response)

    async def _foreign(self, body: dict[str, Any]) -> web.Response | None:
        """The answer to a request from a workspace without Quiet Hours, or None to go on.

        Slack sends a workspace's events, commands and clicks only where the app is installed;
        one from elsewhere was uninstalled meanwhile, or is a stray. It is acknowledged with 200
        (as bolt's own authorization answers a workspace it has no installation for: Slack
        would retry any other status, and counts failures against the app's subscription),
        logged once at WARNING without a traceback, and nothing is stored. A command is told,
        in English (we know nothing of the person), that Quiet Hours is not installed there.
        """
        team = _team_of(body)
        if team is None or body.get("type") in ("url_verification", "ssl_check"):
            return None
        try:
            known = await self._tokens(team, None) is not None
        except Exception:  # the database is away: bolt's path says so as before
            return None
        if known:
            return None
        log.warning("a Slack request from a workspace without Quiet Hours was acknowledged")
        if body.get("command"):
            text = translate("cmd.not_installed", None)
            return web.json_response({"response_type": "ephemeral", "text": text})
        return web.Response(status=200)

    async def _first_request(self, request: web.Request, raw: bytes) -> bool:
        """False when these very signed bytes were handled before (``adapters.slack.replay``).

        The key is claimed in the process's group commit (committed before the request goes
        on, with whatever else is being stored at that moment) rather than in a transaction
        of its own: on SQLite two round trips to the driver instead of six."""
        key = replay_key(request.headers, raw)
        try:
            await self._writes.run_rows(
                MessageRows(), in_session=_nothing, event=("slack", key), at=self._clock.now()
            )
        except Duplicate:
            return False
        return True

    async def _replayed(self, body: dict[str, Any]) -> web.StreamResponse:
        """A replay is acknowledged, kindly, and has no effect."""
        if not body.get("command"):
            return web.Response(status=200)  # a button or modal: nothing more to show
        team, person = str(body.get("team_id", "")), str(body.get("user_id", ""))
        locale = await self._interactions.locale(team, person) if self._interactions else "en"
        return web.json_response(
            {"response_type": "ephemeral", "text": translate("cmd.replayed", locale)}
        )

    async def _acknowledge_durably(
        self, request: web.Request, body: dict[str, Any], event: dict[str, Any]
    ) -> web.Response:
        """200 once the event's effect is stored; 503 (Slack retries) when it cannot be."""
        retry = await self.store_first(body, event)
        if retry is not None:
            return try_again(request, retry)
        return web.json_response({"ok": True})

    async def store_first(self, body: dict[str, Any], event: dict[str, Any]) -> str | None:
        """Store an effectful event's durable part (within :data:`DURABLE_BUDGET_SECONDS`) and
        start what follows it; ``None`` when Slack may hear it was received, else why Slack
        must send it again (the database is away, or storing took too long). HTTP answers the
        latter with 503, Socket Mode by not acknowledging the envelope: both make Slack retry."""
        work = asyncio.ensure_future(self.effects.durable(body, event))
        done, _ = await asyncio.wait({work}, timeout=DURABLE_BUDGET_SECONDS)
        if not done:
            # Still storing: answer "try again", and let the work finish (what it then stores,
            # the retry finds as a duplicate; what follows the store still runs).
            work.add_done_callback(self._run_after)
            return "storing the event took too long"
        try:
            after = work.result()
        except Duplicate:
            return None  # a retry of what we already stored
        except Exception as error:
            if database_unavailable(error):
                return f"database unavailable ({type(error).__name__})"
            log.exception("a Slack event could not be handled")
            return None  # our fault; a retry would fail alike
        if after is not None:
            self._spawn(after())
        self._seen(body, event)
        return None

    def _seen(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """After the acknowledgement: the author of a message was seen."""
        user, team = event.get("user"), body.get("team_id")
        if self._defaults is None or event.get("type") != "message" or event.get("bot_id"):
            return
        if isinstance(user, str) and user and isinstance(team, str) and team:
            self._defaults.seen_in_background("slack", team, user)

    async def _on_user_change(self, body: dict[str, Any]) -> None:
        """A profile changed (zone, schedule …): read the person's platform defaults again.
        Acknowledged by bolt first; a person's own hours are never touched."""
        event, team = body.get("event") or {}, body.get("team_id")
        user = event.get("user") if isinstance(event, dict) else None
        if self._defaults is None or not isinstance(team, str) or not isinstance(user, dict):
            return
        person = user.get("id")
        if not isinstance(person, str) or user.get("is_bot") or user.get("deleted"):
            return
        await self._defaults.refresh_quietly("slack", team, person, profile_changed=True)

    async def _on_member_joined(self, body: dict[str, Any]) -> None:
        """Someone joined a channel: first sight of them, when it is."""
        event, team = body.get("event") or {}, body.get("team_id")
        person = event.get("user") if isinstance(event, dict) else None
        if self._defaults is not None and isinstance(team, str) and isinstance(person, str):
            await self._defaults.seen("slack", team, person)

    def _run_after(self, work: asyncio.Future[After | None]) -> None:
        if work.cancelled() or work.exception() is not None:
            return
        after = work.result()
        if after is not None:
            self._spawn(after())

    async def follow_ups_done(self) -> None:
        """Wait (at most 10 s) until what follows the acknowledgements given so far — labels, a
        decision's guard, a hold's notice — has run: for the sandbox's demo and tests, which
        read the workspace right after an event."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack event follow-up failed", exc_info=task.exception())

    def _authorizer(self) -> Any:
        tokens = self._tokens

        # bolt passes arguments by name, so the parameters must be named exactly so
        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            token = await tokens(team_id, None) if team_id else None
            if token is None:
                raise LookupError(f"no installation for {team_id}")
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

        return authorize

    # -- Socket Mode: bolt's listeners (acknowledged on the socket first) run the same path ----

    async def _on_event(self, body: dict[str, Any]) -> None:
        event = body.get("event")
        if not isinstance(event, dict):
            return
        try:
            after = await self.effects.durable(body, event)
        except Duplicate:
            return
        if after is not None:
            await after()


@contextmanager
def _without_env(name: str) -> Iterator[None]:
    """``name`` absent from the environment inside the block (construction at startup, one
    thread), restored after."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved


#: What every slash command carries (Slack sends them all); a command without one is refused.
_COMMAND_FIELDS = ("team_id", "user_id", "channel_id")


async def _nothing(session: AsyncSession) -> bool:
    """A group commit's write that stores nothing but its event's key (no label: False)."""
    return False


def _team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request is from: ``team_id`` (events, commands) or ``team.id`` (clicks,
    forms, shortcuts); None when it names none (an org-wide request)."""
    team = body.get("team_id")
    if not isinstance(team, str) or not team:
        inner = body.get("team")
        team = inner.get("id") if isinstance(inner, dict) else None
    return team if isinstance(team, str) and team else None


def _unsigned(timestamps: list[str], now: float) -> str | None:
    """Why the timestamp header does not pass (checked before the body), or None."""
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        return "no or malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamps[0])) > MAX_SKEW_SECONDS:
        return "stale X-Slack-Request-Timestamp"
    return None


def _parse(text: str, content_type: str) -> dict[str, Any] | None:
    """The request body as Slack sends it (JSON, or a form with a JSON ``payload``), or None."""
    try:
        if content_type == "application/json":
            value = load_json(text)
            return value if isinstance(value, dict) else None
        form = {key: values[-1] for key, values in parse_qs(text, strict_parsing=False).items()}
        if "payload" in form:
            payload = load_json(form["payload"])
            return payload if isinstance(payload, dict) else None
        return form if form.get("command") or form.get("ssl_check") else None
    except ValueError:
        return None
