"""Teams commands, card buttons and Send later over real HTTP, against a fake Bot Connector.

Friday 17:30 in Oslo, the channel's team works mon-fri 08:00-16:00: what Kari and Ola write
through the bot is held until Monday 08:00, and the buttons on the cards change or cancel it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.i18n import translate
from bot.services.commands import MAX_TEXT
from bot.services.insight_reports import WeeklyTeamInsight
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import ActivityRepository, TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    channel_message,
    installation_update,
)
from tests.support.teams_app import (
    TeamsHarness,
    buttons,
    card_action,
    card_of,
    card_text,
    mention,
    personal,
    personal_chat,
    send_later,
)

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0759 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def _team(sessions: Sessions) -> None:
    """The channel belongs to a team (office hours in Oslo); nobody is named its leader."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await teams.watch(team, CHANNEL)


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    await _team(sessions)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [
        {**KARI, "userRole": "owner"},
        {**OLA, "userRole": "user"},
    ]
    async with harness.running():
        yield harness


async def held_rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def body_of(sessions: Sessions, cipher: Cipher, held_id: str) -> str | None:
    async with sessions() as session:
        repository = HeldMessageRepository(session, cipher)
        row = await repository.get(held_id)
        assert row is not None
        return repository.body(row)


async def _held_by_ola(teams: TeamsHarness, text: str) -> tuple[str, dict[str, object]]:
    card = await teams.ask(mention(teams.service_url, f"later {text}", sender=OLA, locale="en"))
    [send_now, edit, cancel] = buttons(card)
    assert send_now["data"] == edit["data"] == cancel["data"]
    held = send_now["data"]["held"]
    return str(held), card


# -- commands ------------------------------------------------------------------------------------


async def test_later_in_a_channel_on_friday_evening_is_held_until_monday(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(
        mention(teams.service_url, "later Kan vi ta dette mandag?", sender=OLA, locale="en-GB")
    )
    assert card["version"] == "1.5"
    assert "Held. It will be delivered Mon 08:00 Europe/Oslo." in card_text(card)
    assert all(block.get("wrap") for block in card["body"] if block["type"] == "TextBlock")
    actions = buttons(card)
    assert [(a["type"], a["verb"]) for a in actions] == [
        ("Action.Execute", "held.send_now"),
        ("Action.Execute", "held.edit"),
        ("Action.Execute", "held.cancel"),
    ]
    [row] = await held_rows(sessions)
    assert actions[0]["data"] == {"held": row.id}
    assert (row.conversation_id, row.author_id, row.kind) == (CHANNEL, OLA["id"], "later")
    assert row.deliver_at == MONDAY_0800
    private, public = teams.connector.posted()[-2:]
    reply = private.body
    assert reply["summary"].startswith("Held. It will be delivered Mon 08:00")
    assert "text" not in reply  # Teams would show it above the card: the answer twice
    # the held text is Ola's business: the channel only hears that he was answered 1:1
    assert private.conversation != CHANNEL and public.conversation.startswith(CHANNEL)
    assert public.body["text"] == "I answered you in our 1:1 chat."

    await teams.engine.run_until_idle()
    assert len(teams.connector.posted()) == 2  # nothing delivered on Friday


async def test_unknown_verbs_and_help_answer_with_the_commands(teams: TeamsHarness) -> None:
    card = await teams.ask(personal(teams.service_url, "dans", locale="en-US"))
    text = card_text(card)
    assert "I don't know the command “dans”." in text
    assert "**later** — hold a message" in text
    assert card["body"][0]["color"] == "Attention"
    helped = await teams.ask(personal(teams.service_url, "hjelp"))
    assert "holdes" in card_text(helped) and "dans" not in card_text(helped)


async def test_later_in_the_bots_own_chat_says_where_to_write_instead(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(personal(teams.service_url, "later hei"))
    assert "Send senere" in card_text(card)
    assert await held_rows(sessions) == []


async def test_with_no_hours_set_outlook_working_hours_are_the_default(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    teams.connector.working_hours["7b3f0f9e-66e2-4d2b-9f5a-0c6b8f2b9a11"] = {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": "08:30:00.0000000",
        "endTime": "16:00:00.0000000",
        "timeZone": {"name": "W. Europe Standard Time"},
    }
    card = await teams.ask(personal(teams.service_url, "hours"))
    shown = card_text(card)
    assert "arbeidstiden din i Outlook: man-fre 08:30-16:00 tz Europe/Oslo" in shown
    graph = [call for call in teams.connector.calls if "mailboxSettings" in call.path]
    assert graph and graph[-1].authorization == "Bearer graph-token"
    async with sessions() as session:
        kari = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == KARI["id"]))
        ).one()
    # a platform default (with Outlook's own days), never the person's own choice
    assert (kari.hours_spec, kari.hours_source) == (None, None)
    assert (kari.platform_hours_spec, kari.platform_hours_days) == (
        "mon-fri 08:30-16:00 tz Europe/Oslo",
        True,
    )


async def test_without_outlook_hours_the_team_default_is_shown(teams: TeamsHarness) -> None:
    card = await teams.ask(personal(teams.service_url, "hours"))
    assert "Du har ikke satt din egen arbeidstid." in card_text(card)


async def test_hours_are_set_and_refused_in_norwegian(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(personal(teams.service_url, "hours man-fre 8-16"))
    assert "Lagret. Arbeidstiden din er nå: man-fre 08:00-16:00" in card_text(card)
    assert "`" not in card_text(card)
    async with sessions() as session:
        kari = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == KARI["id"]))
        ).one()
    assert (kari.hours_source, kari.locale) == ("personal", "nb-NO")

    refused = await teams.ask(personal(teams.service_url, "hours hver dag kanskje"))
    assert refused["body"][0]["color"] == "Attention"
    assert "hver" in card_text(refused) and "Lagret" not in card_text(refused)


async def test_team_settings_are_for_owners_and_named_leaders(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    refused = await teams.ask(
        mention(teams.service_url, "team hours mon-fri 08:00-15:00", sender=OLA)
    )
    assert "Bare teamets ledere" in card_text(refused)
    asked = [
        call.path
        for call in teams.connector.calls
        if call.method == "GET" and "/v3/" in call.path  # not Graph's working hours
    ]
    assert asked == [f"/emea/v3/conversations/{TEAM}/members/{OLA['id']}"]

    allowed = await teams.ask(mention(teams.service_url, "team hours mon-fri 08:00-15:00"))
    assert "Lagret." in card_text(allowed)
    assert "man-fre 08:00-15:00" in card_text(allowed)

    # The owner names Ola leader with an @mention; from then on Ola may change the team.
    named = await teams.ask(
        mention(teams.service_url, "team leader add <at>Ola</at>", others=(OLA,))
    )
    assert "Ola" in card_text(named) and "29:" not in card_text(named)
    now_allowed = await teams.ask(mention(teams.service_url, "team mode label", sender=OLA))
    assert "Lagret." in card_text(now_allowed)
    async with sessions() as session:
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        team = await TeamRepository(session).by_name(workspace.id, "Plattform")
    assert team is not None and team.mode == "label"


# -- buttons -------------------------------------------------------------------------------------


async def test_send_now_from_the_card_delivers_it_once(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    held, _ = await _held_by_ola(teams, "Release notes are ready")
    stranger = await teams.click(
        card_action(teams.service_url, "held.send_now", {"held": held}, sender=KARI)
    )
    assert "venter ikke lenger" in card_text(stranger)
    card = await teams.click(
        card_action(teams.service_url, "held.send_now", {"held": held}, sender=OLA, locale="en")
    )
    assert card_text(card) == translate("held.sent_now", "en")
    await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    delivered = [c for c in teams.connector.posted(CHANNEL) if c.reply_to is None]
    assert len(delivered) == 1
    assert "Release notes are ready" in card_text(card_of(delivered[0].body))
    again = await teams.click(
        card_action(teams.service_url, "held.send_now", {"held": held}, sender=OLA, locale="en")
    )
    assert card_text(again) == translate("held.gone", "en")


async def test_cancel_from_the_card(teams: TeamsHarness, sessions: Sessions) -> None:
    held, _ = await _held_by_ola(teams, "Never mind")
    card = await teams.click(
        card_action(teams.service_url, "held.cancel", {"held": held}, sender=OLA, locale="en")
    )
    assert card_text(card) == translate("held.cancelled", "en")
    [row] = await held_rows(sessions)
    assert row.state == "cancelled"


async def test_edit_from_the_card(teams: TeamsHarness, sessions: Sessions, cipher: Cipher) -> None:
    held, _ = await _held_by_ola(teams, "Draft one")
    other = await teams.click(card_action(teams.service_url, "held.edit", {"held": held}))
    assert "venter ikke lenger" in card_text(other) and "Draft one" not in card_text(other)

    form = await teams.click(
        card_action(teams.service_url, "held.edit", {"held": held}, sender=OLA, locale="en")
    )
    [field] = [element for element in form["body"] if element["type"] == "Input.Text"]
    assert (field["id"], field["value"], field["maxLength"]) == ("text", "Draft one", MAX_TEXT)
    [save] = buttons(form)
    assert (save["type"], save["verb"], save["data"]) == (
        "Action.Execute",
        "held.edit.save",
        {"held": held},
    )

    empty = await teams.click(
        card_action(
            teams.service_url,
            "held.edit.save",
            {"held": held, "text": "  "},
            sender=OLA,
            locale="en",
        )
    )
    assert translate("teams.edit.empty", "en") in card_text(empty)
    saved = await teams.click(
        card_action(
            teams.service_url,
            "held.edit.save",
            {"held": held, "text": "Draft two"},
            sender=OLA,
            locale="en",
        )
    )
    assert "Updated. The new text will be delivered Mon 08:00" in card_text(saved)
    assert await body_of(sessions, cipher, held) == "Draft two"


# -- Send later (the message extension) ---------------------------------------------------------


async def test_send_later_holds_the_message_and_the_engine_delivers_it_monday_once(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    ola = {"sender": OLA, "locale": "en-GB"}
    card = await teams.dialog(send_later(teams.service_url, {"text": "Budget is final."}, **ola))
    text = card_text(card)
    assert "Held. It will be delivered Mon 08:00 Europe/Oslo." in text
    assert [(b["type"], b["data"]["verb"]) for b in buttons(card)] == [
        ("Action.Submit", "held.send_now"),
        ("Action.Submit", "held.edit"),
        ("Action.Submit", "held.cancel"),
    ]
    [row] = await held_rows(sessions)
    assert (row.kind, row.conversation_id, row.author_id) == ("compose", CHANNEL, OLA["id"])

    teams.clock.set(MONDAY_0759)
    await teams.engine.run_until_idle()
    assert teams.connector.posted(CHANNEL) == []
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    [delivered] = teams.connector.posted(CHANNEL)
    shown = card_text(card_of(delivered.body))
    # the instant in each reader's own zone (Teams renders DATE/TIME on the reader's device);
    # the notification (summary) names it in Ola's zone
    written = "{{DATE(2026-11-27T16:30:00Z, SHORT)}} {{TIME(2026-11-27T16:30:00Z)}}"
    card = card_of(delivered.body)
    byline = "".join(run["text"] for run in card["body"][0]["items"][0]["inlines"])
    assert byline == f"From Ola · written {written}" and "Budget is final." in shown
    assert delivered.body["summary"].startswith("From Ola · written Fri 17:30 Europe/Oslo: ")
    assert delivered.body["channelData"]["quietHours"]["delivery"] == row.id
    assert teams.connector.violations == []


async def test_send_later_dialog_buttons_cancel_and_edit(
    teams: TeamsHarness, sessions: Sessions, cipher: Cipher
) -> None:
    ola = {"sender": OLA, "locale": "en"}
    card = await teams.dialog(send_later(teams.service_url, {"text": "First"}, **ola))
    held = buttons(card)[0]["data"]["held"]
    form = await teams.dialog(
        send_later(teams.service_url, {"verb": "held.edit", "held": held}, **ola)
    )
    [save] = buttons(form)
    assert save["type"] == "Action.Submit"
    # Teams merges the dialog's inputs into the button's data
    saved = await teams.dialog(
        send_later(teams.service_url, {**save["data"], "text": "Second"}, **ola)
    )
    assert "Updated." in card_text(saved)
    assert await body_of(sessions, cipher, held) == "Second"
    cancelled = await teams.dialog(
        send_later(teams.service_url, {"verb": "held.cancel", "held": held}, **ola)
    )
    assert card_text(cancelled) == translate("held.cancelled", "en")


async def test_send_later_where_the_bot_cannot_post_holds_nothing_and_says_so(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    teams.connector.outsider.add(TEAM)  # Ola has the app; this channel's team does not
    ola = {"sender": OLA, "locale": "en"}
    card = await teams.dialog(send_later(teams.service_url, {"text": "Budget?"}, **ola))
    assert "Quiet Hours is not in this chat" in card_text(card)
    assert await held_rows(sessions) == []


@pytest.mark.parametrize(
    ("data", "command", "expected"),
    [
        ({"text": "   "}, "sendLater", "Write the message first."),
        ({}, "sendLater", "Write the message first."),
        ({"text": "x" * (MAX_TEXT + 1)}, "sendLater", f"I can hold at most {MAX_TEXT}"),
        ({"text": "hi"}, "somethingElse", "Quiet Hours does not know that action."),
        ({"verb": "held.cancel", "held": ""}, "sendLater", "Quiet Hours does not know"),
    ],
)
async def test_send_later_answers_bad_input_with_a_friendly_card(
    teams: TeamsHarness, sessions: Sessions, data: dict[str, object], command: str, expected: str
) -> None:
    card = await teams.dialog(
        send_later(teams.service_url, data, sender=OLA, command=command, locale="en")
    )
    assert expected in card_text(card)
    assert card["body"][0]["color"] == "Attention"
    assert await held_rows(sessions) == []


async def test_send_later_where_the_admin_turned_protection_off_goes_out_now(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """No team covers Kari's own chat: the tenant default does, until the installer turns it
    off, explicitly (`mode off` alone only asks to confirm)."""
    status, _ = await teams.send(installation_update(teams.service_url, scope="personal"))
    assert status == 202
    asked = await teams.ask(personal(teams.service_url, "workspace mode off"))
    assert "workspace mode off bekreft" in card_text(asked)
    confirmed = await teams.ask(personal(teams.service_url, "workspace mode off bekreft"))
    assert "Lagret." in card_text(confirmed)
    chat = personal_chat(KARI)
    before = len(teams.connector.posted(chat))  # the welcome card and the answers
    card = await teams.dialog(send_later(teams.service_url, {"text": "Husk møtet"}, channel=None))
    assert "Levert nå." in card_text(card) and buttons(card) == []
    assert "slått av for dette arbeidsområdet" in card_text(card)
    [row] = await held_rows(sessions)
    assert row.conversation_id == chat
    await teams.engine.run_until_idle()
    [delivered] = teams.connector.posted(chat)[before:]  # the invoke left a reference to post with
    assert "Husk møtet" in card_text(card_of(delivered.body))


async def test_me_answers_with_the_persons_own_insight_and_the_heatmap_in_the_card(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    # Kari wrote in the watched channel on Thursday at 22:30 (the watcher stores when, not what)
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        team = await TeamRepository(session).by_name(workspace.id, "Plattform")
        assert team is not None
        await ActivityRepository(session).record(
            workspace_id=workspace.id,
            team_id=team.id,
            conversation_id=CHANNEL,
            thread_id="1",
            person_id=KARI["id"],
            occurred_at=datetime(2026, 11, 26, 21, 30, tzinfo=UTC),
            is_thread_root=True,
        )
    card = await teams.ask(personal(teams.service_url, "meg"))
    text = card_text(card)
    assert "**Uken din siden man. 23. nov.** (bare du ser dette)" in text
    assert "Meldinger utenfor din egen arbeidstid: 1" in text
    assert "netter (21–06): 1" in text
    assert "Uker med aktivitetsspenn over 40 timer: 1" in text  # 40 h of hours + Thursday night
    [image] = [block for block in card["body"] if block["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    png = base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert image["altText"] == translate("insight.chart.alt", "nb")
    assert len(json.dumps(card)) < 28_000  # Teams' message size limit, with room to spare
    # Ola asks too: nothing of Kari's is in his answer, and no picture of nothing
    other = await teams.ask(personal(teams.service_url, "me", sender=OLA, locale="en"))
    assert "you have written nothing outside working hours" in card_text(other)
    assert all(block["type"] != "Image" for block in other["body"])


async def test_team_insight_is_for_owners_and_leaders_with_the_chart_in_the_card(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    refused = await teams.ask(mention(teams.service_url, "team insight", sender=OLA))
    assert "Bare teamets ledere ser innsikten for teamet." in card_text(refused)
    assert all(block["type"] != "Image" for block in card_of_reply(refused))
    # Kari owns the team in Teams: she leads it without being named
    card = await teams.ask(mention(teams.service_url, "team innsikt"))
    text = card_text(card)
    assert "**Team Plattform: uken siden man. 23. nov.**" in text
    assert "et tall fra færre enn 5 personer vises ikke" in text
    [image] = [block for block in card["body"] if block["type"] == "Image"]
    png = base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(json.dumps(card)) < 28_000


def card_of_reply(card: dict[str, object]) -> list[dict[str, object]]:
    body = card.get("body")
    assert isinstance(body, list)
    return body


async def test_the_weekly_insight_reaches_a_named_leader_as_a_card_in_their_chat(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(personal(teams.service_url, "hjelp"))  # Kari's 1:1 chat with the bot
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        repository = TeamRepository(session)
        team = await repository.by_name(workspace.id, "Plattform")
        kari = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == KARI["id"]))
        ).one()
        assert team is not None
        await repository.add_leader(team.id, kari.id)
    teams.clock.set(MONDAY_0800)
    reports = WeeklyTeamInsight(
        sessions=sessions,
        clock=teams.clock,
        senders={"teams": teams.platform},
        members={"teams": teams.platform},
    )
    before = len(teams.connector.posted())
    assert await reports.run_due() == 1
    (sent,) = teams.connector.posted()[before:]
    assert sent.conversation == personal_chat(KARI)
    card = card_of(sent.body)
    assert "**Team Plattform: uken siden man. 23. nov.**" in card_text(card)
    [image] = [block for block in card["body"] if block["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    assert await reports.run_due() == 0  # once a week


@pytest.mark.parametrize("mode", ["hold", "label"])
async def test_urgent_in_a_channel_is_posted_now_with_real_emoji_and_no_label(
    teams: TeamsHarness, sessions: Sessions, mode: str
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        team = await TeamRepository(session).by_name(workspace.id, "Plattform")
        assert team is not None
        team.mode = mode
    teams.watcher.forget("teams", TENANT)
    card = await teams.ask(mention(teams.service_url, "urgent Produksjon er nede!"))
    text = card_text(card)
    # a Slack shortcode would show literally in Teams: the real emoji instead
    assert text.startswith("\N{POLICE CARS REVOLVING LIGHT} Sendt nå som hastesak.")
    assert ":rotating_light:" not in text
    before = len(teams.connector.posted())
    await teams.engine.run_until_idle()
    delivered = teams.connector.posted()[before:]
    # the urgent card and nothing else: never "Ingen svar forventes" under "production is down"
    assert len(delivered) == 1
    assert "Produksjon er nede!" in json.dumps(delivered[0].body, ensure_ascii=False)
    assert "Ingen svar" not in json.dumps(delivered[0].body, ensure_ascii=False)


async def test_later_for_a_bot_or_two_people_is_refused_on_teams(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    other_bot = {"id": "28:4c7a0f32-8d0a-4f4e-9c55-2b6f1f5d0a11", "name": "Polly"}
    bot = await teams.ask(
        mention(teams.service_url, "later <at>Polly</at> hei", sender=OLA, others=(other_bot,))
    )
    assert "er en bot eller en app" in card_text(bot)
    two = await teams.ask(
        mention(
            teams.service_url,
            "later <at>Kari</at> <at>Polly</at> til to",
            sender=OLA,
            others=(KARI, other_bot),
        )
    )
    assert "én person om gangen" in card_text(two)
    # a tag (@Utviklere notifies everyone tagged) is mentioned like a person: it is no one a
    # message can be held for, and nothing the bot posts for Ola may reach a group he named
    tag = {"id": "MjgwNjk5ZjgtZGI0Yi00Y2NjLTk5YmYtMWUzMzYyZjdjYjVh", "name": "Utviklere"}
    tagged = await teams.ask(
        mention(teams.service_url, "later <at>Utviklere</at> hei", sender=OLA, others=(tag,))
    )
    assert "er ikke en person i dette arbeidsområdet" in card_text(tagged)
    async with sessions() as session:
        assert (await session.scalars(select(HeldMessageRow))).all() == []


def _in_thread(teams: TeamsHarness, text: str, root: str, sender: dict[str, str] = OLA) -> dict:
    """``@Quiet Hours TEXT`` typed as a reply in the channel thread whose root is ``root``."""
    activity = channel_message(teams.service_url, text, root=root, mention=True, sender=sender)
    return activity


async def test_later_and_urgent_typed_in_a_thread_are_posted_in_that_thread(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """A reply in a channel thread is written for that thread: what `later` holds (and what
    `urgent` posts now) goes in as a reply there, not as a new post at the channel's top; a
    `later` typed as a new post still goes to the top."""
    root = "1700000000001"
    await teams.ask(_in_thread(teams, "later Svar i tråden, mandag", root))
    [row] = await held_rows(sessions)
    assert (row.conversation_id, row.thread_id) == (CHANNEL, root)
    await teams.ask(mention(teams.service_url, "later Nytt innlegg", sender=OLA))
    await teams.ask(_in_thread(teams, "urgent Produksjon er nede", root))
    before = len(teams.connector.posted(CHANNEL))
    await teams.engine.run_until_idle()
    urgent = teams.connector.posted(CHANNEL)[before:]
    assert [(call.reply_to, "nede" in json.dumps(call.body)) for call in urgent] == [(root, True)]
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    delivered = {
        call.reply_to: json.dumps(call.body, ensure_ascii=False)
        for call in teams.connector.posted(CHANNEL)[before + 1 :]
    }
    assert "Svar i tråden" in delivered[root] and "Nytt innlegg" in delivered[None]
