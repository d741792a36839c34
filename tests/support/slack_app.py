"""The whole Slack side of Quiet Hours on real HTTP, driven the way Slack drives it.

``SlackHarness`` serves our aiohttp app (bolt, listeners, services, delivery engine) against a
fake Slack Web API, and sends it slash commands, button clicks, modal submissions, shortcuts
and events signed exactly as Slack signs them, shaped like the payloads in ``shared/``.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.driver import SlackDriver
from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.events import SlackEvents
from adapters.slack.interactions import SlackInteractions
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.i18n import translate
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform
from bot.services.autohold import AutoHoldService
from bot.services.commands import CommandService
from bot.services.compose import ComposeService
from bot.services.digest import DigestService
from bot.services.platform_defaults import PlatformDefaults
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.web import build_app
from tests.support.shared import external_json, external_text
from tests.support.waiting import until

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
#: what a slow command is first acknowledged with, in either language
WORKING = frozenset(translate("cmd.working", locale) for locale in ("en", "nb"))


def shared_payload(name: str) -> dict[str, Any]:
    """A payload Slack sent, as captured in ``shared/external/slack/payloads``."""
    return dict(external_json("slack", "payloads", name))


class SlackHarness:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        slack: FakeSlack,
        now: datetime,
        team: str,
    ) -> None:
        self.slack = slack
        self.sessions = sessions
        self.team = team
        self.clock = FixedClock(now)
        tokens = StoredTokens(sessions, cipher, ttl=0)
        self.platform = SlackPlatform(token_for=tokens, base_url=slack.url)
        platforms: dict[str, ChatPlatform] = {"slack": self.platform}
        self.metrics = metrics = DeliveryMetrics()  # one registry, as serve has
        self.watcher = OffHoursWatcher(
            sessions=sessions, platforms=platforms, cipher=cipher, clock=self.clock, metrics=metrics
        )
        self.engine = DeliveryEngine(
            sessions=sessions,
            cipher=cipher,
            platforms=platforms,
            clock=self.clock,
            owner="harness",
            metrics=metrics,
            config=EngineConfig(),
            on_urgent_delivered=self.watcher.after_urgent,
        )
        self.defaults = PlatformDefaults(
            sessions=sessions, clock=self.clock, sources={"slack": self.platform}
        )
        self.compose = ComposeService(
            sessions=sessions,
            cipher=cipher,
            clock=self.clock,
            wake=self.engine.wake,
            actions={"slack": self.platform},
            members={"slack": self.platform},
            bot_presence={"slack"},
            metrics=metrics,
            seen=self.defaults.seen,
        )
        self.autohold = AutoHoldService(
            sessions=sessions,
            cipher=cipher,
            clock=self.clock,
            actions={"slack": self.platform},
            opt_in_ttl=0,  # no caching of who opted in: tests change it
        )
        self.digests = DigestService(
            sessions=sessions,
            platforms=platforms,
            clock=self.clock,
            owner="harness",
            cipher=cipher,
            metrics=metrics,
        )
        self.commands = CommandService(
            sessions=sessions,
            cipher=cipher,
            clock=self.clock,
            compose=self.compose,
            digests=self.digests,
            people=self.platform,
            metrics=metrics,
            defaults=self.defaults,
        )
        self.app = build_app(engine=engine, delivery_metrics=metrics)
        SlackEvents(
            signing_secret=SECRET,
            sessions=sessions,
            cipher=cipher,
            tokens=tokens,
            watcher=self.watcher,
            clock=self.clock,
            api_url=slack.url,
            interactions=SlackInteractions(
                commands=self.commands,
                compose=self.compose,
                sessions=sessions,
                cipher=cipher,
                clock=self.clock,
            ),
            autohold=self.autohold,
            defaults=self.defaults,
        ).mount(self.app)
        self.url = ""
        self.http: aiohttp.ClientSession | None = None
        self.driver: SlackDriver | None = None
        self._hooks = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SlackHarness]:
        server = TestServer(self.app, host="127.0.0.1")
        await server.start_server()
        self.url = str(server.make_url("/slack/events"))
        try:
            async with aiohttp.ClientSession() as http:
                self.http = http
                self.driver = SlackDriver(
                    slack=self.slack, url=self.url, signing_secret=SECRET, http=http
                )
                yield self
        finally:
            await server.close()
            await self.platform.close()

    # -- sending what Slack sends ----------------------------------------------------------------

    async def _post(self, body: bytes, content_type: str) -> tuple[int, str]:
        """Signed and posted by the sandbox driver, as Slack would."""
        assert self.driver is not None
        return await self.driver.post(body, content_type)

    def _hook(self) -> str:
        self._hooks += 1
        return self.slack.response_url(str(self._hooks))

    async def command(
        self, user: str, text: str, *, channel: str = "C_TEAM", user_name: str = "someone"
    ) -> dict[str, Any]:
        """``/quiet TEXT`` as Slack posts it; returns the acknowledgement's JSON body."""
        form = dict(
            item.split("=", 1)
            for item in external_text(
                "slack", "payloads", "test_slash_command__slash_command_body.txt"
            )
            .strip()
            .split("&")
        )
        fields = {key: value for key, value in form.items()}
        fields.update(
            {
                "team_id": self.team,
                "channel_id": channel,
                "user_id": user,
                "user_name": user_name,
                "command": "/quiet",
                "text": text,
                "response_url": self._hook(),
                "trigger_id": f"{time.time():.3f}.trigger",
            }
        )
        fields.pop("enterprise_id", None)
        fields.pop("enterprise_name", None)
        body = urlencode(fields).encode()
        status, answer = await self._post(body, "application/x-www-form-urlencoded")
        assert status == 200, answer
        acked = dict(json.loads(answer)) if answer else {}
        return await self._final_answer(acked, hook=fields["response_url"].rsplit("/", 1)[-1])

    async def _final_answer(self, acked: dict[str, Any], *, hook: str) -> dict[str, Any]:
        """The answer the person ends up reading. A command that needs longer than the ack
        budget (a chart on a loaded machine) is acknowledged with "Working on it…" and
        answered through its response URL: that later answer is the one a person reads."""
        if acked.get("text") not in WORKING:
            return acked
        await until(lambda: any(r["hook"] == hook for r in self.slack.responses), within=30.0)
        answer = next(r for r in self.slack.responses if r["hook"] == hook)
        return {k: v for k, v in answer.items() if k != "hook"}

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        assert self.driver is not None
        return await self.driver.interact(payload)

    async def click(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str = "C_TEAM",
        in_home: bool = False,
    ) -> tuple[int, str]:
        payload = copy.deepcopy(shared_payload("test_block_actions__body.json"))
        payload["user"] = {"id": user, "username": user, "name": user, "team_id": self.team}
        payload["team"] = {"id": self.team, "domain": "sandbox"}
        payload["channel"] = {"id": channel, "name": "team"}
        payload["container"]["channel_id"] = channel
        payload["trigger_id"] = f"{time.time():.3f}.trigger"
        payload["actions"][0].update({"action_id": action_id, "value": value, "block_id": "s1"})
        if in_home:
            payload.pop("channel")
            payload.pop("response_url")
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "team_id": self.team}
        else:
            payload["response_url"] = self._hook()
        return await self.interact(payload)

    async def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        metadata: str = "",
    ) -> tuple[int, str]:
        payload = copy.deepcopy(shared_payload("test_view_submission__body.json"))
        payload["user"] = {"id": user, "username": user, "name": user, "team_id": self.team}
        payload["team"] = {"id": self.team, "domain": "sandbox"}
        view = payload["view"]
        view.update(
            {
                "callback_id": callback_id,
                "private_metadata": metadata,
                "team_id": self.team,
                "app_installed_team_id": self.team,
                "state": {"values": {block: {"value": v} for block, v in values.items()}},
            }
        )
        return await self.interact(payload)

    async def shortcut(
        self, user: str, callback_id: str, *, message: dict[str, Any] | None = None
    ) -> tuple[int, str]:
        name = "message_shortcut" if message else "global_shortcut"
        payload = copy.deepcopy(shared_payload(f"test_shortcut__{name}_body.json"))
        payload["user"] = {"id": user, "username": user, "team_id": self.team}
        payload["team"] = {"id": self.team, "domain": "sandbox"}
        payload["callback_id"] = callback_id
        if message is not None:
            payload["message"] = {**payload["message"], **message}
            payload["channel"] = {"id": "C_TEAM", "name": "team"}
            payload["response_url"] = self._hook()
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], event_id: str) -> tuple[int, str]:
        body = copy.deepcopy(shared_payload("test_events__body.json"))
        body.update({"team_id": self.team, "event_id": event_id, "event": event})
        body.pop("enterprise_id", None)
        body["authorizations"] = [{"team_id": self.team, "user_id": "U_QUIETBOT", "is_bot": True}]
        return await self._post(json.dumps(body).encode(), "application/json")


def answer_texts(answer: dict[str, Any]) -> str:
    """The text of an answer and of each of its blocks that has one, a line each."""
    parts = [str(answer.get("text", ""))]
    for block in answer.get("blocks") or []:
        if "text" in block:
            parts.append(str(block["text"].get("text", "")))
    return "\n".join(parts)
