"""A fake Bot Connector (real HTTP) and Teams-shaped inbound activities, checked against the schema.

The fake plays a region's ``serviceUrl`` (with a path, as Teams' are: ``…/emea/``), records every
``/v3/conversations/…`` call, and can answer with 429 + Retry-After or 5xx on demand. Everything
posted to it and every activity built here is validated against Bot Framework's activity schema
(``shared/external/teams``), relaxed where Teams itself departs from it: ``from.name`` is often
absent and an HTML attachment's ``content`` is a string.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jsonschema import Draft6Validator, Draft7Validator

from tests.support.shared import ROOT, external_json

#: Microsoft's Adaptive Card 1.5 schema, vendored (see tests/schemas/README.md)
CARD_SCHEMA = ROOT / "tests" / "schemas" / "adaptive-card-1.5.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
#: Teams refuses a bot message over about 100 KB, counted in UTF-16, with 413 MessageSizeTooBig
#: (learn.microsoft.com, "Format your bot messages").
MAX_MESSAGE_BYTES = 100 * 1024

TENANT = "8a7b6c5d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
APP_ID = "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098"
BOT = {"id": f"28:{APP_ID}", "name": "Quiet Hours"}
TEAM = "19:Zq8ahbEBMW0g1Yr8Mg7wn6Mx4ZDd5sSE3wPj0GL8WFM1@thread.tacv2"
GENERAL = TEAM  # a team's General channel has the team's id
CHANNEL = "19:b61e9cb5a0a64b2eb4d6a7bdf3ad4b97@thread.tacv2"
KARI = {"id": "29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bDbAV", "name": "Kari"}
OLA = {"id": "29:1BbmgdJxyEvKHvDUu3gmBHzJUOVQNDWaWaN1YpfoVDl3YF2mA2-wDZ", "name": "Ola"}
GROUP_CHAT = "19:meeting_NjY4YzQ0YmYtOGQ5NC00ZTYyLWIxNTAtNGRjNDc4NDc2ZWNh@thread.v2"
PERSONAL_KARI = "a:1q6kQ4rR0VVL4ZyXpvU6QwN8BtgoKXhJ7cYh3r8jS7eCw9"

_ids = itertools.count(1_700_000_000_000)


class SchemaViolation(AssertionError):
    """An activity is not what the Bot Framework schema allows (after Teams' relaxations)."""


@lru_cache(maxsize=1)
def _validator() -> Draft7Validator:
    schema = external_json("teams", "activity_schema.json")
    definitions = copy.deepcopy(schema["definitions"])
    definitions["ChannelAccount"]["required"] = ["id"]  # Teams omits names (installs, bots)
    definitions["Attachment"]["properties"]["content"].pop("type", None)  # HTML is a string
    return Draft7Validator({"$ref": "#/definitions/Activity", "definitions": definitions})


def element_text(element: dict[str, Any]) -> str | None:
    """What a card element says: a TextBlock's text, a RichTextBlock's runs joined."""
    if element.get("type") == "RichTextBlock":
        return "".join(str(run.get("text", "")) for run in element.get("inlines") or [])
    text = element.get("text")
    return text if isinstance(text, str) else None


def schema_errors(activity: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in _validator().iter_errors(activity)
    ]


@lru_cache(maxsize=1)
def _card_validator() -> Draft6Validator:
    return Draft6Validator(json.loads(CARD_SCHEMA.read_text()))


def card_errors(card: Any) -> list[str]:
    """Why Microsoft's Adaptive Card 1.5 schema refuses ``card`` (``[]`` if it does not); a
    top-level card must also name its version, which the schema leaves optional."""
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(card)'}: {error.message}"
        for error in _card_validator().iter_errors(card)
    ]
    if isinstance(card, dict) and not card.get("version"):
        errors.append("(card): a top-level card must have a version")
    return errors


def cards_in(payload: Any) -> list[Any]:
    """Every Adaptive Card in an activity, an invoke answer or a dialog answer."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("contentType") == ADAPTIVE_CARD and "content" in node:
                found.append(node["content"])
                return
            if node.get("type") == ADAPTIVE_CARD and "value" in node:  # adaptiveCard/action
                found.append(node["value"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return found


def message_bytes(activity: Any) -> int:
    """An activity's size as Teams counts it: its JSON in UTF-16."""
    return len(json.dumps(activity, ensure_ascii=False).encode("utf-16-le"))


def validated(activity: dict[str, Any]) -> dict[str, Any]:
    errors = schema_errors(activity)
    if errors:
        raise SchemaViolation("; ".join(errors))
    return activity


# -- inbound activities, as Teams sends them ------------------------------------------------------


def _base(
    kind: str,
    service_url: str,
    conversation: dict[str, Any],
    *,
    sender: dict[str, Any] | None,
    channel_data: dict[str, Any],
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "id": f"1:{next(_ids)}" if kind != "message" else str(next(_ids)),
        "timestamp": "2026-11-29T20:14:00.123Z",
        "localTimestamp": "2026-11-29T21:14:00.123+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {**(sender or KARI), "aadObjectId": "7b3f0f9e-66e2-4d2b-9f5a-0c6b8f2b9a11"},
        "conversation": {"tenantId": TENANT, **conversation},
        "recipient": dict(BOT),
        "channelData": {"tenant": {"id": TENANT}, **channel_data},
        "locale": "nb-NO",
        "localTimezone": "Europe/Oslo",
    }
    return activity


def _client_info() -> dict[str, Any]:
    return {
        "type": "clientInfo",
        "locale": "nb-NO",
        "country": "NO",
        "platform": "Web",
        "timezone": "Europe/Oslo",
    }


def _team_data(channel: str) -> dict[str, Any]:
    return {
        "teamsChannelId": channel,
        "teamsTeamId": TEAM,
        "channel": {"id": channel},
        "team": {
            "id": TEAM,
            "name": "Plattform",
            "aadGroupId": "c1a4a9e0-5b7e-4b9a-9a57-3c0a1e6e8d11",
        },
    }


def personal_message(
    service_url: str, text: str = "help", *, sender: dict[str, Any] | None = None
) -> dict[str, Any]:
    conversation = {"conversationType": "personal", "id": PERSONAL_KARI}
    activity = _base("message", service_url, conversation, sender=sender, channel_data={})
    activity.update({"text": text, "textFormat": "plain", "entities": [_client_info()]})
    return validated(activity)


def channel_message(
    service_url: str,
    text: str = "Kan vi ta dette mandag?",
    *,
    channel: str = CHANNEL,
    root: str | None = None,
    mention: bool = False,
    sender: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message_id = str(next(_ids))
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "id": f"{channel};messageid={root or message_id}",
    }
    activity = _base(
        "message", service_url, conversation, sender=sender, channel_data=_team_data(channel)
    )
    entities: list[dict[str, Any]] = [_client_info()]
    if mention:
        tag = f"<at>{BOT['name']}</at>"
        text = f"{tag} {text}"
        entities.insert(0, {"type": "mention", "mentioned": dict(BOT), "text": tag})
    activity.update(
        {
            "id": message_id,
            "text": text,
            "textFormat": "plain",
            "attachments": [{"contentType": "text/html", "content": f"<p>{text}</p>"}],
            "entities": entities,
        }
    )
    if root is not None:
        activity["replyToId"] = root
    return validated(activity)


def group_message(service_url: str, text: str = "hei", *, mention: bool = True) -> dict[str, Any]:
    conversation = {"isGroup": True, "conversationType": "groupChat", "id": GROUP_CHAT}
    activity = _base("message", service_url, conversation, sender=None, channel_data={})
    entities: list[dict[str, Any]] = [_client_info()]
    if mention:
        entities.insert(
            0, {"type": "mention", "mentioned": dict(BOT), "text": "<at>Quiet Hours</at>"}
        )
    activity.update({"text": f"<at>Quiet Hours</at> {text}", "entities": entities})
    return validated(activity)


def _scope(service_url: str, scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if scope == "personal":
        return {"conversationType": "personal", "id": PERSONAL_KARI}, {}
    if scope == "groupChat":
        return {"isGroup": True, "conversationType": "groupChat", "id": GROUP_CHAT}, {}
    data = _team_data(GENERAL) | {"settings": {"selectedChannel": {"id": GENERAL}}}
    return {"isGroup": True, "conversationType": "channel", "id": GENERAL}, data


def installation_update(
    service_url: str, action: str = "add", scope: str = "team"
) -> dict[str, Any]:
    """The app was added to (or removed from) a team, a group chat or a person."""
    conversation, data = _scope(service_url, scope)
    installer = {"id": KARI["id"]}  # Teams sends no name here
    activity = _base(
        "installationUpdate", service_url, conversation, sender=installer, channel_data=data
    )
    activity.update({"action": action, "entities": [_client_info()]})
    return validated(activity)


def conversation_update(
    service_url: str,
    *,
    scope: str = "team",
    added: list[dict[str, Any]] | None = None,
    removed: list[dict[str, Any]] | None = None,
    event_type: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    conversation, data = _scope(service_url, scope)
    if event_type is not None:
        data = data | {"eventType": event_type}
        if channel is not None:
            data["channel"] = {"id": channel, "name": "gone"}
    activity = _base(
        "conversationUpdate",
        service_url,
        conversation,
        sender={"id": KARI["id"]},
        channel_data=data,
    )
    if added:
        activity["membersAdded"] = added
    if removed:
        activity["membersRemoved"] = removed
    return validated(activity)


# -- the fake Bot Connector ----------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    conversation: str | None
    reply_to: str | None
    body: Any
    authorization: str | None
    status: int = 200
    answer_id: str | None = None  # the id the connector answered with (activity or chat)


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeConnector:
    """A Bot Connector region: ``{url}/emea/v3/conversations/…``."""

    token: str | None = None  # the bearer token it insists on (None: anything, or nothing)
    prefix: str = "/emea"
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Microsoft Graph, played by the same server: Entra object id -> Outlook working hours
    working_hours: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: conversations the bot is not a member of: Teams refuses everything there with 403
    outsider: set[str] = field(default_factory=set)
    #: activities larger than this (UTF-16 bytes) are refused with 413, as Teams does
    max_bytes: int = MAX_MESSAGE_BYTES
    too_big: int = 0
    _faults: deque[_Fault] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    url: str = ""

    @property
    def service_url(self) -> str:
        return f"{self.url}{self.prefix}/"

    async def start(self) -> str:
        _validator()  # checks what is posted against the schema: skip here if it is absent
        app = web.Application()
        base = f"{self.prefix}/v3/conversations"
        app.router.add_post(base, self._create)
        app.router.add_post(base + "/{conversation}/activities", self._activity)
        app.router.add_post(base + "/{conversation}/activities/{reply_to}", self._activity)
        app.router.add_get(base + "/{conversation}/members/{member}", self._member)
        app.router.add_get(base + "/{conversation}/pagedmembers", self._paged)
        app.router.add_get("/v1.0/users/{user}/mailboxSettings/workingHours", self._hours)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0/"

    async def _hours(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        self.calls.append(
            Call("GET", request.path, None, None, None, request.headers.get("Authorization"))
        )
        found = self.working_hours.get(user)
        if found is None:
            error = {"code": "ErrorItemNotFound", "message": "The specified object was not found."}
            return web.json_response({"error": error}, status=404)
        return web.json_response(found)

    # -- what tests arrange and read --

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        code: str | None = None,
    ) -> None:
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
        if call.conversation is not None and call.conversation.split(";")[0] in self.outsider:
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
        for problem in schema_errors(body):
            self.violations.append(f"{request.path}: {problem}")
        for card in cards_in(body):
            for problem in card_errors(card):
                self.violations.append(f"{request.path}: card {problem}")
        call.status = 201
        call.answer_id = str(next(_ids))
        return web.json_response({"id": call.answer_id}, status=201)

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
        roster = self.members.get(request.match_info["conversation"], [])
        for member in roster:
            if member["id"] == wanted:
                return web.json_response(member)
        call.status = 404
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)

    async def _paged(self, request: web.Request) -> web.Response:
        call = self._record(request, None)
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal
        roster = self.members.get(request.match_info["conversation"], [])
        size = int(request.query.get("pageSize", "500"))
        start = int(request.query.get("continuationToken") or 0)
        page: dict[str, Any] = {"members": roster[start : start + size]}
        if start + size < len(roster):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)


# -- tokens --------------------------------------------------------------------------------------


class SigningKeys:
    """Locally generated RSA keys standing in for Microsoft's JWKS (the SDK's key-client hook)."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "qh-test-key"
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self._jwk = jwt.PyJWK({**public, "kid": self.kid, "alg": "RS256", "use": "sig"})

    async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> jwt.PyJWK:
        if header.get("kid") != self.kid:
            raise jwt.PyJWKClientError(f"no key {header.get('kid')!r}")
        return self._jwk

    def token(
        self,
        *,
        audience: str = APP_ID,
        issuer: str = "https://api.botframework.com",
        expires_in: float = 3600,
        service_url: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        without: tuple[str, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A token as the Bot Connector signs it; ``without`` drops claims, ``extra`` adds."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": issuer,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + int(expires_in),
        }
        if service_url is not None:
            claims["serviceurl"] = service_url
        claims.update(extra or {})
        for name in without:
            claims.pop(name, None)
        return jwt.encode(
            claims, key or self.private_key, algorithm="RS256", headers={"kid": self.kid}
        )

    @staticmethod
    def unsigned(audience: str = APP_ID) -> str:
        now = int(time.time())
        claims = {"aud": audience, "iss": "https://api.botframework.com", "exp": now + 3600}
        return jwt.encode(claims, None, algorithm="none", headers={"kid": "qh-test-key"})


class FakeTokenProvider:
    """What MSAL would be for the SDK's connection manager: a fixed outbound token."""

    def __init__(self, configuration: Any, token: str = "outbound-token") -> None:
        self._configuration = configuration
        self._token = token
        self.asked = 0

    @property
    def configuration(self) -> Any:
        return self._configuration

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        self.asked += 1
        return self._token

    def get_token_credential(self) -> Any:
        """Part of the SDK's provider interface; nothing on our paths asks for it."""
        raise NotImplementedError("the fake token provider has no Azure credential")
