"""Exactly once in Teams, as far as Teams allows: a post whose answer was lost is not repeated
in a channel the app may read (Graph, ``ChannelMessage.Read.Group``); where it may not, it is.

Kari holds a message in the team's channel on Friday evening. On Monday at 08:00 the Bot
Connector accepts the post, but the connection drops before its answer arrives: the engine
cannot know it was posted, and tries again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import CHANNEL, KARI, TENANT
from tests.support.teams_app import TeamsHarness, card_text, mention, send_later

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
TEXT = "Kan vi ta budsjettet mandag?"


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        repository = TeamRepository(session)
        team = await repository.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await repository.watch(team, CHANNEL)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    async with harness.running():
        yield harness


def _copies(teams: TeamsHarness) -> int:
    """How many times TEXT reached the channel (accepted by the connector)."""
    return sum(TEXT in str(call.body) for call in teams.connector.posted(CHANNEL))


async def _monday_with_a_lost_answer(teams: TeamsHarness, sessions: Sessions) -> HeldMessageRow:
    await teams.ask(mention(teams.service_url, f"later {TEXT}", sender=KARI, locale="en"))
    teams.connector.lose_answers = 1
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    assert _copies(teams) == 1  # Teams has it; the app does not know
    for minutes in (1, 5, 30, 120):  # past any backoff
        teams.clock.set(MONDAY_0800 + timedelta(minutes=minutes))
        await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    async with sessions() as session:
        return (await session.scalars(select(HeldMessageRow))).one()


async def test_a_lost_answer_in_a_readable_channel_is_found_there_and_not_posted_again(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    row = await _monday_with_a_lost_answer(teams, sessions)
    assert _copies(teams) == 1
    assert row.state == "delivered"
    [first] = [call for call in teams.connector.posted(CHANNEL) if TEXT in str(call.body)]
    assert row.platform_message_id in (None, first.answer_id)
    reads = [c for c in teams.connector.calls if c.method == "GET" and "/channels/" in c.path]
    assert reads and all(c.authorization == "Bearer graph-token" for c in reads)
    # the card carries the tag where Graph shows it
    card = first.body["attachments"][0]["content"]
    assert card["body"][0]["id"] == f"qh-{row.id}"


async def test_without_permission_to_read_the_channel_it_is_posted_again(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    teams.connector.channel_read = False  # the team owner removed ChannelMessage.Read.Group
    row = await _monday_with_a_lost_answer(teams, sessions)
    assert row.state == "delivered"
    assert _copies(teams) == 2  # what remains, and the README says so


async def test_a_lost_answer_to_a_thread_reply_is_found_among_the_threads_replies(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    root = "1732700000001"
    # the channel is known (its reference has the team's group id); Send later in a thread
    await teams.send(mention(teams.service_url, "status", sender=KARI, locale="en"))
    written = send_later(teams.service_url, {"text": TEXT}, sender=KARI, locale="en")
    written["conversation"]["id"] = f"{CHANNEL};messageid={root}"
    card = await teams.dialog(written)
    assert "Held" in card_text(card)
    teams.connector.lose_answers = 1
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    for minutes in (1, 5, 30, 120):
        teams.clock.set(MONDAY_0800 + timedelta(minutes=minutes))
        await teams.engine.run_until_idle()
    posts = [c for c in teams.connector.posted() if TEXT in str(c.body) and "qh-" in str(c.body)]
    assert len(posts) == 1
    assert root in str(posts[0].conversation) or posts[0].reply_to == root
    reads = [c.path for c in teams.connector.calls if c.method == "GET" and "/channels/" in c.path]
    assert reads and all(path.endswith(f"/messages/{root}/replies") for path in reads)
    async with sessions() as session:
        row = (await session.scalars(select(HeldMessageRow))).one()
    assert row.state == "delivered"
