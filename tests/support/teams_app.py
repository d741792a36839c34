"""The whole Teams side of Quiet Hours on real HTTP, driven the way Teams drives it.

``TeamsHarness`` wires what ``bot.bootstrap`` wires for Teams (one set of SDK connections, the
platform, the delivery engine, the command layer, the bot) against a :class:`FakeConnector`, and
sends it activities shaped as Teams sends them: @mentions with their entities, ``adaptiveCard/
action`` invokes from card buttons, and ``composeExtension/submitAction`` from Send later. Every
activity built here is validated against the Bot Framework schema, like the ones it builds on.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from microsoft_agents.hosting.core import OutboundHostValidator
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.teams.app import (
    ROUTE,
    TeamsBot,
    auth_configuration,
    connection_manager,
    outbound_tokens,
)
from adapters.teams.connector import BotConnector, StaticToken
from adapters.teams.graph import GraphClient
from adapters.teams.platform import TeamsPlatform
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import TEAMS_CONVERSATION
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform
from bot.services.commands import CommandService
from bot.services.compose import ComposeService
from bot.services.digest import DigestService
from bot.services.onboarding import Onboarding
from bot.services.platform_defaults import PlatformDefaults
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.web import build_app
from tests.support.teams import (
    APP_ID,
    BOT,
    CHANNEL,
    KARI,
    TENANT,
    FakeConnector,
    FakeTokenProvider,
    SigningKeys,
    _base,
    _client_info,
    _team_data,
    validated,
)

OUTBOUND = "outbound-token"
_ids = itertools.count(1_800_000_000_000)

Json = dict[str, Any]


def _speaking(activity: Json, locale: str) -> Json:
    activity["locale"] = locale
    for entity in activity.get("entities") or []:
        if entity.get("type") == "clientInfo":
            entity["locale"] = locale
    return activity


def personal_chat(person: Json) -> str:
    """The id of the bot's 1:1 chat with ``person`` (as Teams would name it)."""
    return f"a:personal-{person['id']}"


def personal(service_url: str, text: str, *, sender: Json = KARI, locale: str = "nb-NO") -> Json:
    """A message in the bot's 1:1 chat with ``sender``."""
    conversation = {"conversationType": "personal", "id": personal_chat(sender)}
    activity = _base("message", service_url, conversation, sender=sender, channel_data={})
    activity.update({"text": text, "textFormat": "plain", "entities": [_client_info()]})
    return validated(_speaking(activity, locale))


def mention(
    service_url: str,
    text: str,
    *,
    sender: Json = KARI,
    channel: str = CHANNEL,
    others: tuple[Json, ...] = (),
    locale: str = "nb-NO",
) -> Json:
    """``@Quiet Hours TEXT`` in a channel; ``<at>Name</at>`` in TEXT names one of ``others``."""
    message_id = str(next(_ids))
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "id": f"{channel};messageid={message_id}",
    }
    activity = _base(
        "message", service_url, conversation, sender=sender, channel_data=_team_data(channel)
    )
    tag = f"<at>{BOT['name']}</at>"
    entities: list[Json] = [{"type": "mention", "mentioned": dict(BOT), "text": tag}]
    for other in others:
        entities.append(
            {"type": "mention", "mentioned": dict(other), "text": f"<at>{other['name']}</at>"}
        )
    entities.append(_client_info())
    full = f"{tag} {text}"
    activity.update(
        {
            "id": message_id,
            "text": full,
            "textFormat": "plain",
            "attachments": [{"contentType": "text/html", "content": f"<p>{full}</p>"}],
            "entities": entities,
        }
    )
    return validated(_speaking(activity, locale))


def _invoke(
    service_url: str, name: str, value: Json, *, sender: Json, channel: str | None, locale: str
) -> Json:
    if channel is None:  # the bot's 1:1 chat
        conversation: Json = {"conversationType": "personal", "id": personal_chat(sender)}
        data: Json = {}
    else:
        conversation = {"isGroup": True, "conversationType": "channel", "id": channel}
        data = _team_data(channel)
    activity = _base("invoke", service_url, conversation, sender=sender, channel_data=data)
    activity.update({"name": name, "value": value, "entities": [_client_info()]})
    return validated(_speaking(activity, locale))


def card_action(
    service_url: str,
    verb: str,
    data: Json,
    *,
    sender: Json = KARI,
    channel: str | None = CHANNEL,
    locale: str = "nb-NO",
) -> Json:
    """A click on an ``Action.Execute`` button (inputs are merged into ``data`` by Teams)."""
    value = {
        "action": {"type": "Action.Execute", "id": f"a{next(_ids)}", "verb": verb, "data": data},
        "trigger": "manual",
    }
    return _invoke(
        service_url, "adaptiveCard/action", value, sender=sender, channel=channel, locale=locale
    )


def send_later(
    service_url: str,
    data: Json,
    *,
    sender: Json = KARI,
    channel: str | None = CHANNEL,
    command: str = "sendLater",
    locale: str = "nb-NO",
) -> Json:
    """Send later's dialog submitted (its parameters, or one of our dialog's buttons)."""
    value = {
        "commandId": command,
        "commandContext": "compose",
        "context": {"theme": "default"},
        "data": data,
    }
    return _invoke(
        service_url,
        "composeExtension/submitAction",
        value,
        sender=sender,
        channel=channel,
        locale=locale,
    )


def card_of(activity: Json) -> Json:
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return dict(attachment["content"])


def card_text(card: Json) -> str:
    """Everything a card says, in order (texts, input values, button titles)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "value", "title"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for child in node.values():
                if isinstance(child, (dict, list)):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(card.get("body"))
    return "\n".join(parts)


def buttons(card: Json) -> list[Json]:
    """Every action on a card, in order."""
    found: list[Json] = []
    for element in card.get("body") or []:
        if element.get("type") == "ActionSet":
            found += element["actions"]
    return found


class TeamsHarness:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        now: datetime,
        keys: SigningKeys | None = None,
    ) -> None:
        """Anonymous (a local emulator) without ``keys``; JWT-checked, as in production, with."""
        self.keys = keys
        self.connector = FakeConnector(token=OUTBOUND if keys else None)
        self.clock = FixedClock(now)
        self.sessions = sessions
        app_id = APP_ID if keys else None
        auth = auth_configuration(app_id, "not-used-offline" if keys else None, TENANT)
        connections = connection_manager(
            auth,
            (lambda configuration: FakeTokenProvider(configuration, OUTBOUND)) if keys else None,
        )
        # Graph is played by the fake connector's server; its address is known once it runs
        self.graph = GraphClient(tokens=StaticToken("graph-token"))
        self.platform = TeamsPlatform(
            sessions=sessions,
            cipher=cipher,
            connector=BotConnector(
                tokens=outbound_tokens(connections, anonymous=keys is None), timeout=2
            ),
            clock=self.clock,
            graph=self.graph,
        )
        platforms: dict[str, ChatPlatform] = {"teams": self.platform}
        self.watcher = watcher = OffHoursWatcher(
            sessions=sessions, platforms=platforms, cipher=cipher, clock=self.clock
        )
        self.engine = DeliveryEngine(
            sessions=sessions,
            cipher=cipher,
            platforms=platforms,
            clock=self.clock,
            owner="harness",
            config=EngineConfig(conversation_limits={"teams": TEAMS_CONVERSATION}),
            on_urgent_delivered=watcher.after_urgent,  # as bootstrap wires it
        )
        self.defaults = PlatformDefaults(
            sessions=sessions, clock=self.clock, sources={"teams": self.platform}
        )
        self.compose = ComposeService(
            sessions=sessions,
            cipher=cipher,
            clock=self.clock,
            wake=self.engine.wake,
            members={"teams": self.platform},
            seen=self.defaults.seen,
        )
        self.digests = digests = DigestService(
            sessions=sessions, platforms=platforms, clock=self.clock, owner="harness", cipher=cipher
        )
        self.bot = TeamsBot(
            app_id=app_id,
            app_password="not-used-offline" if keys else None,
            tenant_id=TENANT if keys else None,
            sessions=sessions,
            cipher=cipher,
            clock=self.clock,
            connections=connections,
            private=self.platform.send_private,
            can_post=self.platform.can_post,
            host_validator=OutboundHostValidator(enabled=False),  # the fake is on 127.0.0.1
            watcher=watcher,
            commands=CommandService(
                sessions=sessions,
                cipher=cipher,
                clock=self.clock,
                compose=self.compose,
                digests=digests,
                people=self.platform,
                defaults=self.defaults,
            ),
            compose=self.compose,
            onboarding=Onboarding(sessions=sessions, clock=self.clock),
            defaults=self.defaults,
        )
        self.app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
        self.bot.mount(self.app)
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    @property
    def service_url(self) -> str:
        return self.connector.service_url

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TeamsHarness]:
        await self.connector.start()
        self.graph.base_url = self.connector.graph_url
        server = TestServer(self.app, host="127.0.0.1")
        await server.start_server()
        self.url = str(server.make_url(ROUTE))
        try:
            async with aiohttp.ClientSession() as http:
                self.http = http
                yield self
        finally:
            await server.close()
            await self.platform.close()
            await self.connector.stop()

    async def send(self, activity: Json, *, token: str | None = None) -> tuple[int, Any]:
        """POST an activity (signed when the harness checks tokens); status and JSON body."""
        assert self.http is not None
        if token is None and self.keys is not None:
            token = self.keys.token(service_url=activity["serviceUrl"])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.post(self.url, json=activity, headers=headers) as response:
            body = await response.json(content_type=None) if response.status != 202 else None
            return response.status, body

    async def ask(self, activity: Json) -> Json:
        """A command: the card the bot answered with.

        In a 1:1 chat that is the one reply, in the same thread. Asked in a channel, the card
        goes to the asker's 1:1 chat (answers are private) and the channel thread only hears
        that it was answered there.
        """
        before = len(self.connector.posted())
        status, _ = await self.send(activity)
        assert status == 202
        replies = self.connector.posted()[before:]
        assert self.connector.violations == [], self.connector.violations
        if activity["conversation"].get("conversationType") == "personal":
            assert len(replies) == 1, replies
            assert replies[0].reply_to == activity["id"]
            return card_of(replies[0].body)
        private, public = replies
        assert private.conversation != activity["conversation"]["id"].split(";")[0]
        assert public.reply_to == activity["id"]
        assert "1:1" in str(public.body.get("text"))
        return card_of(private.body)

    async def click(self, activity: Json) -> Json:
        """A card button: the card the bot replaced it with."""
        status, body = await self.send(activity)
        assert status == 200, body
        assert (body["statusCode"], body["type"]) == (
            200,
            "application/vnd.microsoft.card.adaptive",
        )
        return dict(body["value"])

    async def dialog(self, activity: Json) -> Json:
        """Send later: the card shown in the dialog that follows."""
        status, body = await self.send(activity)
        assert status == 200, body
        assert body["task"]["type"] == "continue"
        card = body["task"]["value"]["card"]
        assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
        return dict(card["content"])
