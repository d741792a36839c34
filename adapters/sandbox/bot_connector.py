"""A stand-in for a Bot Connector region (and the bit of Microsoft Graph we read), on real HTTP.

It plays a region's ``serviceUrl`` with a path, as Teams' are (``…/emea/``): it accepts what the
app posts to ``/v3/conversations/…`` (activities, replies, new 1:1 chats), answers member
look-ups from a roster, and serves Outlook working hours at ``/v1.0/users/{id}/mailboxSettings/
workingHours`` and a channel's messages (what it accepted there) at ``/v1.0/teams/{id}/channels/
{id}/messages``. Every call is recorded, so the demo and the tests can say exactly what the app
sent, where and when. It can refuse a conversation the bot is not in (403, as Teams does), insist
on a bearer token, answer 429 + ``Retry-After`` or 5xx on demand, and accept a post but drop the
connection before answering (``lose_answers``).

Channels are modelled as Teams has them (learn.microsoft.com, "Apps for shared and private
channels"; Graph ``channel.membershipType``): a *standard* channel is open to its whole team, so
asking the Bot Connector for the channel's conversation (``GET /v3/conversations/{channelId}/
pagedmembers`` or ``…/members/{id}``) answers with the team's roster; a *private* channel holds a
subset of the team, and a *shared* channel its own direct members (people of other teams and
tenants among them), so the same calls answer with the channel's own list only.

``quiet-hours demo --platform teams`` runs the app against it; the tests add schema checks.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

__all__ = ["MAX_MESSAGE_BYTES", "Call", "SandboxConnector", "TeamsChannel", "message_bytes"]

_ids = itertools.count(1_700_000_000_000)

#: Teams refuses a bot message over about 100 KB, counted in UTF-16, with 413 MessageSizeTooBig
#: (learn.microsoft.com, "Format your bot messages").
MAX_MESSAGE_BYTES = 100 * 1024


def message_bytes(activity: Any) -> int:
    """An activity's size as Teams counts it: its JSON in UTF-16."""
    return len(json.dumps(activity, ensure_ascii=False).encode("utf-16-le"))


@dataclass
class Call:
    """One request the app made: what, where, with which body and token, and what it got."""

    method: str
    path: str
    conversation: str | None
    reply_to: str | None
    body: Any
    authorization: str | None
    status: int = 200
    answer_id: str | None = None  # the id the connector answered with (activity or chat)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


@dataclass
class TeamsChannel:
    """A team's channel: ``membership`` is Graph's ``membershipType`` (``standard``,
    ``private`` or ``shared``); ``members`` are its own (a private or shared channel's only:
    a standard channel's people are its team's roster)."""

    team: str
    membership: str = "standard"
    members: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class SandboxConnector:
    """A Bot Connector region at ``{url}{prefix}/v3/conversations/…`` on 127.0.0.1."""

    token: str | None = None  # the bearer token it insists on (None: anything, or nothing)
    prefix: str = "/emea"
    calls: list[Call] = field(default_factory=list)
    #: what :meth:`check` found wrong in posted activities ("path: problem")
    violations: list[str] = field(default_factory=list)
    #: conversation id -> its roster (``{"id": "29:…", "name": …}`` …)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: channel conversation id -> its team and kind (:meth:`add_channel`); a channel not named
    #: here answers from ``members`` under its own id
    channels: dict[str, TeamsChannel] = field(default_factory=dict)
    #: Microsoft Graph, played by the same server: Entra object id -> Outlook working hours
    working_hours: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Entra object id -> Outlook ``automaticRepliesSetting`` (absent: disabled)
    automatic_replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: conversations (or teams, with all their channels) the bot is not a member of: Teams
    #: refuses everything there with 403
    outsider: set[str] = field(default_factory=set)
    #: Graph may read channel messages (the team granted ``ChannelMessage.Read.Group``)
    channel_read: bool = True
    #: the next this many posts are accepted, but the connection drops before the answer
    lose_answers: int = 0
    #: activities larger than this (UTF-16 bytes) are refused with 413, as Teams does
    max_bytes: int = MAX_MESSAGE_BYTES
    too_big: int = 0  # how many were refused so
    url: str = ""
    _faults: deque[_Fault] = field(default_factory=deque)
    _runner: web.AppRunner | None = None

    @property
    def service_url(self) -> str:
        """The ``serviceUrl`` activities carry: where the app answers."""
        return f"{self.url}{self.prefix}/"

    @property
    def graph_url(self) -> str:
        """The Microsoft Graph base this server plays (``MICROSOFT_GRAPH_URL``)."""
        return f"{self.url}/v1.0/"

    async def start(self) -> str:
        """Listen on a free loopback port; returns the base URL."""
        app = web.Application()
        base = f"{self.prefix}/v3/conversations"
        app.router.add_post(base, self._create)
        app.router.add_post(base + "/{conversation}/activities", self._activity)
        app.router.add_post(base + "/{conversation}/activities/{reply_to}", self._activity)
        app.router.add_put(base + "/{conversation}/activities/{reply_to}", self._activity)
        app.router.add_get(base + "/{conversation}/members/{member}", self._member)
        app.router.add_get(base + "/{conversation}/pagedmembers", self._paged)
        app.router.add_get("/v1.0/users/{user}/mailboxSettings/workingHours", self._hours)
        messages = "/v1.0/teams/{team}/channels/{channel}/messages"
        app.router.add_get(messages, self._channel_messages)
        app.router.add_get(messages + "/{root}/replies", self._channel_messages)
        app.router.add_get(
            "/v1.0/users/{user}/mailboxSettings/automaticRepliesSetting", self._replies
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a demo or a test arranges and reads --

    def check(self, activity: dict[str, Any]) -> list[str]:
        """Problems with an activity the app posted; none here (tests add a schema check)."""
        return []

    def add_channel(
        self,
        channel: str,
        team: str,
        *,
        membership: str = "standard",
        members: list[dict[str, Any]] | None = None,
    ) -> None:
        """A channel of ``team``: standard (its people are the team's roster), or private or
        shared with ``members`` of its own."""
        if membership not in ("standard", "private", "shared"):
            raise ValueError(f"not a channel membership type: {membership}")
        self.channels[channel] = TeamsChannel(team, membership, list(members or []))

    def roster(self, conversation: str) -> list[dict[str, Any]]:
        """Who the Bot Connector lists for ``conversation``: a standard channel's team, a
        private or shared channel's own members, a team's or a chat's own roster."""
        channel = self.channels.get(conversation)
        if channel is None:
            return self.members.get(conversation, [])
        if channel.membership == "standard":
            return self.members.get(channel.team, [])
        return channel.members

    def _outside(self, conversation: str) -> bool:
        """The bot is not in the conversation (or, for a channel, not in its team)."""
        channel = self.channels.get(conversation)
        return conversation in self.outsider or (
            channel is not None and channel.team in self.outsider
        )

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        code: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls with ``status`` (and ``Retry-After``)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"error": {"code": code or f"E{status}", "message": "injected"}}
        for _ in range(times):
            self._faults.append(_Fault(status, headers, body))

    def posted(self, conversation: str | None = None) -> list[Call]:
        """Activities the connector accepted, in order (optionally in one conversation)."""
        return [
            call
            for call in self.calls
            if call.path.endswith("/activities") or "/activities/" in call.path
            if call.method == "POST" and call.status < 300
            if conversation is None or call.conversation == conversation
        ]

    # -- handlers --

    def _record(self, request: web.Request, body: Any) -> Call:
        call = Call(
            method=request.method,
            path=request.path,
            conversation=request.match_info.get("conversation"),
            reply_to=request.match_info.get("reply_to"),
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        self.calls.append(call)
        return call

    def _refusal(self, call: Call) -> web.Response | None:
        if self.token is not None and call.authorization != f"Bearer {self.token}":
            call.status = 401
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        if call.conversation is not None and self._outside(call.conversation.split(";")[0]):
            call.status = 403
            error = {
                "code": "BotNotInConversationRoster",
                "message": "The bot is not part of the conversation roster.",
            }
            return web.json_response({"error": error}, status=403)
        if self._faults:
            fault = self._faults.popleft()
            call.status = fault.status
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return None

    async def _activity(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal
        if message_bytes(body) > self.max_bytes:
            call.status = 413
            self.too_big += 1
            error = {"code": "MessageSizeTooBig", "message": "Message size too big"}
            return web.json_response({"error": error}, status=413)
        for problem in self.check(body):
            self.violations.append(f"{request.path}: {problem}")
        call.status = 201 if request.method == "POST" else 200
        call.answer_id = call.reply_to if request.method == "PUT" else str(next(_ids))
        if self.lose_answers > 0 and request.transport is not None:
            self.lose_answers -= 1  # accepted, but the answer never reaches the app
            request.transport.close()
        return web.json_response({"id": call.answer_id}, status=call.status)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal
        user = body["members"][0]["id"]
        call.status = 201
        call.answer_id = f"a:personal-{user}"
        return web.json_response({"id": call.answer_id}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        call = self._record(request, None)
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal
        wanted = request.match_info["member"]
        for member in self.roster(request.match_info["conversation"]):
            if member["id"] == wanted:
                return web.json_response(member)
        call.status = 404
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)

    async def _paged(self, request: web.Request) -> web.Response:
        call = self._record(request, None)
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal
        roster = self.roster(request.match_info["conversation"])
        size = int(request.query.get("pageSize", "500"))
        start = int(request.query.get("continuationToken") or 0)
        page: dict[str, Any] = {"members": roster[start : start + size]}
        if start + size < len(roster):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)

    async def _channel_messages(self, request: web.Request) -> web.Response:
        """Graph's channel messages (or one thread's replies), newest first, 50 a page:
        what the connector accepted there, each card as its JSON text, as Graph shows it."""
        self.calls.append(
            Call("GET", request.path, None, None, None, request.headers.get("Authorization"))
        )
        if not self.channel_read:
            error = {"code": "Forbidden", "message": "Missing role permissions on the request."}
            return web.json_response({"error": error}, status=403)
        channel, root = request.match_info["channel"], request.match_info.get("root")
        found = []
        for call in reversed(self.posted()):
            base, _, thread = (call.conversation or "").partition(";messageid=")
            if base != channel or call.method != "POST" or call.answer_id is None:
                continue
            if (thread or call.reply_to or None) != root:
                continue
            found.append(
                {
                    "id": call.answer_id,
                    "replyToId": root,
                    "messageType": "message",
                    "createdDateTime": call.at,
                    "lastModifiedDateTime": call.at,
                    "body": {"contentType": "html", "content": str(call.body.get("text") or "")},
                    "attachments": [
                        {
                            "contentType": item.get("contentType"),
                            "content": json.dumps(item.get("content")),
                        }
                        for item in call.body.get("attachments") or []
                    ],
                }
            )
        start = int(request.query.get("$skiptoken") or 0)
        size = min(int(request.query.get("$top") or 20), 50)
        page: dict[str, Any] = {"value": found[start : start + size]}
        if start + size < len(found):
            page["@odata.nextLink"] = str(
                request.url.update_query({"$skiptoken": str(start + size)})
            )
        return web.json_response(page)

    async def _replies(self, request: web.Request) -> web.Response:
        self.calls.append(
            Call("GET", request.path, None, None, None, request.headers.get("Authorization"))
        )
        found = self.automatic_replies.get(request.match_info["user"])
        return web.json_response(found or {"status": "disabled", "externalAudience": "all"})

    async def _hours(self, request: web.Request) -> web.Response:
        self.calls.append(
            Call("GET", request.path, None, None, None, request.headers.get("Authorization"))
        )
        found = self.working_hours.get(request.match_info["user"])
        if found is None:
            error = {"code": "ErrorItemNotFound", "message": "The specified object was not found."}
            return web.json_response({"error": error}, status=404)
        return web.json_response(found)
