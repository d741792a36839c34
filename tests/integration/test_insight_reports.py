"""The weekly team insight: on Monday at the digest time, privately to each leader, once,
over real HTTP against the fake Slack Web API.

The team Legal (Oslo, mon-fri 08:00-16:00, digest at its default) watches #C_TEAM; five
colleagues wrote there on Tuesday night, 1 December 2026. The report for that week goes out on
Monday 7 December at 08:00 Oslo time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from bot.clock import FixedClock
from bot.services.insight_reports import WeeklyTeamInsight
from bot.storage.crypto import Cipher
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import ActivityRepository
from tests.integration.test_delivery import platform_for
from tests.support.slack import fake_slack, install_workspace

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-reports"
TUESDAY_NIGHT = datetime(2026, 12, 1, 21, 15, tzinfo=UTC)  # 22:15 in Oslo
MONDAY_0800 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
COLLEAGUES = [f"U_P{n}" for n in range(5)]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = fake_slack(bot_token=TOKEN, team_id="T1")
    fake.add_user("U_LEAD", "Lea")
    fake.add_channel("C_TEAM", members=["U_LEAD", *COLLEAGUES])
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def _week_of_nights(sessions: Sessions, cipher: Cipher) -> None:
    await install_workspace(
        sessions, cipher, token=TOKEN, now=TUESDAY_NIGHT, team_name="Legal", leader="U_LEAD"
    )
    async with sessions() as session, session.begin():
        workspace = (await session.scalars(select(WorkspaceRow))).one()
        team = (await session.scalars(select(TeamRow))).one()
        for person in COLLEAGUES:
            await ActivityRepository(session).record(
                workspace_id=workspace.id,
                team_id=team.id,
                conversation_id="C_TEAM",
                thread_id=f"{person}-1",
                person_id=person,
                occurred_at=TUESDAY_NIGHT,
                is_thread_root=True,
            )


async def test_each_leader_gets_last_weeks_insight_once_on_monday_morning(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    await _week_of_nights(sessions, cipher)
    platform = platform_for(sessions, cipher, slack)
    clock = FixedClock(MONDAY_0800 - timedelta(minutes=1))
    reports = WeeklyTeamInsight(
        sessions=sessions, clock=clock, senders={"slack": platform}, members={"slack": platform}
    )
    try:
        assert await reports.run_due() == 0  # 07:59: not yet
        assert slack.posted() == []
        clock.set(MONDAY_0800)
        assert await reports.run_due() == 1
        (report,) = slack.posted("U_LEAD")
        assert "*Team Legal: the week since Mon 30 Nov*" in report.body
        assert "People who wrote outside hours: 5" in report.body
        assert "Share of the team's members: 83 %" in report.body  # 5 of 6: Lea did not write
        assert "nights (21–06): 5" in report.body
        for person in COLLEAGUES:
            assert person not in report.body
        (chart,) = slack.shared_files("DU_LEAD")
        assert chart.content is not None and chart.content.startswith(b"\x89PNG")
        assert chart.title == "Legal: messages outside working hours, last 8 weeks"
        # once per week, however often the tick (or another replica) runs
        clock.advance(timedelta(minutes=5))
        assert await reports.run_due() == 0
        assert len(slack.posted("U_LEAD")) == 1
        assert {f.channel for f in slack.files.values()} == {"DU_LEAD"}
        # nobody else heard of it
        assert {m.channel for m in slack.posted()} == {"U_LEAD", "DU_LEAD"}
    finally:
        await platform.close()


async def test_a_monday_missed_by_more_than_twelve_hours_is_skipped(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    await _week_of_nights(sessions, cipher)
    platform = platform_for(sessions, cipher, slack)
    clock = FixedClock(MONDAY_0800 + timedelta(hours=12, minutes=1))
    reports = WeeklyTeamInsight(
        sessions=sessions, clock=clock, senders={"slack": platform}, members={"slack": platform}
    )
    try:
        assert await reports.run_due() == 0
        assert slack.posted() == []
    finally:
        await platform.close()
