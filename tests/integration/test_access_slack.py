"""Who may see and touch what, on Slack: held messages stay their author's, in their workspace.

Friday 27 November 2026, 17:30 in Oslo, as in ``test_slack_commands``: the team's hours are
over, so what is written through the bot waits for Monday 08:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-access"
OTHER_TOKEN = "xoxb-other-workspace"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_user("U_ADMIN", "Ada", is_admin=True)
    for channel in ("C_TEAM", "C_NEW"):
        slack.add_channel(channel)
    await slack.start()
    await install_workspace(
        sessions, cipher, token=TOKEN, now=FRIDAY_1730, team_name="Legal", leader="U_LEAD"
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def held_rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def _held_in_other_workspace(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> str:
    """Workspace T2 has its own U_OLA (Slack ids are unique per workspace only)."""
    await install_workspace(
        sessions, cipher, token=OTHER_TOKEN, now=FRIDAY_1730, team="T2", channel="C_THEIRS"
    )
    composed = await harness.compose.compose(
        platform="slack",
        workspace="T2",
        author="U_OLA",
        conversation="C_THEIRS",
        text="T2's own business",
    )
    assert composed.held
    return composed.held_id


async def test_held_buttons_check_the_workspace_not_only_the_author(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    theirs = await _held_in_other_workspace(harness, sessions, cipher)
    for action in ("held.send_now", "held.cancel"):
        status, _ = await harness.click("U_OLA", action, theirs)
        assert status == 200
        await until(lambda: harness.slack.responses)
        assert "Only the person who wrote" in harness.slack.responses.pop()["text"]
    status, _ = await harness.click("U_OLA", "held.edit", theirs)
    assert status == 200
    await until(lambda: harness.slack.ephemeral)
    assert "Only the person who wrote" in harness.slack.ephemeral[-1]["text"]
    assert harness.slack.opened_views == []  # T2's text was never shown in T1
    status, text = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": "hijacked"}},
        metadata=theirs,
    )
    assert status == 200 and "Only the person who wrote" in text
    [row] = await held_rows(sessions)
    assert row.state == "held" and row.deliver_at == MONDAY_0800
