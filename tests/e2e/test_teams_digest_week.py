"""A weekend in a watched Teams channel, driven the way Teams drives the bot: HTTP activities.

The app is installed in a team; Saturday a thread starts in a watched channel (channel messages
reach the bot without @mention, through RSC ``ChannelMessage.Read.Group``) → the thread gets the
"no reply expected" reply once, though Teams sends the first activity twice → Monday 07:59 no
digest, 08:00 one Adaptive Card in the channel listing the thread with a deep link into Teams,
and never a second one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.teams.app import ROUTE, TeamsBot
from adapters.teams.connector import Anonymous, BotConnector
from adapters.teams.platform import TeamsPlatform
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform
from bot.services.digest import DigestService
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from bot.web import build_app
from tests.support.teams import (
    BOT,
    CHANNEL,
    GENERAL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    FakeConnector,
    channel_message,
    installation_update,
    validated,
)

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # 11:00 in Oslo
MONDAY_0759 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
GROUP = "c1a4a9e0-5b7e-4b9a-9a57-3c0a1e6e8d11"  # the team's aadGroupId in tests.support.teams


@dataclass
class Week:
    http: aiohttp.ClientSession
    url: str
    connector: FakeConnector
    clock: FixedClock
    digests: DigestService

    async def send(self, activity: dict[str, Any]) -> int:
        async with self.http.post(self.url + ROUTE, json=activity) as response:
            await response.read()
            return response.status

    def in_thread(self, root: str) -> list[dict[str, Any]]:
        return [call.body for call in self.connector.posted(CHANNEL) if call.reply_to == root]

    def top_level(self) -> list[dict[str, Any]]:
        return [call.body for call in self.connector.posted(CHANNEL) if call.reply_to is None]


def at(activity: dict[str, Any], instant: datetime) -> dict[str, Any]:
    """The activity as Teams would send it at ``instant``."""
    activity["timestamp"] = instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    activity["localTimestamp"] = instant.astimezone().isoformat()
    return validated(activity)


@pytest.fixture
async def week(engine: AsyncEngine, sessions: Sessions, cipher: Cipher) -> AsyncIterator[Week]:
    connector = FakeConnector()
    await connector.start()
    clock = FixedClock(FRIDAY_1730)
    platform = TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=Anonymous(), timeout=5),
        clock=clock,
    )
    platforms: dict[str, ChatPlatform] = {"teams": platform}
    watcher = OffHoursWatcher(sessions=sessions, platforms=platforms, cipher=cipher)
    digests = DigestService(
        sessions=sessions, platforms=platforms, clock=clock, owner="week", cipher=cipher
    )
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    TeamsBot(
        app_id=None,
        app_password=None,
        tenant_id=None,
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        watcher=watcher,
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Week(http, str(server.make_url("")).rstrip("/"), connector, clock, digests)
    finally:
        await server.close()
        await platform.close()
        await connector.stop()


async def make_team(sessions: Sessions) -> None:
    """What a leader's ``team`` commands leave behind: label mode, Oslo hours, one channel."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None  # the install created it
        teams = TeamRepository(session)
        # installing the app gave the team a policy; its leader makes it label mode in Norwegian
        team = await teams.by_external_id(workspace.id, TEAM)
        assert team is not None and await teams.channels(team.id) == [GENERAL]
        await teams.watch(team, CHANNEL)
        await teams.update(
            team,
            now=FRIDAY_1730,
            mode="label",
            locale="nb",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        )


async def test_a_weekend_thread_in_teams_is_labelled_once_and_digested_monday(
    week: Week, sessions: Sessions
) -> None:
    connector = week.connector
    assert await week.send(installation_update(connector.service_url)) in (200, 202)
    await make_team(sessions)

    # Saturday 11:00: Ola starts a thread; Teams delivers the activity twice.
    week.clock.set(SATURDAY_1100)
    root = at(
        channel_message(connector.service_url, "<p>Skal vi bytte leverandør?</p>", sender=OLA),
        SATURDAY_1100,
    )
    assert await week.send(root) in (200, 202)
    assert await week.send(root) in (200, 202)  # a retry: same activity id
    reply = at(
        channel_message(
            connector.service_url, "<p>Ja, vi går for B</p>", root=root["id"], sender=KARI
        ),
        SATURDAY_1100.replace(minute=5),
    )
    assert await week.send(reply) in (200, 202)
    # what the bot posted itself, should Teams ever echo it, is no one's off-hours message
    echo = at(
        channel_message(connector.service_url, "Ingen svar ventes", root=root["id"], sender=BOT),
        SATURDAY_1100.replace(minute=6),
    )
    assert await week.send(echo) in (200, 202)

    # one label, though four activities arrived (the decision's guard card has its own test)
    [label] = [body for body in week.in_thread(root["id"]) if "guard." not in json.dumps(body)]
    # in the team's language, the next opening: each reader's client shows it in their zone
    assert "man. 08:00 (Europe/Oslo)" in label["summary"]
    [card] = label["attachments"]
    [block] = card["content"]["body"]
    assert block["text"].startswith("Ingen svar forventes")
    assert "{{DATE(2026-11-30T07:00:00Z, SHORT)}} {{TIME(2026-11-30T07:00:00Z)}}" in block["text"]
    assert week.top_level() == []  # nothing else was said in the channel

    # Monday 07:59: no digest yet. 08:00: one card in the channel, and only one.
    week.clock.set(MONDAY_0759)
    assert await week.digests.run_due() == []
    week.clock.set(MONDAY_0800)
    runs = await week.digests.run_due()
    assert [(run.posted, run.threads) for run in runs] == [(1, 1)]
    assert await week.digests.run_due() == []
    [digest] = week.top_level()
    [attachment] = digest["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    shown = json.dumps(card, ensure_ascii=False)
    assert "2 meldinger fra 2 personer" in shown  # counted from the stored activity
    assert "beslutning tatt utenfor arbeidstid" in shown  # "vi går for" reads as a decision
    assert "“Skal vi bytte leverandør?”" in shown  # the first line, without its HTML
    assert "Plattform" in shown  # where the thread is
    [link] = {
        action["url"]
        for container in card["body"]
        for item in container.get("items", [])
        for action in item.get("actions", [])
    }
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "teams.microsoft.com")
    assert parts.path.startswith(f"/l/message/{CHANNEL}/{root['id']}")
    query = parse_qs(parts.query)
    assert query["tenantId"] == [TENANT]
    assert query["groupId"] == [GROUP]
    assert query["parentMessageId"] == [root["id"]]
    assert len(week.in_thread(root["id"])) == 2  # label and guard; the digest added none
    assert connector.violations == []
