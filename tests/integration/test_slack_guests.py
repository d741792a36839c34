"""A Slack guest holds messages only for people they could reach themselves.

Slack lets guests "see and direct message" only the members of their own channels (Slack Help
Center, "Understand guest roles in Slack"). Gry is a single-channel guest in #team; Mia is a
multi-channel guest in #team and #design. Bo works in #ops only, Dag in #design only, Kari in
#team. A message held for a person is a direct message from the bot on the author's behalf: a
guest may hold one only for someone who shares one of the guest's channels.
"""

from __future__ import annotations

import json
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
TOKEN = "xoxb-guests"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_GRY", "Gry", guest="single")
    slack.add_user("U_GRO", "Gro", locale="nb-NO", guest="single")
    slack.add_user("U_MIA", "Mia", guest="multi")
    slack.add_user("U_KARI", "Kari")
    slack.add_user("U_BO", "Bo")
    slack.add_user("U_DAG", "Dag")
    slack.add_channel("C_TEAM", members=["U_GRY", "U_GRO", "U_MIA", "U_KARI"])
    slack.add_channel("C_DESIGN", members=["U_MIA", "U_DAG"])
    slack.add_channel("C_OPS", members=["U_BO", "U_KARI"])
    await slack.start()
    await install_workspace(sessions, cipher, token=TOKEN, now=FRIDAY_1730, team_name="Legal")
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def held_for(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(select(HeldMessageRow).order_by(HeldMessageRow.created_at))
        return [row.conversation_id for row in rows.all()]


async def test_a_single_channel_guest_holds_only_for_people_of_their_channel(
    harness: SlackHarness, sessions: Sessions
) -> None:
    refused = await harness.command("U_GRY", "later <@U_BO|bo> the contract")
    assert "As a guest in this workspace" in refused["text"]
    assert "<@U_BO>" in refused["text"] and "Nothing was held" in refused["text"]
    assert await held_for(sessions) == []

    held = await harness.command("U_GRY", "later <@U_KARI|kari> the contract")
    assert "Held" in held["text"]
    assert await held_for(sessions) == ["U_KARI"]


async def test_a_multi_channel_guest_reaches_the_people_of_any_of_their_channels(
    harness: SlackHarness, sessions: Sessions
) -> None:
    # typed in #team, for Dag of #design: Mia shares #design with him
    held = await harness.command("U_MIA", "later <@U_DAG|dag> the sketches")
    assert "Held" in held["text"]
    refused = await harness.command("U_MIA", "later <@U_BO|bo> the sketches")
    assert "As a guest in this workspace" in refused["text"]
    assert await held_for(sessions) == ["U_DAG"]


async def test_members_are_not_limited_and_the_guest_refusal_speaks_bokmal(
    harness: SlackHarness, sessions: Sessions
) -> None:
    held = await harness.command("U_KARI", "later <@U_DAG|dag> hei")  # no channel shared
    assert "Held" in held["text"]
    refused = await harness.command("U_GRO", "later <@U_BO|bo> hei")
    assert "Som gjest i dette arbeidsområdet" in refused["text"]
    assert "Ingenting ble holdt tilbake" in refused["text"]
    assert await held_for(sessions) == ["U_DAG"]


async def test_the_send_later_forms_person_picker_refuses_the_same(
    harness: SlackHarness, sessions: Sessions
) -> None:
    status, answer = await harness.submit(
        "U_GRY",
        "compose",
        {
            "person": {"type": "users_select", "selected_user": "U_BO"},
            "text": {"type": "plain_text_input", "value": "the contract"},
        },
    )
    assert status == 200
    errors = json.loads(answer)["errors"]
    assert "As a guest you can reach only people in your own channels" in errors["person"]
    assert await held_for(sessions) == []

    done = await harness.submit(
        "U_GRY",
        "compose",
        {
            "person": {"type": "users_select", "selected_user": "U_KARI"},
            "text": {"type": "plain_text_input", "value": "the contract"},
        },
    )
    assert done == (200, "")
    await until(lambda: harness.slack.posted("U_GRY"))
    assert await held_for(sessions) == ["U_KARI"]
