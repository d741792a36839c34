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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jsonschema import Draft6Validator, Draft7Validator

from adapters.sandbox.bot_connector import SandboxConnector
from tests.support.shared import ROOT, external_json

#: Microsoft's Adaptive Card 1.5 schema, vendored (see tests/schemas/README.md)
CARD_SCHEMA = ROOT / "tests" / "schemas" / "adaptive-card-1.5.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

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
    """What a card element says: a TextBlock's text, a RichTextBlock's runs joined, a
    Container's elements' texts on lines of their own."""
    if element.get("type") == "Container":
        inner = [element_text(item) for item in element.get("items") or []]
        return "\n".join(text for text in inner if text is not None)
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
        # everyone's directory id is Kari's unless the sender names their own
        "from": {"aadObjectId": "7b3f0f9e-66e2-4d2b-9f5a-0c6b8f2b9a11", **(sender or KARI)},
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
class FakeConnector(SandboxConnector):
    """The sandbox's Bot Connector, checking every posted activity against the Bot Framework
    schema and every Adaptive Card in it against the card schema. ``CHANNEL`` is a standard
    channel of ``TEAM`` (its people are the team's roster)."""

    def __post_init__(self) -> None:
        self.add_channel(CHANNEL, TEAM)

    async def start(self) -> str:
        _validator()  # checks what is posted against the schema: skip here if it is absent
        return await super().start()

    def check(self, activity: dict[str, Any]) -> list[str]:
        problems = schema_errors(activity)
        for card in cards_in(activity):
            problems += [f"card {problem}" for problem in card_errors(card)]
        return problems


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
