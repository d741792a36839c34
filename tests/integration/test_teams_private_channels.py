"""A Teams private channel is its own members', not its team's: Teams lists only them for it.

The team Plattform (Kari and Ola) has a private channel *Lønn* with Kari alone in it. Ola is in
the team, so the team's roster names him, but Teams shows him nothing of *Lønn*: Quiet Hours
must not hold a message there for him, nor let him act on its guards, nor count him among the
people a digest of it is for. The fake Bot Connector answers for a private channel's own
conversation with its own members, as Teams does (learn.microsoft.com, "Apps for shared and
private channels").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.guards import GuardRepository
from bot.storage.models import DecisionGuardRow, HeldMessageRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import CHANNEL, KARI, OLA, TEAM, TENANT
from tests.support.teams_app import TeamsHarness, card_action, card_text, mention

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
PAY = "19:5c0ffee0d1e24b7a9b8e6f3a2c1d0e9f@thread.tacv2"  # the private channel Lønn
PAY_MENTION = {"id": PAY, "name": "Lønn"}


@pytest.fixture(params=["private", "shared"])
async def teams(
    request: pytest.FixtureRequest, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        team = await TeamRepository(session).create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await TeamRepository(session).watch(team, CHANNEL)
        await TeamRepository(session).watch(team, PAY)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "user"}, {**OLA, "userRole": "user"}]
    harness.connector.add_channel(PAY, TEAM, membership=request.param, members=[dict(KARI)])
    async with harness.running():
        # Kari writes in Lønn through the bot: it knows the channel from then on
        card = await harness.ask(mention(harness.service_url, "later Lønnsoppgjøret", channel=PAY))
        assert "Holdt tilbake" in card_text(card)
        yield harness


async def held_in(sessions: Sessions, conversation: str) -> list[HeldMessageRow]:
    async with sessions() as session:
        rows = await session.scalars(
            select(HeldMessageRow).where(HeldMessageRow.conversation_id == conversation)
        )
        return list(rows.all())


async def test_a_team_member_outside_the_channel_cannot_hold_a_message_there(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(
        mention(teams.service_url, "later <at>Lønn</at> hei", sender=OLA, others=(PAY_MENTION,))
    )
    assert "Du er ikke medlem av" in card_text(card)
    assert "Ingenting ble holdt tilbake" in card_text(card)
    assert len(await held_in(sessions, PAY)) == 1  # Kari's alone

    # Kari, who is in it, can from the team's other channel
    card = await teams.ask(
        mention(teams.service_url, "later <at>Lønn</at> hei", sender=KARI, others=(PAY_MENTION,))
    )
    assert "Holdt tilbake" in card_text(card)
    assert len(await held_in(sessions, PAY)) == 2


async def test_a_team_member_outside_the_channel_cannot_touch_its_guard(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        [team] = await TeamRepository(session).all()
        row = await GuardRepository(session).claim(
            workspace_id=workspace.id,
            team_id=team.id,
            conversation_id=PAY,
            thread_id="1764320000000",
            decided_at=FRIDAY_1730,
            guard_until=MONDAY_0800,
            now=FRIDAY_1730,
        )
        assert row is not None
        guard = row.id
    card = await teams.click(
        card_action(teams.service_url, "guard.reopen", {"guardId": guard}, sender=OLA)
    )
    assert "finnes ikke lenger" in card_text(card)
    async with sessions() as session:
        stored = await session.get(DecisionGuardRow, guard)
        assert stored is not None and stored.state == "open"


async def test_the_channels_people_are_its_own_members(teams: TeamsHarness) -> None:
    """What guards count as "away" and digests are sent to: Kari only, not the team; the
    team's standard channel is the whole team's."""
    await teams.ask(mention(teams.service_url, "help", sender=OLA))  # the bot sees CHANNEL
    assert await teams.platform.channel_members(TENANT, PAY) == [KARI["id"]]
    assert await teams.platform.people_in(TENANT, PAY) == [KARI["id"]]
    assert set(await teams.platform.channel_members(TENANT, CHANNEL)) == {KARI["id"], OLA["id"]}
    assert await teams.platform.can_post(TENANT, PAY, KARI["id"])
