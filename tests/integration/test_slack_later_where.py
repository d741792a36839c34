"""`/quiet later` where the app cannot post: refused at once, nothing held, and what to do.

Field report: `/quiet later …` in a group DM (or a private channel the app is not in) was
answered "Delivered now", then failed with `channel_not_found`, and a DM told the author the
channel no longer existed. Slack hides such conversations from the app; the fake Slack answers
the same way. Tuesday 1 December 2026, 10:00 in Oslo: working hours, so it would go out now.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-later-where"
TUESDAY_1000 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GROUP_DM = "G_OLA_KARI_LEA"  # a group DM of three people; apps are not in group DMs
SECRET = "G_SECRET"  # a private channel the app was never invited to
INVITED = "G_INVITED"  # a private channel the app is in


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    for user, name in (("U_OLA", "Ola"), ("U_KARI", "Kari"), ("U_LEA", "Lea")):
        slack.add_user(user, name)
    slack.add_channel("C_TEAM")
    slack.add_private(GROUP_DM, ["U_OLA", "U_KARI", "U_LEA"])
    slack.add_private(SECRET, ["U_OLA", "U_KARI"])
    slack.add_private(INVITED, ["U_OLA", "U_KARI"], bot_member=True)
    await slack.start()
    await install_workspace(sessions, cipher, token=TOKEN, now=TUESDAY_1000)
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=TUESDAY_1000, team="T1"
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


async def held_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(HeldMessageRow)) or 0)


@pytest.mark.parametrize(
    ("channel", "text"),
    [
        (GROUP_DM, "later Lunch at 12?"),
        (SECRET, "later Lunch at 12?"),
        ("C_TEAM", f"later <#{SECRET}|secret> Lunch at 12?"),
        (GROUP_DM, "urgent The server is down"),
    ],
)
async def test_where_the_app_is_not_nothing_is_held_and_the_person_is_told_what_to_do(
    harness: SlackHarness, sessions: Sessions, channel: str, text: str
) -> None:
    answer = await harness.command("U_OLA", text, channel=channel)
    shown = texts(answer)
    assert answer["response_type"] == "ephemeral"
    assert "Not held: Quiet Hours is not in this conversation" in shown
    assert "/invite @Quiet Hours" in shown and "/quiet later @person" in shown
    assert "Delivered now" not in shown
    assert await held_count(sessions) == 0
    await harness.engine.run_until_idle()
    assert harness.slack.posted() == []  # nothing posted anywhere, no "channel is gone" DM


async def test_norwegian_people_are_told_in_norwegian(harness: SlackHarness) -> None:
    harness.slack.users["U_KARI"]["locale"] = "nb-NO"
    answer = await harness.command("U_KARI", "later Lunsj kl. 12?", channel=SECRET)
    assert "Ikke holdt tilbake: Quiet Hours er ikke med i denne samtalen" in texts(answer)


async def test_where_the_app_is_invited_or_the_channel_is_public_it_goes_out(
    harness: SlackHarness, sessions: Sessions
) -> None:
    invited = await harness.command("U_OLA", "later Lunch at 12?", channel=INVITED)
    assert "Delivered now" in texts(invited)
    public = await harness.command("U_OLA", "later Standup moved", channel="C_TEAM")
    assert "Delivered now" in texts(public)
    to_person = await harness.command("U_OLA", "later <@U_KARI> Lunch?", channel=GROUP_DM)
    assert "Not held" not in texts(to_person)  # `later @person` is what to use in a group DM
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted(INVITED)] == ["Lunch at 12?"]
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["Standup moved"]
    assert await held_count(sessions) == 3


async def test_the_compose_modal_refuses_such_a_conversation_in_the_form(
    harness: SlackHarness, sessions: Sessions
) -> None:
    status, body = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": GROUP_DM},
            "text": {"type": "plain_text_input", "value": "Lunch at 12?"},
        },
    )
    assert status == 200
    assert "Quiet Hours is not in this conversation" in json.loads(body)["errors"]["channel"]
    assert await held_count(sessions) == 0
