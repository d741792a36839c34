"""What people type reaches the bot as they meant it, through the real /slack/events.

Friday 27 November 2026, 17:30 in Oslo (the team Legal works Mon–Fri 08–16 and watches
#team): text is counted as typed (Slack's ``&amp;`` is one ``&``), text with nothing visible
is empty, a held message's buttons read a bad id as gone, and teams are made of channels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.markup import inert
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, TeamRow
from bot.storage.outbox import HeldMessageRepository
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness, answer_texts
from tests.support.waiting import until, until_async

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-typed"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
#: invisible characters people paste: ZWSP, ZWNJ, ZWJ, word joiner, BOM, NBSP, a tab
INVISIBLE = ("\u200b\u200b", "\u200c", "\u200d\ufeff", "\u2060 \u200b", "\u00a0", "\u3164")


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_user("U_ADMIN", "Ada", is_admin=True)
    slack.add_user("U_ADMINA", "Åse", locale="nb-NO", is_admin=True)
    for channel in ("C_TEAM", "C_NEW"):
        slack.add_channel(channel)
    slack.add_private("G_GROUP", ["U_ADMIN", "U_ADMINA", "U_OLA"], bot_member=True, group_dm=True)
    slack.add_private("C_SECRET", ["U_ADMIN", "U_ADMINA", "U_LEAD"])  # the app is not in it
    slack.add_im("D_OTHER", "U_ADMIN", "U_OLA")
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


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in answer.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("type") == "button"
    }


async def held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


# -- length as typed -----------------------------------------------------------------------------


async def test_ampersands_count_as_typed_and_are_posted_as_typed(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    typed = "&" * 1000 + "x" * 1990 + "<b> & </b>"  # 3,000 characters as Ola typed them
    assert len(typed) == 3000
    answer = await harness.command("U_OLA", "later " + inert(typed))  # as Slack sends it
    assert "Held" in answer_texts(answer), answer_texts(answer)
    [row] = await held(sessions)
    async with sessions() as session:
        assert HeldMessageRepository(session, cipher).body(row) == inert(typed)

    answer = await harness.command("U_OLA", "urgent " + inert(typed + "&"))
    assert "3001 characters" in answer_texts(answer) and "3000" in answer_texts(answer)
    assert "7001" not in answer_texts(answer)
    assert len(await held(sessions)) == 1


async def test_the_send_later_form_refuses_text_over_the_limit_as_typed(
    harness: SlackHarness, sessions: Sessions
) -> None:
    for text, problem in (("x" * 3001, "3001 characters"), ("\u200b\u200d", "")):
        status, answer = await harness.submit(
            "U_OLA",
            "compose",
            {
                "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
                "text": {"type": "plain_text_input", "value": text},
            },
        )
        assert status == 200 and '"errors"' in answer and problem in answer, answer
    assert await held(sessions) == []


# -- nothing visible is nothing --------------------------------------------------------------------


@pytest.mark.parametrize("blank", INVISIBLE)
async def test_text_of_invisible_characters_is_empty(
    harness: SlackHarness, sessions: Sessions, blank: str
) -> None:
    for verb in ("urgent", "later"):
        answer = await harness.command("U_OLA", f"{verb} {blank}")
        assert "Held" not in answer_texts(answer) and "Posted" not in answer_texts(answer), (
            answer_texts(answer)
        )
    assert await held(sessions) == []
    assert harness.slack.posted("C_TEAM") == []


# -- a bad id on a held message's buttons reads as gone ------------------------------------------


@pytest.mark.parametrize("bad", ["00000000-0000-0000-0000-000000000000", "zzz", ""])
async def test_held_buttons_with_an_unknown_id_say_it_is_gone(
    harness: SlackHarness, sessions: Sessions, bad: str
) -> None:
    mine = buttons(await harness.command("U_OLA", "later Ring meg"))["held.cancel"]
    for action in ("held.send_now", "held.cancel"):
        before = len(harness.slack.responses)
        status, _ = await harness.click("U_OLA", action, bad)
        assert status == 200
        await until(lambda n=before: len(harness.slack.responses) > n)
        answer = harness.slack.responses[-1]["text"]
        assert "no longer waiting" in answer and "Only the person" not in answer
    # someone else's real id reads the same: a click never tells whether an id exists
    before = len(harness.slack.responses)
    await harness.click("U_KARI", "held.cancel", mine)
    await until(lambda: len(harness.slack.responses) > before)
    answer = harness.slack.responses[-1]["text"]
    assert "no longer waiting" in answer or "venter ikke lenger" in answer, answer
    [row] = await held(sessions)
    assert row.state == "held"


# -- teams are made of channels ------------------------------------------------------------------


async def _teams(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return sorted((await session.scalars(select(TeamRow.name))).all())


@pytest.mark.parametrize(
    ("where", "who", "said"),
    [
        ("D_OTHER", "U_ADMIN", "not direct messages or group DMs"),
        ("G_GROUP", "U_ADMIN", "not direct messages or group DMs"),
        ("G_GROUP", "U_ADMINA", "ikke direktemeldinger eller gruppemeldinger"),
        ("C_SECRET", "U_ADMIN", "Nothing was done"),  # Slack lists it to no one: refused
    ],
)
async def test_a_team_is_not_created_in_a_dm_a_group_dm_or_a_channel_the_app_cannot_see(
    harness: SlackHarness, sessions: Sessions, where: str, who: str, said: str
) -> None:
    answer = await harness.command(who, "team create DMTeam", channel=where)
    assert said in answer_texts(answer), answer_texts(answer)
    assert answer.get("response_type") == "ephemeral"
    assert await _teams(sessions) == ["Legal"]


async def test_team_watch_refuses_a_dm_or_a_group_dm_and_says_already_watched(
    harness: SlackHarness, sessions: Sessions
) -> None:
    answer = await harness.command("U_LEAD", "team watch <#D_OTHER>")
    assert "not direct messages or group DMs" in answer_texts(answer)
    answer = await harness.command("U_LEAD", "team watch <#G_GROUP>")
    assert "not direct messages or group DMs" in answer_texts(answer)
    answer = await harness.command("U_LEAD", "team watch <#C_SECRET>")  # Lea is in it; the app not
    assert "Quiet Hours is not in <#C_SECRET>" in answer_texts(answer), answer_texts(answer)
    answer = await harness.command("U_LEAD", "team watch <#C_TEAM|team>")
    assert "was already watched by the team Legal" in answer_texts(answer), answer_texts(answer)
    assert "now watched" not in answer_texts(answer)
    answer = await harness.command("U_LEAD", "team watch <#C_NEW|new>")
    assert "is now watched" in answer_texts(answer)
    answer = await harness.command("U_LEAD", "team watch <#C_NEW|new>")
    assert "was already watched" in answer_texts(answer)


# -- later holds in label mode ---------------------------------------------------------------------


async def test_later_in_a_label_mode_channel_holds_it_until_the_teams_hours(
    harness: SlackHarness, sessions: Sessions
) -> None:
    assert "Saved" in answer_texts(await harness.command("U_LEAD", "team mode label"))
    answer = await harness.command("U_KARI", "later Hei alle sammen")
    assert "Holdt tilbake" in answer_texts(answer) and "Levert nå" not in answer_texts(answer), (
        answer_texts(answer)
    )
    assert "man. 08:00" in answer_texts(answer) or "Mon 08:00" in answer_texts(answer), (
        answer_texts(answer)
    )
    [row] = await held(sessions)
    assert row.state == "held" and row.deliver_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_TEAM") == []  # nothing out before Monday, so no label needed
    # urgent is still posted now, and never labelled
    answer = await harness.command("U_OLA", "urgent Prod is down")
    assert "urgent" in answer_texts(answer).lower()


# -- /quiet digest previews this channel's digest ----------------------------------------------


async def test_digest_preview_lists_only_this_channels_threads(harness: SlackHarness) -> None:
    assert "is now watched" in answer_texts(await harness.command("U_LEAD", "team watch <#C_NEW>"))
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    for n, (channel, words) in enumerate([("C_TEAM", "Release Monday?"), ("C_NEW", "New офис")]):
        at = saturday.replace(minute=n)
        harness.clock.set(at)
        status, _ = await harness.event(
            {
                "type": "message",
                "channel": channel,
                "channel_type": "channel",
                "user": "U_KARI",
                "text": words,
                "ts": f"{at.timestamp():.6f}",
            },
            f"EvDigest{n}",
        )
        assert status == 200
    harness.clock.set(saturday.replace(hour=11))

    async def both_stored() -> bool:
        here = answer_texts(await harness.command("U_OLA", "digest", channel="C_NEW"))
        return "<#C_NEW>" in here

    await until_async(both_stored)
    here = answer_texts(await harness.command("U_OLA", "digest"))
    assert "<#C_TEAM>" in here and "Release Monday?" in here, here
    assert "C_NEW" not in here and "офис" not in here
    there = answer_texts(await harness.command("U_OLA", "digest", channel="C_NEW"))
    assert "<#C_NEW>" in there and "C_TEAM" not in there and "Release" not in there
