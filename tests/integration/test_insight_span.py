"""`/quiet me`'s activity span says one thing: the figure shown and "more than 40 hours" are
decided on the same rounding, this week and in the 4-week trend.

Field report: a few minutes of Saturday activity on top of a mon-fri 08:00-16:00 week read
"Activity span: 40 h — more than 40 hours", and the trend showed "span: 40 h" on a week not
counted as over 40. Sunday 29 November 2026, 21:00 in Oslo; the team Legal works
mon-fri 08:00-16:00 (its hours count as worked: 40 h), and two colleagues wrote on Saturday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import ActivityRepository
from tests.integration import test_insight_commands as insight
from tests.support.slack_app import SlackHarness
from tests.support.slack_app import answer_texts as texts

harness = insight.harness
Sessions = async_sessionmaker[AsyncSession]
SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
SATURDAY_10 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 10:00 in Oslo


async def _wrote_on_saturday(sessions: Sessions, person: str, minutes: int) -> None:
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        team = (await session.scalars(select(TeamRow))).one()
        for offset in (0, minutes):
            await ActivityRepository(session).record(
                workspace_id=workspace.id,
                team_id=team.id,
                conversation_id="C_TEAM",
                thread_id=f"{person}-saturday",
                person_id=person,
                occurred_at=SATURDAY_10 + timedelta(minutes=offset),
                is_thread_root=offset == 0,
            )


async def test_the_span_shown_and_more_than_40_hours_agree(
    harness: SlackHarness, sessions: Sessions
) -> None:
    harness.clock.set(SUNDAY_EVENING)
    await _wrote_on_saturday(sessions, "U_P0", 2)  # 40 h 02 min: shown 40 h
    await _wrote_on_saturday(sessions, "U_P1", 3)  # 40 h 03 min: shown 40.1 h
    two = texts(await harness.command("U_P0", "me"))
    assert "Activity span, your hours included: 40 h\n" in two + "\n", two
    assert "h — more than 40 hours" not in two
    assert "Weeks whose activity span was more than 40 hours: 0" in two
    assert "span: 40 h" in two
    three = texts(await harness.command("U_P1", "me"))
    assert "Activity span, your hours included: 40.1 h — more than 40 hours" in three, three
    assert "Weeks whose activity span was more than 40 hours: 1" in three
    assert "span: 40.1 h" in three
