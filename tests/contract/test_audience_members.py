"""`audience members` on every chat adapter: a channel's held post goes when half of its human
members are in their own hours (issue #9 part 3).

Each case is the real adapter over real HTTP — :class:`SlackPlatform` against the fake Slack Web
API (``conversations.members`` and ``users.list`` paged by cursor), :class:`TeamsPlatform`
against the fake Bot Connector (the team's roster paged by continuation token) — with the real
:class:`ComposeService` and database. The people: Kari in Oslo and Nina and Sam in New York; on
Slack also two bots in the channel, which must not count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.platform import SlackPlatform
from adapters.teams.activities import conversation_info
from adapters.teams.connector import BotConnector, StaticToken
from adapters.teams.platform import TeamsPlatform
from bot.clock import FixedClock
from bot.services.compose import ComposeService
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow
from bot.storage.repositories import (
    ConversationRepository,
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.support.slack import fake_slack
from tests.support.teams import (
    CHANNEL,
    GROUP_CHAT,
    TEAM,
    TENANT,
    FakeConnector,
    channel_message,
    installation_update,
)

Sessions = async_sessionmaker[AsyncSession]
#: Sunday 29 November 2026, 20:00 in Oslo (14:00 in New York)
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
#: Monday 08:00 in Oslo: Kari is in, but she is one of three
MONDAY_0800_OSLO = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
#: Monday 08:00 in New York (EST, UTC-5): Nina and Sam are in, two of three — the instant
MONDAY_0800_NEW_YORK = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TEAM_HOURS = "mon-fri 08:00-16:00 tz Europe/Oslo"
SLACK_TOKEN = "xoxb-audience"
TEAMS_TOKEN = "outbound-token"
PEOPLE = {"kari": "Europe/Oslo", "nina": "America/New_York", "sam": "America/New_York"}


@dataclass
class Case:
    platform_name: str
    workspace: str
    channel: str
    ids: dict[str, str]  # our names -> platform ids
    compose: ComposeService
    calls: Any  # () -> how many member-list calls the platform has answered
    crowd: Any  # (ids) -> the channel's members are now these people
    group: str  # a group DM (Slack mpim, Teams group chat) of the three, the app in it
    clock: FixedClock
    closers: list[Any] = field(default_factory=list)


async def _workspace(sessions: Sessions, platform: str, external: str, channel: str) -> int:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            platform, external, now=SUNDAY_EVENING
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id, "Plattform", now=SUNDAY_EVENING, hours_spec=TEAM_HOURS
        )
        await teams.watch(team, channel)
        await teams.update(team, now=SUNDAY_EVENING, audience="members")
        return workspace.id


async def _people(sessions: Sessions, workspace_id: int, ids: dict[str, str]) -> None:
    """Each person as the app has seen them: their zone, no hours of their own."""
    async with sessions() as session, session.begin():
        for name, zone in PEOPLE.items():
            await PersonRepository(session).get_or_create(
                workspace_id, ids[name], now=SUNDAY_EVENING, display_name=name, tz=zone
            )


async def _slack_case(sessions: Sessions, cipher: Cipher) -> Case:
    slack = fake_slack(bot_token=SLACK_TOKEN, team_id="T1")
    ids = {name: f"U_{name.upper()}" for name in PEOPLE}
    for name, zone in PEOPLE.items():
        slack.add_user(ids[name], name.title(), tz=zone)
    slack.add_user("U_BUILDBOT", "build", is_bot=True)
    slack.add_channel("C_PLATFORM", members=[*ids.values(), "U_BUILDBOT"])
    slack.add_private("G_TRIO", [*ids.values()], bot_member=True, group_dm=True)
    url = await slack.start()
    workspace_id = await _workspace(sessions, "slack", "T1", "C_PLATFORM")
    async with sessions() as session, session.begin():
        await InstallationRepository(session, cipher).save(
            workspace_id, bot_token=SLACK_TOKEN, now=SUNDAY_EVENING
        )
    await _people(sessions, workspace_id, ids)

    async def token_for(workspace: str, person: str | None) -> str | None:
        return SLACK_TOKEN if workspace == "T1" and person is None else None

    platform = SlackPlatform(token_for=token_for, base_url=url, timeout=5)
    clock = FixedClock(SUNDAY_EVENING)
    compose = ComposeService(
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        members={"slack": platform},
        bot_presence={"slack"},
    )

    def crowd(people: list[str]) -> None:
        for person in people:
            slack.users.setdefault(person, {"id": person, "name": person, "is_bot": False})
        slack.add_channel("C_PLATFORM", members=people)

    return Case(
        platform_name="slack",
        workspace="T1",
        channel="C_PLATFORM",
        ids=ids,
        compose=compose,
        calls=lambda: len(slack.calls_to("conversations.members")),
        crowd=crowd,
        group="G_TRIO",
        clock=clock,
        closers=[platform.close, slack.stop],
    )


async def _teams_case(sessions: Sessions, cipher: Cipher) -> Case:
    connector = FakeConnector(token=TEAMS_TOKEN)
    await connector.start()
    ids = {name: f"29:{name}-aad" for name in PEOPLE}
    connector.members[TEAM] = [{"id": ids[name], "name": name.title()} for name in PEOPLE]
    connector.members[GROUP_CHAT] = list(connector.members[TEAM])
    workspace_id = await _workspace(sessions, "teams", TENANT, CHANNEL)
    async with sessions() as session, session.begin():
        for activity in (
            installation_update(connector.service_url),
            installation_update(connector.service_url, scope="groupChat"),
            channel_message(connector.service_url),
        ):
            info = conversation_info(activity)
            assert info is not None
            await ConversationRepository(session).save(
                workspace_id,
                info.conversation,
                kind=info.kind,
                service_url=info.service_url,
                reference=info.reference_json(),
                now=SUNDAY_EVENING,
            )
    await _people(sessions, workspace_id, ids)
    platform = TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=StaticToken(TEAMS_TOKEN), timeout=5),
        clock=FixedClock(SUNDAY_EVENING),
    )
    clock = FixedClock(SUNDAY_EVENING)
    compose = ComposeService(
        sessions=sessions, cipher=cipher, clock=clock, members={"teams": platform}
    )

    def crowd(people: list[str]) -> None:
        connector.members[TEAM] = [{"id": person, "name": person} for person in people]

    return Case(
        platform_name="teams",
        workspace=TENANT,
        channel=CHANNEL,
        ids=ids,
        compose=compose,
        calls=lambda: sum(1 for call in connector.calls if call.path.endswith("/pagedmembers")),
        crowd=crowd,
        group=GROUP_CHAT,
        clock=clock,
        closers=[platform.close, connector.stop],
    )


@pytest.fixture(params=["slack", "teams"])
async def case(
    request: pytest.FixtureRequest, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[Case]:
    made = await (_slack_case if request.param == "slack" else _teams_case)(sessions, cipher)
    try:
        yield made
    finally:
        for close in reversed(made.closers):
            await close()


async def _later(case: Case, text: str, where: str | None = None) -> tuple[datetime, str, str]:
    composed = await case.compose.compose(
        platform=case.platform_name,
        workspace=case.workspace,
        author=case.ids["kari"],
        conversation=where or case.channel,
        text=text,
        acting_in=where or case.channel,
    )
    return (
        composed.decision.deliver_at,
        composed.decision.explain("en", now=SUNDAY_EVENING),
        composed.decision.explain("nb", now=SUNDAY_EVENING),
    )


async def test_a_sunday_evening_post_goes_when_two_of_three_are_at_work(
    case: Case, sessions: Sessions
) -> None:
    deliver_at, english, norwegian = await _later(case, "Kan vi ta dette mandag?")
    assert deliver_at == MONDAY_0800_NEW_YORK
    assert deliver_at != MONDAY_0800_OSLO  # the team's own hours would say this
    # whose hours: the channel's three human members (the bots are not people)
    assert english == (
        "Held until half of the channel's 3 members are at work: Mon 14:00 Europe/Oslo."
    )
    assert norwegian == (
        "Holdes til halvparten av kanalens 3 medlemmer er på jobb: man. 14:00 (Europe/Oslo)."
    )
    async with sessions() as session:
        (row,) = (await session.scalars(select(HeldMessageRow))).all()
    assert (row.state, row.deliver_at, row.conversation_id) == (
        "held",
        MONDAY_0800_NEW_YORK,
        case.channel,
    )


async def test_a_post_goes_now_while_most_members_are_at_work(case: Case) -> None:
    """Monday 15:00 in New York, 21:00 in Oslo: the team's own hours are over (they would hold
    it until Tuesday 08:00 in Oslo), but Nina and Sam are at work — two of three."""
    monday_1500_new_york = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    case.clock.set(monday_1500_new_york)
    deliver_at, english, _ = await _later(case, "Kan dere se på dette?")
    assert deliver_at == monday_1500_new_york
    assert english == "At least half of the channel's 3 members are within their working hours."


async def test_the_team_audience_keeps_the_teams_hours(case: Case, sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find(case.platform_name, case.workspace)
        assert workspace is not None
        team = await TeamRepository(session).for_channel(workspace.id, case.channel)
        assert team is not None
        await TeamRepository(session).update(team, now=SUNDAY_EVENING, audience="team")
    deliver_at, english, _ = await _later(case, "Kan vi ta dette mandag?")
    assert deliver_at == MONDAY_0800_OSLO
    assert english == "Plattform's hours start Mon 08:00 Europe/Oslo."


async def test_a_channel_of_5000_is_paged_and_asked_once_a_minute(
    case: Case, sessions: Sessions
) -> None:
    """3,000 people in New York and 2,000 in Oslo: 2,500 are needed, so New York decides. The
    member list takes several pages on both platforms; a second post within the cache's TTL
    asks the platform nothing."""
    york = [f"{case.ids['nina']}-{n}" for n in range(3000)]
    oslo = [f"{case.ids['kari']}-{n}" for n in range(2000)]
    case.crowd([*york, *oslo])
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find(case.platform_name, case.workspace)
        assert workspace is not None
        await session.execute(
            insert(PersonRow),
            [
                {
                    "workspace_id": workspace.id,
                    "external_id": person,
                    "tz": "America/New_York" if n < len(york) else "Europe/Oslo",
                    "auto_hold": False,
                    "created_at": SUNDAY_EVENING,
                    "updated_at": SUNDAY_EVENING,
                }
                for n, person in enumerate([*york, *oslo])
            ],
        )
    composed = await case.compose.compose(
        platform=case.platform_name,
        workspace=case.workspace,
        author=oslo[0],
        conversation=case.channel,
        text="Ukesoppsummering",
        acting_in=case.channel,
    )
    assert composed.decision.deliver_at == MONDAY_0800_NEW_YORK
    assert "5000 members" in composed.decision.explain("en", now=SUNDAY_EVENING)
    pages = case.calls()
    assert pages >= 5  # Slack: 1,000 a page; Teams: 500
    again = await case.compose.compose(
        platform=case.platform_name,
        workspace=case.workspace,
        author=oslo[0],
        conversation=case.channel,
        text="En til",
        acting_in=case.channel,
    )
    assert again.decision.deliver_at == MONDAY_0800_NEW_YORK
    assert case.calls() == pages


async def test_a_group_dm_waits_for_half_of_the_people_it_reaches(
    case: Case, sessions: Sessions
) -> None:
    """Kari (Oslo) writes to the group DM she shares with Nina and Sam (New York), who set
    their hours: no team covers it, and its audience is the two people it reaches — one of two
    is enough, at 08:00 in New York."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find(case.platform_name, case.workspace)
        assert workspace is not None
        for name in ("nina", "sam"):
            row = await PersonRepository(session).find(workspace.id, case.ids[name])
            assert row is not None
            row.hours_spec, row.hours_source = "mon-fri 08:00-16:00", "personal"
    deliver_at, english, norwegian = await _later(case, "Lunsj mandag?", where=case.group)
    assert deliver_at == MONDAY_0800_NEW_YORK
    assert english == (
        "Held until half of the group's 2 members are at work: Mon 08:00 America/New_York."
    )
    assert "halvparten av gruppens 2 medlemmer" in norwegian
