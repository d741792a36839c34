"""`/quiet team audience members` end to end in Slack: a leader's setting, then a Sunday-evening
`later` in the channel goes out at the exact instant half of its members are at work.

Kari leads the team in Oslo; Nina and Sam are in New York and have never typed a command (the
app knows their zones only from Slack's `users.list`); a CI bot is in the channel too. The
team's own hours are Mon-Fri 08:00-16:00 in Oslo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import TeamRow
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-audience-e2e"
SUNDAY_2000_OSLO = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
#: Monday 30 November 2026, 08:00 in New York (EST): Nina and Sam are in — two of three
MONDAY_0800_NEW_YORK = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_KARI", "Kari", tz="Europe/Oslo")
    slack.add_user("U_NINA", "Nina", tz="America/New_York")
    slack.add_user("U_SAM", "Sam", tz="America/New_York")
    slack.add_user("U_CI", "ci", tz="Europe/Oslo", is_bot=True)
    slack.add_channel("C_TEAM", members=["U_KARI", "U_NINA", "U_SAM", "U_CI"])
    await slack.start()
    await install_workspace(
        sessions, cipher, token=TOKEN, now=SUNDAY_2000_OSLO, team_name="Plattform", leader="U_KARI"
    )
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=SUNDAY_2000_OSLO,
        team="T1",
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


def texts(answer: dict[str, Any]) -> str:
    parts = [str(answer.get("text", ""))]
    parts += [str(b["text"].get("text", "")) for b in answer.get("blocks") or [] if "text" in b]
    return "\n".join(parts)


async def test_only_leaders_choose_the_audience_and_the_team_shows_it(
    harness: SlackHarness, sessions: Sessions
) -> None:
    refused = await harness.command("U_NINA", "team audience members")
    assert "Only the team's leaders" in texts(refused)
    wrong = await harness.command("U_KARI", "team audience everyone")
    assert "/quiet team audience members" in texts(wrong)
    saved = await harness.command("U_KARI", "team audience medlemmer")
    assert "Saved." in texts(saved)
    assert "Whose hours: half of each channel's members, each in their own hours" in texts(saved)
    shown = texts(await harness.command("U_NINA", "team"))
    assert "Whose hours: half of each channel's members, each in their own hours" in shown
    async with sessions() as session:
        assert (await session.scalars(select(TeamRow.audience))).one() == "members"
    back = await harness.command("U_KARI", "team audience team")
    assert "Whose hours: the team's hours" in texts(back)


async def test_a_sunday_evening_post_goes_at_0800_in_new_york_to_the_second(
    harness: SlackHarness,
) -> None:
    await harness.command("U_KARI", "team audience members")
    answer = texts(await harness.command("U_KARI", "later Kan vi ta dette mandag?"))
    assert "Held until half of the channel's 3 members are at work: Mon 14:00 Europe/Oslo." in (
        answer
    )
    # Monday 08:00 in Oslo: the team's own hours, but only Kari is in
    harness.clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    await harness.engine.run_until_idle()
    harness.clock.set(MONDAY_0800_NEW_YORK - timedelta(seconds=1))
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_TEAM") == []
    harness.clock.set(MONDAY_0800_NEW_YORK)
    await harness.engine.run_until_idle()
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["Kan vi ta dette mandag?"]
    assert harness.slack.violations == []
