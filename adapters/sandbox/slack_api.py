"""A small Slack Web API stand-in over real HTTP: the demo's sandbox and the tests' fake Slack.

It keeps channels and messages in memory, answers the methods Quiet Hours calls, records every
call, checks the bot token, and can misbehave on purpose: per-channel and workspace rate limits
answered with ``429`` + ``Retry-After``, injected ``5xx`` and slow responses, archived channels
and revoked tokens. Given a ``payload_checker`` it refuses what real Slack refuses for its size or
shape (``invalid_blocks``, ``msg_too_long``, ``invalid_arguments`` for a view), and keeps why in
``refusals``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.domain.markup import unescape

__all__ = ["Call", "FakeSlack", "Faults", "TokenBucket", "UploadedFile"]

JSONDict = dict[str, Any]
#: ``(method, params)`` → ``None`` if Slack would take the payload, else (error code, reasons)
PayloadChecker = Callable[[str, JSONDict], tuple[str, list[str]] | None]


@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    params: JSONDict
    token: str | None
    at: float
    status: int = 200
    error: str | None = None


@dataclass
class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` per second (Slack's burst model)."""

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> float:
        """0 if a request may pass now (and consume a token), else seconds until one may."""
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Faults:
    """Deliberate misbehaviour, for fault tests and benchmarks."""

    error_rate: float = 0.0  # share of write calls answered 500/503
    timeout_rate: float = 0.0  # share of write calls answered only after `slow_seconds`
    slow_seconds: float = 15.0
    channel_rate: float | None = None  # chat.postMessage per channel per second (burst 3)
    channel_burst: float = 3.0
    workspace_rate: float | None = None  # chat.postMessage per second, whole workspace
    workspace_burst: float = 20.0
    fail_next: dict[str, list[int]] = field(default_factory=dict)  # method -> statuses to answer
    #: method -> seconds before any answer (a read that hangs: ``users.info`` under an outage)
    stall: dict[str, float] = field(default_factory=dict)
    #: the next this many chat.postMessage calls are carried out, but the connection drops
    #: before the answer (a post Slack made whose answer the app never got)
    lose_answers: int = 0
    seed: int = 1


@dataclass
class Message:
    ts: str
    channel: str
    text: str
    user: str
    thread_ts: str | None = None
    metadata: JSONDict | None = None
    blocks: list[JSONDict] | None = None
    reactions: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # ids of files shared with the message

    @property
    def body(self) -> str:
        """What people read: with blocks, their sections' text (``text`` is then only the
        notification), with escaped characters shown as the characters; else ``text``."""
        sections = [
            str((block.get("text") or {}).get("text", ""))
            for block in self.blocks or []
            if block.get("type") == "section"
        ]
        return unescape("".join(sections)) if sections else self.text


@dataclass
class UploadedFile:
    """A file uploaded with ``files.getUploadURLExternal`` + ``files.completeUploadExternal``."""

    id: str
    filename: str
    length: int
    uploader: str
    alt_txt: str | None = None
    content: bytes | None = None  # None until its bytes are POSTed to the upload URL
    title: str | None = None
    channel: str | None = None  # where it was shared, once completed


WRITE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}


class FakeSlack:
    """An in-memory Slack workspace served over HTTP at ``{url}/api/<method>``."""

    def __init__(
        self,
        *,
        team_id: str = "T_SANDBOX",
        bot_token: str = "xoxb-sandbox",
        bot_user: str = "U_QUIETBOT",
        users: dict[str, JSONDict] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        faults: Faults | None = None,
        validator: Callable[[str, JSONDict], None] | None = None,
        payload_checker: PayloadChecker | None = None,
        auto_create_channels: bool = False,
    ) -> None:
        self.team_id = team_id
        self.auto_create_channels = auto_create_channels
        self.tokens: dict[str, str] = {bot_token: bot_user}
        self.bot_user = bot_user
        self.users: dict[str, JSONDict] = users or {}
        self.channels: dict[str, list[Message]] = {}
        self.archived: set[str] = set()
        #: channel -> its members, for channels created with named members
        self.members: dict[str, list[str]] = {}
        self.private: set[str] = set()
        #: group DMs (``is_mpim``) among the private conversations
        self.group_dms: set[str] = set()
        self.revoked: set[str] = set()
        self.ephemeral: list[JSONDict] = []
        self.scheduled: dict[str, JSONDict] = {}
        self.views: dict[str, JSONDict] = {}
        self.opened_views: list[JSONDict] = []
        #: what the app answered on ``response_url`` hooks (slash commands, buttons), in order
        self.responses: list[JSONDict] = []
        #: do-not-disturb schedules: user -> (next start, next end) as Unix times
        self.dnd: dict[str, tuple[float, float]] = {}
        self.ims: dict[str, tuple[str, str]] = {}
        #: files by id: announced, uploaded, and (once completed) shared in a channel
        self.files: dict[str, UploadedFile] = {}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        #: payloads refused for their size or shape: "method: reason"
        self.refusals: list[str] = []
        self._payload_checker = payload_checker
        #: OAuth: client_id -> client_secret, and one-time codes -> the oauth.v2.access answer
        self.oauth_clients: dict[str, str] = {}
        self.oauth_codes: dict[str, JSONDict] = {}
        #: Socket Mode: app-level tokens and the ws:// URL apps.connections.open hands out
        self.app_tokens: set[str] = set()
        self.socket_mode_url: str | None = None
        self.faults = faults or Faults()
        self._clock = clock or time.monotonic
        #: message timestamps follow this (Unix seconds) when given: an accelerated demo week
        self._wall_clock = wall_clock
        self._validator = validator
        self._rng = random.Random(self.faults.seed)
        self._channel_buckets: dict[str, TokenBucket] = {}
        self._workspace_bucket: TokenBucket | None = None
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle ------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        app.router.add_get("/_sandbox/messages", self._dump)
        app.router.add_post("/_sandbox/respond/{hook}", self._respond)
        app.router.add_post("/_sandbox/upload/{file_id}", self._upload)
        return app

    async def _upload(self, request: web.Request) -> web.Response:
        """The URL ``files.getUploadURLExternal`` hands out: the file's bytes, raw or as a
        multipart form (Slack takes both); no token, the URL itself is the permission."""
        found = self.files.get(request.match_info["file_id"])
        if found is None or found.content is not None:
            return web.Response(status=404, text="unknown or used upload URL")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()), None)
            data = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            data = await request.read()
        if len(data) != found.length:
            return web.Response(status=400, text="length does not match")
        found.content = data
        return web.Response(text=f"OK - {len(data)}")

    async def _dump(self, request: web.Request) -> web.Response:
        """Everything posted, for benchmarks that run the sandbox in another process."""
        return web.json_response(
            {
                "messages": [[m.channel, m.text] for m in self.posted()],
                "calls": len(self.calls),
                "rate_limited": sum(1 for call in self.calls if call.status == 429),
            }
        )

    async def _respond(self, request: web.Request) -> web.Response:
        """A ``response_url``: Slack shows what is posted here to the person who acted."""
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_json")
        refused = self._refused("response_url", body)
        if refused is not None:
            return web.Response(status=400, text=refused)
        self.responses.append({"hook": request.match_info["hook"], **body})
        return web.Response(text="ok")

    def response_url(self, hook: str = "1") -> str:
        return self.url.removesuffix("/api/") + f"/_sandbox/respond/{hook}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        bound_port = sockets[0].getsockname()[1]
        self.url = f"http://{host}:{bound_port}/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- helpers for tests and the demo ----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "Europe/Oslo",
        locale: str = "en-US",
        *,
        is_admin: bool = False,
        is_bot: bool = False,
        guest: str | None = None,
    ) -> None:
        """A person; ``guest`` makes them a ``"multi"``-channel guest (``is_restricted``) or a
        ``"single"``-channel guest (``is_ultra_restricted`` too, as Slack marks them)."""
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "real_name": name,
            "tz": tz,
            "locale": locale,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_restricted": guest is not None,
            "is_ultra_restricted": guest == "single",
        }

    def add_channel(
        self, channel: str, *, members: list[str] | None = None, private: bool = False
    ) -> None:
        """A channel; ``members`` (and the bot) are in it, or else everyone is."""
        self.channels.setdefault(channel, [])
        if members is not None:
            self.members[channel] = [*members, self.bot_user]
        if private:
            self.private.add(channel)

    def add_private(
        self, channel: str, members: list[str], *, bot_member: bool = False, group_dm: bool = False
    ) -> None:
        """A private channel or, with ``group_dm``, a group DM (``G…``) of ``members``; the bot
        is in it only when ``bot_member``. Like Slack, it answers ``channel_not_found`` to
        anyone not in it."""
        self.channels.setdefault(channel, [])
        if group_dm:
            self.group_dms.add(channel)
        self.members[channel] = [*members, *([self.bot_user] if bot_member else [])]
        self.private.add(channel)

    def user_writes(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A person posts in Slack (what the Events API would then report to the bot)."""
        message = Message(
            ts=self._next_ts(), channel=channel, text=text, user=user, thread_ts=thread_ts
        )
        self.channels.setdefault(channel, []).append(message)
        return message

    def posted(self, channel: str | None = None) -> list[Message]:
        """Messages in ``channel`` (or everywhere), oldest first."""
        if channel is not None:
            return list(self.channels.get(channel, []))
        return [message for messages in self.channels.values() for message in messages]

    def approve_install(
        self,
        code: str,
        *,
        client_id: str,
        installer: str,
        bot_token: str,
        user_token: str | None = None,
        user_scope: str = "",
        team_name: str = "Sandbox",
    ) -> None:
        """Someone approved the app on Slack's consent page: ``code`` may be exchanged once."""
        authed_user: JSONDict = {"id": installer}
        if user_token is not None:
            authed_user.update(access_token=user_token, scope=user_scope, token_type="user")
        self.oauth_codes[code] = {
            "client_id": client_id,
            "answer": {
                "ok": True,
                "app_id": "A_QUIET",
                "access_token": bot_token,
                "token_type": "bot",
                "scope": "chat:write,commands",
                "bot_user_id": self.bot_user,
                "team": {"id": self.team_id, "name": team_name},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": authed_user,
            },
        }

    def _oauth_v2_access(self, call: Call, params: JSONDict, auth: str) -> web.Response:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth.removeprefix("Basic "), validate=True).decode()
            except ValueError:
                return self._error(call, "invalid_client_id")
            client_id, _, secret = pair.partition(":")
        if client_id not in self.oauth_clients:
            return self._error(call, "invalid_client_id")
        if self.oauth_clients[str(client_id)] != secret:
            return self._error(call, "bad_client_secret")
        grant = self.oauth_codes.pop(str(params.get("code", "")), None)
        if grant is None or grant["client_id"] != client_id:
            return self._error(call, "invalid_code")
        answer: JSONDict = grant["answer"]
        self.tokens[answer["access_token"]] = self.bot_user
        user_token = answer["authed_user"].get("access_token")
        if user_token:
            self.tokens[user_token] = answer["authed_user"]["id"]
        return web.json_response(answer)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def now(self) -> float:
        return self._clock()

    # -- the HTTP side ----------------------------------------------------------------------

    async def _params(self, request: web.Request) -> JSONDict:
        params: JSONDict = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(dict(await request.post()))
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await self._answer(request)
        lost = request.match_info["method"] == "chat.postMessage" and self.faults.lose_answers > 0
        if lost and response.status == 200 and request.transport is not None:
            self.faults.lose_answers -= 1
            request.transport.close()
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
        call = Call(method=method, params=params, token=token, at=self.now())
        self.calls.append(call)
        if self._validator is not None:
            try:
                self._validator(method, {**params, "token": token})
            except AssertionError as violation:
                self.violations.append(str(violation))
                return self._error(call, "invalid_arguments")
        status = self._injected_status(method)
        if status is not None:
            call.status = status
            if status == 429:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
            return web.Response(status=status, text="injected failure")
        if method in WRITE_METHODS and self._rng.random() < self.faults.timeout_rate:
            await asyncio.sleep(self.faults.slow_seconds)
        if method in self.faults.stall:
            await asyncio.sleep(self.faults.stall[method])
        if method == "oauth.v2.access":  # client credentials, not a token
            call.token = None
            return self._oauth_v2_access(call, params, auth)
        if method == "apps.connections.open":  # an app-level token, not a bot token
            if token not in self.app_tokens or self.socket_mode_url is None:
                return self._error(call, "invalid_auth")
            return web.json_response({"ok": True, "url": self.socket_mode_url})
        if token is None or token not in self.tokens:
            return self._error(call, "not_authed" if token is None else "invalid_auth")
        if token in self.revoked:
            return self._error(call, "token_revoked")
        if method == "chat.postMessage":
            wait = self._rate_limit(str(params.get("channel", "")))
            if wait > 0:
                call.status, call.error = 429, "ratelimited"
                retry_after = max(1, int(wait + 0.999))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(call, "unknown_method")
        refused = self._refused(method, params)
        if refused is not None:
            return self._error(call, refused)
        result: JSONDict = handler(params, self.tokens[token])
        if not result.get("ok", True):
            call.error = str(result.get("error"))
        return web.json_response({"ok": True, **result} if result.get("ok", True) else result)

    def _refused(self, method: str, params: JSONDict) -> str | None:
        """The error code Slack would answer for this payload's size or shape, if any."""
        if self._payload_checker is None:
            return None
        decoded = dict(params)
        for key in ("blocks", "view"):
            if isinstance(decoded.get(key), str):
                try:
                    decoded[key] = json.loads(decoded[key])
                except ValueError:
                    return "invalid_arguments"
        verdict = self._payload_checker(method, decoded)
        if verdict is None:
            return None
        code, reasons = verdict
        self.refusals += [f"{method}: {reason}" for reason in reasons]
        return code

    def _injected_status(self, method: str) -> int | None:
        queue = self.faults.fail_next.get(method)
        if queue:
            return queue.pop(0)
        if method in WRITE_METHODS and self._rng.random() < self.faults.error_rate:
            return self._rng.choice([500, 503])
        return None

    def _rate_limit(self, channel: str) -> float:
        now = self.now()
        wait = 0.0
        if self.faults.workspace_rate:
            if self._workspace_bucket is None:
                self._workspace_bucket = TokenBucket(
                    self.faults.workspace_burst, self.faults.workspace_rate
                )
            wait = self._workspace_bucket.take(now)
            if wait > 0:
                return wait
        if self.faults.channel_rate:
            bucket = self._channel_buckets.setdefault(
                channel, TokenBucket(self.faults.channel_burst, self.faults.channel_rate)
            )
            wait = bucket.take(now)
            if wait > 0 and self._workspace_bucket is not None:
                self._workspace_bucket.tokens += 1  # refused here: give the workspace token back
        return wait

    def _error(self, call: Call, error: str) -> web.Response:
        call.error = error
        return web.json_response({"ok": False, "error": error})

    def _next_ts(self) -> str:
        if self._wall_clock is not None:
            return f"{int(self._wall_clock())}.{next(self._ts):06d}"
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def _hidden(self, channel: str, user: str) -> bool:
        """Slack hides a private channel or group DM from whoever is not in it."""
        return channel in self.private and user not in self.members.get(channel, [])

    def _channel(self, params: JSONDict, user: str) -> tuple[str | None, JSONDict | None]:
        channel = str(params.get("channel", ""))
        if not channel or self._hidden(channel, user):
            return None, {"ok": False, "error": "channel_not_found"}
        if channel in self.archived:
            return None, {"ok": False, "error": "is_archived"}
        known = channel in self.channels or self.auto_create_channels
        if not known and not channel.startswith(("D", "U")):
            return None, {"ok": False, "error": "channel_not_found"}
        self.channels.setdefault(channel, [])
        return channel, None

    # -- methods ----------------------------------------------------------------------------

    def _m_auth_test(self, params: JSONDict, user: str) -> JSONDict:
        return {"team_id": self.team_id, "user_id": user, "bot_id": "B_QUIET", "team": "Sandbox"}

    def _m_chat_postMessage(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        assert channel is not None
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        message = Message(
            ts=self._next_ts(),
            channel=channel,
            text=str(params.get("text", "")),
            user=user,
            thread_ts=params.get("thread_ts") or None,
            metadata=metadata,
            blocks=blocks,
        )
        self.channels[channel].append(message)
        return {"channel": channel, "ts": message.ts, "message": self._render(message)}

    def _m_chat_update(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        for message in self.channels[channel or ""]:
            if message.ts == params.get("ts"):
                message.text = str(params.get("text", message.text))
                blocks = params.get("blocks")
                if isinstance(blocks, str):
                    blocks = json.loads(blocks)
                if blocks is not None:
                    message.blocks = blocks
                return {"channel": channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_delete(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        messages = self.channels[channel or ""]
        kept = [m for m in messages if m.ts != params.get("ts")]
        if len(kept) == len(messages):
            return {"ok": False, "error": "message_not_found"}
        (gone,) = [m for m in messages if m.ts == params.get("ts")]
        if gone.user != user and user != self.bot_user:
            return {"ok": False, "error": "cant_delete_message"}
        self.channels[channel or ""] = kept
        return {"channel": channel, "ts": params.get("ts")}

    def _m_chat_postEphemeral(self, params: JSONDict, user: str) -> JSONDict:
        self.ephemeral.append(dict(params))
        return {"message_ts": self._next_ts()}

    def _m_chat_scheduleMessage(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        scheduled_id = f"Q{next(self._ts)}"
        self.scheduled[scheduled_id] = {**params, "id": scheduled_id, "user": user}
        return {
            "channel": channel,
            "scheduled_message_id": scheduled_id,
            "post_at": params.get("post_at"),
        }

    def _m_chat_deleteScheduledMessage(self, params: JSONDict, user: str) -> JSONDict:
        if self.scheduled.pop(str(params.get("scheduled_message_id")), None) is None:
            return {"ok": False, "error": "invalid_scheduled_message_id"}
        return {}

    def post_scheduled(self, until: float) -> list[Message]:
        """Slack posts every scheduled message whose ``post_at`` has come, as its user."""
        posted = []
        for scheduled_id, item in sorted(self.scheduled.items(), key=lambda kv: kv[1]["post_at"]):
            if float(item["post_at"]) > until:
                continue
            del self.scheduled[scheduled_id]
            message = Message(
                ts=self._next_ts(),
                channel=str(item["channel"]),
                text=str(item.get("text", "")),
                user=str(item["user"]),
                thread_ts=item.get("thread_ts") or None,
            )
            self.channels.setdefault(message.channel, []).append(message)
            posted.append(message)
        return posted

    def add_im(self, channel: str, first: str, second: str) -> None:
        """A direct message between two people."""
        self.ims[channel] = (first, second)
        self.channels.setdefault(channel, [])

    def _m_conversations_info(self, params: JSONDict, user: str) -> JSONDict:
        channel = str(params.get("channel", ""))
        if channel in self.ims:
            first, second = self.ims[channel]
            if user not in (first, second):
                return {"ok": False, "error": "channel_not_found"}
            return {
                "channel": {
                    "id": channel,
                    "is_im": True,
                    "user": second if user == first else first,
                }
            }
        known = channel in self.channels or self.auto_create_channels
        if not known or self._hidden(channel, user):
            return {"ok": False, "error": "channel_not_found"}
        return {
            "channel": {
                "id": channel,
                "is_channel": channel not in self.private,
                "is_private": channel in self.private,
                "is_mpim": channel in self.group_dms,
                "is_group": channel in self.private and channel not in self.group_dms,
                "is_archived": channel in self.archived,
            }
        }

    def _m_chat_getPermalink(self, params: JSONDict, user: str) -> JSONDict:
        channel = str(params.get("channel", ""))
        ts = str(params.get("message_ts", ""))
        if not any(m.ts == ts for m in self.channels.get(channel, [])):
            return {"ok": False, "error": "message_not_found"}
        return {
            "channel": channel,
            "permalink": f"https://sandbox.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _m_chat_scheduledMessages_list(self, params: JSONDict, user: str) -> JSONDict:
        return {"scheduled_messages": list(self.scheduled.values())}

    def _m_conversations_history(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        limit = int(params.get("limit", 100))
        newest_first = [self._render(m) for m in reversed(self.channels[channel or ""])]
        return {"messages": newest_first[:limit], "has_more": len(newest_first) > limit}

    def _m_conversations_replies(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        root = params.get("ts")
        thread = [
            self._render(m)
            for m in self.channels[channel or ""]
            if m.ts == root or m.thread_ts == root
        ]
        return {"messages": thread}

    def _m_conversations_members(self, params: JSONDict, user: str) -> JSONDict:
        """Slack's answer, paged by ``limit``/``cursor``: a channel's members (every user of
        the workspace unless :meth:`add_channel` named them), ``channel_not_found`` for a
        channel unknown here or private without the bot."""
        channel = str(params.get("channel", ""))
        if channel in self.members:
            if self.bot_user not in self.members[channel] and channel in self.private:
                return {"ok": False, "error": "channel_not_found"}
            members = list(self.members[channel])
        elif channel in self.channels or self.auto_create_channels:
            members = sorted(self.users)
        else:
            return {"ok": False, "error": "channel_not_found"}
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        start = int(params.get("cursor") or 0)
        page: JSONDict = {"members": members[start : start + limit]}
        following = str(start + limit) if start + limit < len(members) else ""
        page["response_metadata"] = {"next_cursor": following}
        return page

    def _m_conversations_open(self, params: JSONDict, user: str) -> JSONDict:
        users = str(params.get("users", ""))
        channel = "D" + users.replace(",", "_")
        self.channels.setdefault(channel, [])
        return {"channel": {"id": channel}}

    def _m_files_getUploadURLExternal(self, params: JSONDict, user: str) -> JSONDict:
        filename, length = params.get("filename"), params.get("length")
        if not filename or length is None:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = UploadedFile(
            id=file_id,
            filename=str(filename),
            length=int(length),
            uploader=user,
            alt_txt=params.get("alt_txt"),
        )
        base = self.url.removesuffix("/api/")
        return {"upload_url": f"{base}/_sandbox/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: JSONDict, user: str) -> JSONDict:
        raw = params.get("files")
        items = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.files.get(str(item.get("id"))) for item in items]
        if any(item is None or item.content is None for item in found):
            return {"ok": False, "error": "file_not_found"}
        uploaded = [item for item in found if item is not None]
        channel: str | None = None
        if params.get("channel_id"):
            channel, error = self._channel({"channel": params["channel_id"]}, user)
            if error is not None:
                return error
        for item, wanted in zip(uploaded, items, strict=True):
            item.title = wanted.get("title") or item.filename
            item.channel = channel
        if channel is not None:
            self.channels[channel].append(
                Message(
                    ts=self._next_ts(),
                    channel=channel,
                    text=str(params.get("initial_comment") or ""),
                    user=user,
                    thread_ts=params.get("thread_ts") or None,
                    files=[item.id for item in uploaded],
                )
            )
        return {"files": [{"id": item.id, "title": item.title} for item in uploaded]}

    def shared_files(self, channel: str) -> list[UploadedFile]:
        """The files shared in ``channel``, oldest first."""
        return [item for item in self.files.values() if item.channel == channel]

    def _m_users_info(self, params: JSONDict, user: str) -> JSONDict:
        found = self.users.get(str(params.get("user")))
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"user": found}

    def _m_users_conversations(self, params: JSONDict, user: str) -> JSONDict:
        """The channels ``user`` is in, as a bot token sees them: public ones, and private
        ones only where the bot is too; paged by ``limit``/``cursor``."""
        person = str(params.get("user") or "")
        types = str(params.get("types") or "public_channel").split(",")
        found = []
        for channel in sorted(set(self.channels) | set(self.members)):
            private = channel in self.private
            if not channel.startswith(("C", "G")) or channel in self.group_dms:
                continue  # people's DMs are kept here by user id; group DMs are no channels
            if ("private_channel" if private else "public_channel") not in types:
                continue
            members = self.members.get(channel, list(self.users))  # unnamed: everyone
            if person in members and (not private or self.bot_user in members):
                found.append({"id": channel, "is_private": private})
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        start = int(params.get("cursor") or 0)
        following = str(start + limit) if start + limit < len(found) else ""
        return {
            "channels": found[start : start + limit],
            "response_metadata": {"next_cursor": following},
        }

    def _m_users_list(self, params: JSONDict, user: str) -> JSONDict:
        """Every user of the workspace (the app's own bot user too, ``is_bot``), paged by
        ``limit``/``cursor`` like ``conversations.members``."""
        everyone = [*self.users.values()]
        if self.bot_user not in self.users:
            everyone.append({"id": self.bot_user, "name": "quiet-hours", "is_bot": True})
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        start = int(params.get("cursor") or 0)
        following = str(start + limit) if start + limit < len(everyone) else ""
        return {
            "members": everyone[start : start + limit],
            "response_metadata": {"next_cursor": following},
        }

    def _m_dnd_teamInfo(self, params: JSONDict, user: str) -> JSONDict:
        wanted = [u for u in str(params.get("users", "")).split(",") if u]
        found: JSONDict = {}
        for person in wanted:
            if person in self.dnd:
                start, end = self.dnd[person]
                found[person] = {
                    "dnd_enabled": True,
                    "next_dnd_start_ts": int(start),
                    "next_dnd_end_ts": int(end),
                }
            elif person in self.users:
                found[person] = {"dnd_enabled": False}
        return {"users": found}

    def _m_reactions_add(self, params: JSONDict, user: str) -> JSONDict:
        channel, error = self._channel(params, user)
        if error is not None:
            return error
        for message in self.channels[channel or ""]:
            if message.ts == params.get("timestamp"):
                message.reactions.append(str(params.get("name")))
                return {}
        return {"ok": False, "error": "message_not_found"}

    def _m_views_publish(self, params: JSONDict, user: str) -> JSONDict:
        view = params.get("view")
        if isinstance(view, str):
            params = {**params, "view": json.loads(view)}
        self.views[str(params.get("user_id"))] = params
        return {"view": {"id": "V1"}}

    def _m_views_open(self, params: JSONDict, user: str) -> JSONDict:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        self.opened_views.append({"trigger_id": params.get("trigger_id"), "view": view})
        return {"view": {"id": f"V{len(self.opened_views) + 1}"}}

    @staticmethod
    def _render(message: Message) -> JSONDict:
        rendered: JSONDict = {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "user": message.user,
        }
        if message.thread_ts:
            rendered["thread_ts"] = message.thread_ts
        if message.metadata:
            rendered["metadata"] = message.metadata
        if message.reactions:
            rendered["reactions"] = [{"name": name, "count": 1} for name in message.reactions]
        return rendered
