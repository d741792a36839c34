"""`/quiet`, its buttons, modals, shortcuts and the App Home, over real HTTP like Slack sends them.

Friday 27 November 2026, 17:30 in Oslo: the team's hours (Mon–Fri 08:00–16:00) are over, so a
message written now waits for Monday 08:00.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import (
    HeldMessageRow,
    PersonRow,
    TeamRow,
    ThreadExcerptRow,
    UrgentOverrideRow,
)
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until, until_async

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-commands"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
TUESDAY_1000 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea", is_admin=False)
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


def texts(answer: dict[str, Any]) -> str:
    """Everything a person reads in an answer: its text and its blocks."""
    parts = [str(answer.get("text", ""))]
    for block in answer.get("blocks") or []:
        if "text" in block:
            parts.append(str(block["text"].get("text", "")))
    return "\n".join(parts)


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    found = {}
    for block in answer.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


async def held_rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def test_help_is_private_and_in_the_persons_language(harness: SlackHarness) -> None:
    english = await harness.command("U_OLA", "help")
    assert english["response_type"] == "ephemeral"
    assert "/quiet later" in texts(english)
    norsk = await harness.command("U_KARI", "")  # no verb: help, in Kari's language (nb-NO)
    assert "hold tilbake en melding" in texts(norsk)


async def test_unknown_verb_gets_a_friendly_error_and_the_help(harness: SlackHarness) -> None:
    answer = await harness.command("U_OLA", "frobnicate now")
    assert "I don't know the command “frobnicate”" in texts(answer)
    assert "/quiet hours" in texts(answer)


async def test_later_holds_until_monday_and_delivers_once_with_the_author(
    harness: SlackHarness, sessions: Sessions
) -> None:
    answer = await harness.command("U_OLA", "later Can we review the contract?")
    assert "Held. It will be delivered Mon 08:00 Europe/Oslo." in texts(answer)
    held = await held_rows(sessions)
    assert [row.state for row in held] == ["held"]
    assert b"contract" not in (held[0].body_enc or b"")  # durable, and encrypted at rest
    assert buttons(answer) == {
        "held.send_now": held[0].id,
        "held.edit": held[0].id,
        "held.cancel": held[0].id,
    }
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_TEAM") == []
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    await harness.engine.run_until_idle()
    posted = harness.slack.posted("C_TEAM")
    assert [m.body for m in posted] == ["Can we review the contract?"]
    context = json.dumps(posted[0].blocks)
    assert "<@U_OLA>" in context  # the bot names the author
    assert harness.slack.violations == []


async def test_later_to_a_person_waits_for_their_own_hours(
    harness: SlackHarness, sessions: Sessions
) -> None:
    kari = await harness.command("U_KARI", "hours man-fre 10-16")
    assert "10:00-16:00" in texts(kari) and "Lagret" in texts(kari)
    answer = await harness.command("U_OLA", "later <@U_KARI|kari> Ring meg")
    assert "Mon 10:00 Europe/Oslo" in texts(answer)
    (row,) = await held_rows(sessions)
    assert row.conversation_id == "U_KARI"
    status = texts(await harness.command("U_OLA", "status"))
    assert "<@U_KARI> · Mon 10:00 Europe/Oslo" in status  # held for a person, shown as them


async def test_send_now_edit_and_cancel_buttons(harness: SlackHarness, sessions: Sessions) -> None:
    first = buttons(await harness.command("U_OLA", "later first"))["held.send_now"]
    second = buttons(await harness.command("U_OLA", "later second"))["held.cancel"]
    third = buttons(await harness.command("U_OLA", "later third draft"))["held.edit"]

    # someone else cannot touch Ola's message
    status, _ = await harness.click("U_KARI", "held.cancel", first)
    assert status == 200
    await until(lambda: harness.slack.responses)
    assert "no longer waiting" in harness.slack.responses[-1]["text"]

    await harness.click("U_OLA", "held.send_now", first)
    await until(lambda: len(harness.slack.responses) == 2)
    assert harness.slack.responses[-1]["text"] == "On its way now."
    assert harness.slack.responses[-1]["replace_original"] is True
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["first"]

    await harness.click("U_OLA", "held.cancel", second)
    await until(lambda: len(harness.slack.responses) == 3)
    assert harness.slack.responses[-1]["text"].startswith("Cancelled.")
    await harness.click("U_OLA", "held.cancel", second)  # a second click changes nothing
    await until(lambda: len(harness.slack.responses) == 4)
    assert "no longer waiting" in harness.slack.responses[-1]["text"]

    await harness.click("U_OLA", "held.edit", third)
    await until(lambda: harness.slack.opened_views)
    modal = harness.slack.opened_views[-1]["view"]
    assert modal["callback_id"] == "held.edit"
    assert modal["blocks"][0]["element"]["initial_value"] == "third draft"
    status, text = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": "third, final"}},
        metadata=modal["private_metadata"],
    )
    assert (status, text) == (200, "")
    empty = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": "  "}},
        metadata=modal["private_metadata"],
    )
    assert json.loads(empty[1])["response_action"] == "errors"

    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["first", "third, final"]
    states = sorted(row.state for row in await held_rows(sessions))
    assert states == ["cancelled", "delivered", "delivered"]


@pytest.mark.parametrize("mode", ["hold", "label"])
async def test_urgent_posts_now_marked_and_counted_never_labelled(
    harness: SlackHarness, sessions: Sessions, mode: str
) -> None:
    await harness.command("U_LEAD", f"team mode {mode}")
    answer = await harness.command("U_OLA", "urgent The server is down")
    assert "Posted now as urgent" in texts(answer)
    await harness.engine.run_until_idle()
    # an urgent "the server is down" wants an answer now: no "no reply expected" in its thread
    (posted,) = harness.slack.posted("C_TEAM")
    assert posted.body == "The server is down"
    assert ":rotating_light:" in json.dumps(posted.blocks)
    # Slack echoes the bot's own post as an event, then someone answers in its thread
    echo = {"type": "message", "channel": "C_TEAM", "channel_type": "channel"}
    await harness.event({**echo, "bot_id": "B1", "text": posted.body, "ts": posted.ts}, "EvU1")
    reply = f"{FRIDAY_1730.timestamp() + 60:.6f}"
    await harness.event(
        {**echo, "user": "U_KARI", "text": "Ser på det", "ts": reply, "thread_ts": posted.ts},
        "EvU2",
    )
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["The server is down"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(UrgentOverrideRow)) == 1


async def test_urgent_refused_by_policy_is_held_instead(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_LEAD", "team urgent leaders")
    answer = await harness.command("U_OLA", "urgent Please look now")
    assert "Not sent as urgent" in texts(answer)
    assert "Mon 08:00" in texts(answer)
    assert [row.urgent for row in await held_rows(sessions)] == [False]


async def test_later_refuses_empty_long_and_dm_text(harness: SlackHarness) -> None:
    assert "Write the message" in texts(await harness.command("U_OLA", "later"))
    long = await harness.command("U_OLA", "later " + "x" * 4001)
    assert "4001 characters" in texts(long)
    dm = await harness.command("U_OLA", "later hi", channel="D_OLA_KARI")
    assert "Name the person instead" in texts(dm)


async def test_hours_set_show_clear_and_errors(harness: SlackHarness, sessions: Sessions) -> None:
    saved = await harness.command("U_OLA", "hours mon,wed 09:00-14:30 20:00-22:00")
    assert "Saved." in texts(saved)
    assert "Europe/Oslo" in texts(saved)  # Ola's Slack time zone was used
    shown = await harness.command("U_OLA", "hours")
    assert "Your hours:" in texts(shown)
    bad = await harness.command("U_OLA", "hours mon-fri 25-26")
    assert "“25-26” is not a time range" in texts(bad)
    norsk = await harness.command("U_KARI", "hours blah 8-16")
    assert "Jeg forstår ikke «blah»" in texts(norsk)
    cleared = await harness.command("U_OLA", "hours clear")
    assert "follow your team" in texts(cleared)
    async with sessions() as session:
        ola = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == "U_OLA"))
        ).one()
        assert ola.hours_spec is None


async def test_hours_default_to_the_slack_notification_schedule(
    harness: SlackHarness, sessions: Sessions
) -> None:
    # Ola's notifications pause at 17:00 and resume at 07:30, Oslo time.
    harness.slack.dnd["U_OLA"] = (
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC).timestamp(),
        datetime(2026, 11, 28, 6, 30, tzinfo=UTC).timestamp(),
    )
    answer = await harness.command("U_OLA", "hours")
    assert "Slack notification schedule" in texts(answer)
    assert "07:30-17:00" in texts(answer)
    # and the schedule now decides when messages to Ola arrive — on a working day: Slack's
    # schedule has no weekdays, and was once stored as mon-sun (Saturday a working day)
    held = await harness.command("U_KARI", "later <@U_OLA> hei")
    assert "Holdt tilbake. Den leveres man. 07:30 (Europe/Oslo)." in texts(held)  # in Norwegian
    async with sessions() as session:
        ola = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == "U_OLA"))
        ).one()
    # a platform default, never the person's own choice
    assert (ola.hours_spec, ola.hours_source) == (None, None)
    assert (ola.platform_hours_spec, ola.platform_hours_days) == (
        "mon-sun 07:30-17:00 tz Europe/Oslo",
        False,
    )


async def test_status_lists_what_is_held_by_and_for_me(harness: SlackHarness) -> None:
    await harness.command("U_OLA", "later one for the team")
    await harness.command("U_KARI", "later <@U_OLA> en til Ola")
    status = await harness.command("U_OLA", "status")
    shown = texts(status)
    assert "You are in quiet hours now" in shown
    assert "You have 1 message waiting to be delivered" in shown
    assert "one for the team" in shown
    assert "<#C_TEAM> · " in shown  # held for a channel, shown as the channel
    assert "1 message is waiting for you; it arrives" in shown
    assert "en til Ola" not in shown  # what others wrote stays theirs until it arrives


async def test_team_settings_are_for_leaders(harness: SlackHarness, sessions: Sessions) -> None:
    shown = await harness.command("U_OLA", "team")
    assert "Team Legal" in texts(shown) and "<@U_LEAD>" in texts(shown)
    refused = await harness.command("U_OLA", "team hours mon-fri 09-17")
    assert "Only the team's leaders" in texts(refused)

    saved = await harness.command("U_LEAD", "team hours mon-fri 09-17")
    assert "Saved." in texts(saved)
    # the next decision follows the new hours
    harness.clock.set(datetime(2026, 12, 1, 7, 30, tzinfo=UTC))  # Tue 08:30 Oslo
    held = await harness.command("U_OLA", "later after the change")
    assert "Tue 09:00" in texts(held)

    assert "Saved." in texts(await harness.command("U_LEAD", "team mode label"))
    assert "Saved." in texts(await harness.command("U_LEAD", "team digest mon 08:30 dm"))
    watch = await harness.command("U_LEAD", "team watch <#C_NEW|new>")
    assert "<#C_NEW> is now watched" in texts(watch)
    added = await harness.command("U_LEAD", "team leader add <@U_KARI|kari>")
    assert "<@U_KARI> is now a leader" in texts(added)
    bad = await harness.command("U_LEAD", "team digest someday")
    assert "“someday”" in texts(bad)
    async with sessions() as session:
        team = (await session.scalars(select(TeamRow))).one()
        assert (team.mode, team.digest_weekday, team.digest_at, team.digest_target) == (
            "label",
            0,
            "08:30",
            "dm",
        )


async def test_only_admins_create_teams_and_presets_are_respected(
    harness: SlackHarness,
) -> None:
    refused = await harness.command("U_OLA", "team create Ops", channel="C_NEW")
    assert "Only a workspace admin" in texts(refused)
    created = await harness.command("U_ADMIN", "team create Lisboa portugal-199a", channel="C_NEW")
    assert "Created the team Lisboa" in texts(created)
    label = await harness.command("U_ADMIN", "team mode label", channel="C_NEW")
    assert "does not allow mode “label”" in texts(label)


async def test_digest_preview_and_me(harness: SlackHarness) -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    harness.clock.set(saturday)
    status, _ = await harness.event(
        {
            "type": "message",
            "channel": "C_TEAM",
            "channel_type": "channel",
            "user": "U_OLA",
            "text": "Vi går for alternativ B",
            "ts": f"{saturday.timestamp():.6f}",
        },
        "EvSat1",
    )
    assert status == 200
    await until_async(lambda: _count_me(harness))
    harness.clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=UTC))
    preview = await harness.command("U_OLA", "digest")
    assert "The next digest is due Mon 08:00 Europe/Oslo." in texts(preview)
    assert "<#C_TEAM>" in texts(preview) and "decided" in texts(preview)
    me = await harness.command("U_OLA", "me")
    assert "*Your week since Mon 23 Nov* (only you see this)" in texts(me)
    assert "Messages outside your own hours: 1" in texts(me)
    assert "Sundays and holidays: 0" in texts(me)  # Saturday 11:00: neither evening nor night
    assert "Evenings (18–21): 0 · nights (21–06): 0" in texts(me)
    assert "heatmap is in your direct messages" in texts(me)
    # the heatmap: a PNG uploaded (Slack's external upload) into Ola's DM with the app only
    await until(lambda: harness.slack.shared_files("DU_OLA"))
    (chart,) = harness.slack.shared_files("DU_OLA")
    assert chart.content is not None and chart.content.startswith(b"\x89PNG")
    assert chart.title == "Your messages outside working hours, last 4 weeks"
    assert [f for f in harness.slack.files.values() if f.channel != "DU_OLA"] == []
    methods = [call.method for call in harness.slack.calls]
    assert methods.index("files.getUploadURLExternal") < methods.index(
        "files.completeUploadExternal"
    )


async def test_app_home_shows_hours_held_messages_and_teams_led(harness: SlackHarness) -> None:
    await harness.command("U_LEAD", "later to the team")
    status, _ = await harness.event(
        {"type": "app_home_opened", "user": "U_LEAD", "tab": "home"}, "EvHome1"
    )
    assert status == 200
    await until(lambda: "U_LEAD" in harness.slack.views)
    view = harness.slack.views["U_LEAD"]["view"]
    shown = json.dumps(view)
    assert view["type"] == "home"
    assert "to the team" in shown and "held.send_now" in shown
    assert "Team Legal" in shown

    # edit my hours from the home tab: a modal, validated, saved, home re-published
    await harness.click("U_LEAD", "home.edit_hours", "hours", in_home=True)
    await until(lambda: harness.slack.opened_views)
    assert harness.slack.opened_views[-1]["view"]["callback_id"] == "hours.edit"
    bad = await harness.submit(
        "U_LEAD", "hours.edit", {"hours": {"type": "plain_text_input", "value": "whenever"}}
    )
    assert json.loads(bad[1])["errors"]["hours"].startswith("I don't understand “whenever”")
    harness.slack.views.clear()
    good = await harness.submit(
        "U_LEAD", "hours.edit", {"hours": {"type": "plain_text_input", "value": "mon-thu 8-15"}}
    )
    assert good == (200, "")
    await until(lambda: "U_LEAD" in harness.slack.views)
    assert "mon-thu 08:00-15:00" in json.dumps(harness.slack.views["U_LEAD"]["view"])


async def test_app_home_says_where_hours_come_from_for_someone_who_set_none(
    harness: SlackHarness,
) -> None:
    """Ola never typed a command; Slack knows his notification schedule (07:30-17:00)."""
    harness.slack.dnd["U_OLA"] = (
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC).timestamp(),
        datetime(2026, 11, 28, 6, 30, tzinfo=UTC).timestamp(),
    )
    await harness.command("U_KARI", "later <@U_OLA> hei")  # Ola is seen: his schedule is read
    status, _ = await harness.event(
        {"type": "app_home_opened", "user": "U_OLA", "tab": "home"}, "EvHomeOla"
    )
    assert status == 200
    await until(lambda: "U_OLA" in harness.slack.views)
    shown = json.dumps(harness.slack.views["U_OLA"]["view"], ensure_ascii=False)
    assert "from your Slack notification schedule" in shown
    assert "mon-fri 07:30-17:00 tz Europe/Oslo" in shown  # the policy's days, never mon-sun


async def test_compose_shortcuts_and_modal(harness: SlackHarness, sessions: Sessions) -> None:
    status, _ = await harness.shortcut("U_OLA", "quiet_compose")
    assert status == 200
    await until(lambda: harness.slack.opened_views)
    assert harness.slack.opened_views[-1]["view"]["callback_id"] == "compose"

    await harness.shortcut(
        "U_OLA", "quiet_forward", message={"text": "the original", "user": "U_KARI"}
    )
    await until(lambda: len(harness.slack.opened_views) == 2)
    modal = harness.slack.opened_views[-1]["view"]
    assert "the original" in json.dumps(modal) and "C_TEAM" in json.dumps(modal)

    nowhere = await harness.submit(
        "U_OLA", "compose", {"text": {"type": "plain_text_input", "value": "hi"}}
    )
    assert "channel" in json.loads(nowhere[1])["errors"]

    done = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
            "text": {"type": "plain_text_input", "value": "Written in the modal"},
        },
    )
    assert done == (200, "")
    assert [row.kind for row in await held_rows(sessions)] == ["compose"]
    await until(lambda: harness.slack.posted("U_OLA"))
    confirmation = harness.slack.posted("U_OLA")[-1]
    assert "Held. It will be delivered Mon 08:00" in confirmation.text


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "team",
        "team leader",
        "hours tz",
        "later <@>",
        "team digest 99:99",
        "\u0000",
        "ø" * 5000,
        "team create",
        "urgent",
    ],
)
async def test_odd_input_never_breaks_the_command(harness: SlackHarness, text: str) -> None:
    answer = await harness.command("U_OLA", text)
    assert answer["response_type"] == "ephemeral"
    assert texts(answer).strip()


async def _count_me(harness: SlackHarness) -> bool:
    from bot.storage.models import ActivityRow

    async with harness.sessions() as session:
        return bool(await session.scalar(select(func.count()).select_from(ActivityRow)))


async def _saturday_thread(harness: SlackHarness) -> str:
    """Ola starts a thread on Saturday, Lea replies that it is decided; returns the root's ts."""
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    harness.clock.set(saturday)
    root = harness.slack.user_writes(
        "C_TEAM", "U_OLA", "<@U_KARI|kari>, should we sign the Hansen contract?\nDetails follow"
    )
    root.ts = f"{saturday.timestamp():.0f}.000100"
    reply = harness.slack.user_writes("C_TEAM", "U_LEAD", "Decided: we sign", thread_ts=root.ts)
    reply.ts = f"{saturday.timestamp() + 60:.0f}.000200"
    for event_id, message in (("EvD1", root), ("EvD2", reply)):
        event = {
            "type": "message",
            "channel": "C_TEAM",
            "channel_type": "channel",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        assert (await harness.event(event, event_id))[0] == 200
    await until_async(lambda: _activity_count(harness, 2))
    return root.ts


async def _activity_count(harness: SlackHarness, count: int) -> bool:
    from bot.storage.models import ActivityRow

    async with harness.sessions() as session:
        return await session.scalar(select(func.count()).select_from(ActivityRow)) == count


async def test_monday_digest_in_the_channel_links_each_thread(harness: SlackHarness) -> None:
    root = await _saturday_thread(harness)
    harness.clock.set(MONDAY_0800)
    (run,) = await harness.digests.run_due()
    assert (run.posted, run.threads) == (1, 1)
    posted = harness.slack.posted("C_TEAM")
    digest = [m for m in posted if m.user == "U_QUIETBOT" and not m.thread_ts]
    assert len(digest) == 1
    shown = json.dumps(digest[0].blocks)
    assert f"https://sandbox.slack.com/archives/C_TEAM/p{root.replace('.', '')}" in shown
    assert "2 messages from 2 people" in shown
    assert "a decision made outside working hours, guarded until <!date^" in shown
    # the thread's start is the link, in each reader's zone (no link label can hold a date)
    assert f"{{time}}^https://sandbox.slack.com/archives/C_TEAM/p{root.replace('.', '')}|" in shown
    # the first line, with the mention made inert (a digest must not notify Kari)
    assert "> @kari, should we sign the Hansen contract?" in shown
    assert "Details follow" not in shown and "<@U_KARI" not in shown
    async with harness.sessions() as session:  # and then it is erased
        assert await session.scalar(select(func.count()).select_from(ThreadExcerptRow)) == 0
    assert digest[0].text.startswith("While you were off")  # the notification fallback
    assert await harness.digests.run_due() == []  # once per period


async def test_monday_digest_privately_to_each_person_who_was_away(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_LEAD", "team digest dm")
    await harness.command("U_KARI", "help")  # Kari's language (nb) is known from Slack
    await _saturday_thread(harness)
    harness.clock.set(MONDAY_0800)
    (run,) = await harness.digests.run_due()
    # the channel's members per the fake: everyone; Ola and Lea took part, so they get none
    assert run.posted == 2
    posted = harness.slack.posted("C_TEAM")
    assert [m for m in posted if m.user == "U_QUIETBOT" and not m.thread_ts] == []
    assert harness.slack.posted("U_OLA") == [] and harness.slack.posted("U_LEAD") == []
    (kari,) = harness.slack.posted("U_KARI")
    assert kari.text.startswith("Mens du var borte")
    (ada,) = harness.slack.posted("U_ADMIN")
    assert ada.text.startswith("While you were off")


async def test_monday_digest_rides_out_a_server_error(harness: SlackHarness) -> None:
    await _saturday_thread(harness)
    harness.clock.set(MONDAY_0800)
    harness.slack.faults.fail_next["chat.postMessage"] = [503, 429]
    (run,) = await harness.digests.run_due()
    assert run.posted == 1
    posted = harness.slack.posted("C_TEAM")
    digest = [m for m in posted if m.user == "U_QUIETBOT" and not m.thread_ts]
    assert len(digest) == 1


async def test_a_held_message_delivered_as_its_author_is_never_labelled(
    harness: SlackHarness,
) -> None:
    """Posted with the author's token it has no ``bot_id``, but our message metadata: the
    watcher leaves it alone; the same words from the person themselves are labelled."""
    await harness.command("U_LEAD", "team mode label")
    message = {"type": "message", "channel": "C_TEAM", "channel_type": "channel"}
    ours = {"event_type": "quiet_hours_delivery", "event_payload": {"held_id": "h1"}}
    sent = f"{FRIDAY_1730.timestamp() + 60:.6f}"
    await harness.event(
        {**message, "user": "U_OLA", "text": "Kontrakten", "ts": sent, "metadata": ours}, "EvD1"
    )
    own = f"{FRIDAY_1730.timestamp() + 120:.6f}"
    await harness.event({**message, "user": "U_OLA", "text": "Kontrakten", "ts": own}, "EvD2")
    await until(lambda: len(harness.slack.posted("C_TEAM")) >= 1)
    await asyncio.sleep(0.5)  # time for a label the first event must not get
    [label] = harness.slack.posted("C_TEAM")
    assert (label.thread_ts, label.text[:17]) == (own, "No reply expected")


async def test_the_norwegian_team_words_a_bokmal_reader_is_told_work(harness: SlackHarness) -> None:
    for words in (
        "team modus hold-tilbake",
        "team oppsummering dm",
        "team haster ledere",
        "team språk nb",
        "team vakt 4t",
        "team publikum team",
    ):
        answer = texts(await harness.command("U_LEAD", words))
        assert "Saved." in answer or "now in Norwegian" in answer, (words, answer)
    named = texts(await harness.command("U_LEAD", "team leder legg <@U_KARI>"))
    assert "<@U_KARI>" in named and "Use `" not in named
