"""Labels in a channel whose team chose `audience members`: off-hours is when fewer than half of
the channel's members are in their own hours, and the label says so (issue #9 part 3).

Signed `message` events over real HTTP, the fake Slack Web API naming the channel's members
(Kari in Oslo, Nina and Sam in New York, and a bot). The team labels (mode `label`); its own
hours are Mon-Fri 08:00-16:00 in Oslo.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.events import SlackEvents
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.services.digest import DigestService
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository
from bot.web import build_app
from tests.support.signing import slack_headers
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import shared_payload
from tests.support.waiting import until

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-audience-labels"
SUNDAY_2000_OSLO = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
MONDAY_1000_OSLO = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 04:00 in New York
MONDAY_1500_NEW_YORK = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 21:00 in Oslo
PEOPLE = {"U_KARI": "Europe/Oslo", "U_NINA": "America/New_York", "U_SAM": "America/New_York"}

Sessions = async_sessionmaker[AsyncSession]
Client = tuple[aiohttp.ClientSession, str, FakeSlack]


def message_at(at: datetime, event_id: str) -> dict[str, Any]:
    body = copy.deepcopy(shared_payload("test_message__message_body.json"))
    body["team_id"] = "T1"
    body["event_id"] = event_id
    body["event"].update(
        {
            "channel": "C_TEAM",
            "user": "U_KARI",
            "ts": f"{at.timestamp():.6f}",
            "text": "Skal vi ta en titt på dette?",
            "team": "T1",
        }
    )
    return body


@pytest.fixture
async def client(
    request: pytest.FixtureRequest, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[Client]:
    now: datetime = request.param  # each test names its instant (indirect)
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    for person, zone in PEOPLE.items():
        slack.add_user(person, person.removeprefix("U_").title(), tz=zone)
    slack.add_user("U_CI", "ci", is_bot=True)
    slack.add_channel("C_TEAM", members=[*PEOPLE, "U_CI"])
    await slack.start()
    team_id = await install_workspace(sessions, cipher, token=TOKEN, now=now, mode="label")
    async with sessions() as session, session.begin():
        teams = TeamRepository(session)
        team = await teams.get(team_id)
        assert team is not None
        await teams.update(team, now=now, audience="members")
        workspace = await WorkspaceRepository(session).find("slack", "T1")
        assert workspace is not None
        for person, zone in PEOPLE.items():
            await PersonRepository(session).get_or_create(workspace.id, person, now=now, tz=zone)
    tokens = StoredTokens(sessions, cipher)
    platform = SlackPlatform(token_for=tokens, base_url=slack.url)
    app = build_app(engine=engine, delivery_metrics=DeliveryMetrics())
    clock = FixedClock(now)
    SlackEvents(
        signing_secret=SECRET,
        sessions=sessions,
        cipher=cipher,
        tokens=tokens,
        watcher=OffHoursWatcher(
            sessions=sessions, platforms={"slack": platform}, cipher=cipher, clock=clock
        ),
        clock=clock,
        api_url=slack.url,
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield http, str(server.make_url("/slack/events")), slack
    finally:
        await server.close()
        await platform.close()
        await slack.stop()


async def _send(client: Client, at: datetime) -> list[str]:
    http, url, slack = client
    body = json.dumps(message_at(at, f"Ev{int(at.timestamp())}")).encode()
    async with http.post(url, data=body, headers=slack_headers(SECRET, body)) as response:
        assert response.status == 200
    return [m.text for m in slack.posted("C_TEAM") if m.thread_ts]


async def _activities(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ActivityRow)) or 0)


@pytest.mark.parametrize(
    ("client", "at"),
    [
        (SUNDAY_2000_OSLO, SUNDAY_2000_OSLO),
        # the team's hours have begun, but only Kari is in: one of three
        (MONDAY_1000_OSLO, MONDAY_1000_OSLO),
    ],
    indirect=["client"],
)
async def test_off_hours_for_most_members_is_labelled_with_whose_hours(
    client: Client, sessions: Sessions, at: datetime
) -> None:
    # each reader sees Monday 14:00 Oslo (13:00 UTC) in their own zone; the fallback names Oslo
    label = (
        "No reply expected — half of the channel's 3 members are at work from "
        "<!date^1796043600^{date_short_pretty} {time}|Mon 14:00 Europe/Oslo>."
    )
    await _send(client, at)
    slack = client[2]
    await until(lambda: any(m.thread_ts for m in slack.posted("C_TEAM")))
    assert [m.text for m in slack.posted("C_TEAM") if m.thread_ts] == [label]
    assert await _activities(sessions) == 1


@pytest.mark.parametrize("client", [MONDAY_1500_NEW_YORK], indirect=True)
async def test_in_hours_for_most_members_is_left_alone(client: Client, sessions: Sessions) -> None:
    """Monday 15:00 in New York: the team's Oslo hours are over, but Nina and Sam are at work —
    two of three. Nothing is labelled or counted as off-hours."""
    assert await _send(client, MONDAY_1500_NEW_YORK) == []
    await asyncio.sleep(0.3)
    assert [m for m in client[2].posted("C_TEAM") if m.thread_ts] == []
    assert await _activities(sessions) == 0


@pytest.mark.parametrize("client", [SUNDAY_2000_OSLO], indirect=True)
async def test_the_digest_says_whose_hours_made_a_thread_off_hours(
    client: Client, sessions: Sessions, cipher: Cipher
) -> None:
    slack = client[2]
    await _send(client, SUNDAY_2000_OSLO)
    await until(lambda: any(m.thread_ts for m in slack.posted("C_TEAM")))
    platform = SlackPlatform(token_for=StoredTokens(sessions, cipher), base_url=slack.url)
    digests = DigestService(
        sessions=sessions,
        platforms={"slack": platform},
        clock=FixedClock(datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),  # Monday 08:00 in Oslo
        owner="test",
        cipher=cipher,
    )
    try:
        (run,) = await digests.run_due()
    finally:
        await platform.close()
    assert run.threads == 1
    (digest,) = [m for m in slack.posted("C_TEAM") if not m.thread_ts and m.user == slack.bot_user]
    shown = digest.text + json.dumps(digest.blocks or [], ensure_ascii=False)
    assert (
        "1 thread in this channel had activity while fewer than half of its members were at "
        "work (each in their own hours)"
    ) in shown
