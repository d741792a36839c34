"""Teams: a team on a jurisdiction preset cannot save hours that break the preset's hard rules.

The same command layer as Slack, reached through a signed Bot Connector activity: the owner of
a Norwegian team asks the bot for evening hours and gets a card that cites the Act instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import TeamRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import CHANNEL, KARI, OLA, TEAM, TENANT
from tests.support.teams_app import TeamsHarness, card_text, mention

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
OFFICE = "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        team = await TeamRepository(session).create(
            workspace.id, "Oslo", now=FRIDAY_1730, hours_spec=OFFICE, preset="norway-aml"
        )
        await TeamRepository(session).watch(team, CHANNEL)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "owner"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


async def stored(sessions: Sessions) -> str:
    async with sessions() as session:
        return (await session.scalars(select(TeamRow.hours_spec))).one()


async def test_evening_hours_are_refused_with_the_act_cited(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(mention(teams.service_url, "team hours man–fre 8–16; tor 18–22"))
    shown = card_text(card)
    assert card["body"][0]["color"] == "Attention"
    assert "Ikke lagret: Arbeidstiden torsdag 18:00–22:00 går 1 t inn i natten" in shown
    assert "Teamet følger malen Norge – arbeidsmiljøloven" in shown
    assert "§ 10-11 (1) and (2)" in shown and "https://lovdata.no/lov/2005-06-17-62/§10-11" in shown
    assert "Lagret." not in shown
    assert await stored(sessions) == OFFICE


async def test_sunday_hours_are_refused_and_a_long_day_only_warned_about(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    sunday = card_text(await teams.ask(mention(teams.service_url, "team hours søn 10-14")))
    assert "søndagshvilen" in sunday and "§ 10-10 (1)" in sunday
    assert await stored(sessions) == OFFICE
    long_day = card_text(await teams.ask(mention(teams.service_url, "team hours man-fre 7-17")))
    assert "Lagret." in long_day
    assert "Arbeidstiden mandag er 10 t, mer enn 9 t per dag." in long_day
    assert await stored(sessions) == "mon-fri 07:00-17:00 tz Europe/Oslo"
