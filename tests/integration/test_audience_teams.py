"""`team audience members` end to end in Microsoft Teams: an owner's setting through the bot,
then `later` in the channel goes now while most members are at work, and on Friday evening waits
for the exact instant half of them are.

The roster: Kari (the owner) and Ola in Oslo, and Nina, Sam and Per in New York (their zones
as the app has seen them). Five members: three are needed, so New York decides. The team's own
hours are Mon-Fri 08:00-16:00 in Oslo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository
from tests.support.teams import CHANNEL, KARI, OLA, TEAM, TENANT
from tests.support.teams_app import TeamsHarness, card_text, mention

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730_OSLO = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
#: Monday 30 November 2026, 08:00 in New York (EST): Nina, Sam and Per — three of five
MONDAY_0800_NEW_YORK = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
NEW_YORK = [{"id": f"29:{name}-aad", "name": name.title()} for name in ("nina", "sam", "per")]


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730_OSLO
        )
        repository = TeamRepository(session)
        team = await repository.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730_OSLO,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await repository.watch(team, CHANNEL)
        for person in NEW_YORK:
            await PersonRepository(session).get_or_create(
                workspace.id, person["id"], now=FRIDAY_1730_OSLO, tz="America/New_York"
            )
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730_OSLO)
    harness.connector.members[TEAM] = [
        {**KARI, "userRole": "owner"},
        {**OLA, "userRole": "user"},
        *({**person, "userRole": "user"} for person in NEW_YORK),
    ]
    async with harness.running():
        yield harness


async def test_an_owner_sets_members_and_a_post_goes_at_0800_in_new_york(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    refused = await teams.ask(mention(teams.service_url, "team audience members", sender=OLA))
    assert "Bare teamets ledere" in card_text(refused)
    saved = await teams.ask(mention(teams.service_url, "team audience medlemmer"))
    assert "Lagret." in card_text(saved)
    assert "halvparten av medlemmene i hver kanal" in card_text(saved)

    # Friday 17:30 in Oslo is 11:30 in New York: the team's own hours are over, but three of
    # five are at work, so it goes now
    now = await teams.ask(mention(teams.service_url, "later Lunsj?", sender=OLA))
    assert "Minst halvparten av kanalens 5 medlemmer er innenfor arbeidstiden sin." in (
        card_text(now)
    )
    await teams.engine.run_until_idle()
    teams.clock.set(FRIDAY_2200_OSLO)  # 16:00 in New York: everyone is off
    card = await teams.ask(mention(teams.service_url, "later Kan vi ta dette mandag?", sender=OLA))
    assert "Holdes til halvparten av kanalens 5 medlemmer er på jobb: man. 14:00" in card_text(card)
    async with sessions() as session:
        rows = (
            await session.scalars(select(HeldMessageRow).order_by(HeldMessageRow.created_at))
        ).all()
    assert [row.deliver_at for row in rows] == [FRIDAY_1730_OSLO, MONDAY_0800_NEW_YORK]
    before = len(teams.connector.posted(CHANNEL))
    teams.clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # 08:00 in Oslo: two of five
    await teams.engine.run_until_idle()
    teams.clock.set(MONDAY_0800_NEW_YORK - timedelta(seconds=1))
    await teams.engine.run_until_idle()
    assert len(teams.connector.posted(CHANNEL)) == before
    teams.clock.set(MONDAY_0800_NEW_YORK)
    await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    delivered = teams.connector.posted(CHANNEL)[before:]
    assert len(delivered) == 1
    assert "Kan vi ta dette mandag?" in str(delivered[0].body)
