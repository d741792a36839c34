"""Every kind of payload the app sends, checked against the vendors' own validators and limits.

Slack: each message's blocks, each modal and the App Home go through slack-sdk's Block Kit
models (``Block.parse`` / ``View`` and ``validate_json``) and the documented limits those models
leave out (``adapters.slack.limits``, which cites docs.slack.dev): ≤ 50 blocks in a message,
≤ 100 in a modal or Home tab, a section's text ≤ 3,000, a header's ≤ 150, a button's ≤ 75,
``action_id`` ≤ 255, ``plain_text_input`` ``max_length`` ≤ 3,000, ``private_metadata`` ≤ 3,000,
and a message's ``text`` ≤ 40,000 (ours ≤ 4,000 beside blocks, as Slack recommends).

Teams: each Adaptive Card against Microsoft's Adaptive Card 1.5 JSON schema (vendored in
``tests/schemas``), each activity against Bot Framework's activity schema (from
``../shared/external`` through ``tests.support.shared``: skipped, saying so, where it is absent;
required in CI) and under Teams' 100 KB message limit (learn.microsoft.com, "Format your bot
messages").

The payloads come from the real builders fed extreme inputs (nothing, one, 150 threads, 40,000
characters, text full of markup, long names), and from the Slack app driven over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.bot_connector import MAX_MESSAGE_BYTES, message_bytes
from adapters.slack.blocks import (
    compose_modal,
    digest_blocks,
    edit_modal,
    fallback_text,
    home_view,
    hours_modal,
    reply_blocks,
)
from adapters.slack.limits import (
    FALLBACK_TEXT,
    INPUT_MAX_LENGTH,
    MESSAGE_TEXT,
    block_kit_problems,
    view_problems,
)
from adapters.slack.mrkdwn import to_plain
from adapters.slack.platform import attributed_blocks
from adapters.teams.activities import conversation_info, held_message_activity, text_activity
from adapters.teams.cards import (
    dialog_response,
    edit_card,
    invoke_card,
    notice_card,
    reply_activity,
    reply_card,
)
from adapters.teams.digest_card import fitted_digest_activity
from bot.domain.digest import DigestThread, DigestView
from bot.domain.markup import user_text
from bot.ports import OutgoingMessage
from bot.services.commands import Button, Reply, Section, held_buttons
from bot.storage.crypto import Cipher
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.teams import card_errors, cards_in, channel_message, schema_errors

NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 10, tzinfo=UTC)
MARKUP = (
    "Ask <@U024BE7LH> and <@U1|kari> in <#C123|general> about "
    "<https://example.com/agenda?week=48&amp;team=legal|the agenda> &lt;today&gt; :rotating_light: "
    "*now*, _please_ — æøå 👍🏽 👨‍👩‍👧‍👦 🇳🇴\n"
)
LONG_NAME = "Plattform og drift for hele konsernet (Norge, Sverige og Danmark) " * 3


def _texts(count: int) -> dict[str, str]:
    return {
        "empty": "",
        "one": "x",
        "markup": MARKUP * count,
        "one paragraph": "word " * (count * 20),
        "no spaces": "y" * (count * 100),
    }


REPLIES = {
    "nothing": Reply(()),
    "one line": Reply.of("Held."),
    "error": Reply.of("I don't understand “whenever”.", error=True, locale="nb"),
    "held list": Reply(
        tuple(Section(f"*{n}.* {MARKUP}", held_buttons(f"h{n}", "en")) for n in range(40)),
    ),
    "a long section": Reply.of(MARKUP * 120),
    "many sections": Reply(tuple(Section(f"*Heading {n}*\n{MARKUP}") for n in range(200))),
    "long labels": Reply((Section("x", (Button("a" * 255, "v" * 2000, "Label " * 40),)),)),
    "huge": Reply(tuple(Section("word " * 20_000) for _ in range(30))),
    "many buttons": Reply((Section("x", tuple(Button(f"b{n}", "v", "B") for n in range(30))),)),
}


def _digest(count: int, *, first_line: str = MARKUP, locale: str = "en") -> DigestView:
    threads = tuple(
        DigestThread(f"C{n % 7}", f"17000000{n:02d}.0001", 40, 12, SATURDAY, SATURDAY, n % 3 == 0)
        for n in range(count)
    )
    return DigestView(
        team=LONG_NAME,
        locale=locale,
        tz=ZoneInfo("Europe/Oslo"),
        since=SATURDAY - timedelta(days=1),
        now=NOW,
        threads=threads,
        first_lines={(t.conversation, t.thread): first_line * 3 for t in threads},
    )


# -- Slack: pure builders -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_slack_replies_and_home_are_valid_block_kit(name: str) -> None:
    reply = REPLIES[name]
    assert block_kit_problems(reply_blocks(reply), surface="message") == []
    assert view_problems(home_view(reply)) == []
    assert len(fallback_text(reply.text)) <= FALLBACK_TEXT


def test_slack_a_reply_too_long_for_one_message_shows_its_beginning_and_says_so() -> None:
    text = "word " * 40_000  # 200,000 characters: 67 sections' worth
    blocks = reply_blocks(Reply.of(text))
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert len(blocks) == 50 and blocks[-1]["elements"][0]["text"] == "…"
    assert text.startswith("".join(sections)) and len(sections) == 49
    home = home_view(Reply.of(text * 2))  # 134 sections: more than a Home tab holds
    assert view_problems(home) == [] and len(home["blocks"]) == 100


@pytest.mark.parametrize("length", [0, 1, 2999, 3000, 3001, 4000, 12_000, MESSAGE_TEXT])
def test_slack_edit_modal_is_valid_for_any_length_slack_can_hold(length: int) -> None:
    stored = (MARKUP * (length // len(MARKUP) + 1))[:length]
    plain, restore = to_plain(stored, {"U024BE7LH": "Kari Nordmann"})
    modal = edit_modal("0b3f8a2e-held", plain, "nb", restore)
    assert modal is not None
    assert view_problems(modal) == []
    fields = [block["element"] for block in modal["blocks"] if block["type"] == "input"]
    assert all(field["max_length"] <= INPUT_MAX_LENGTH for field in fields)
    assert "&lt;" not in "".join(field.get("initial_value", "") for field in fields)


def test_slack_edit_modal_for_a_text_no_modal_can_hold_is_refused_not_broken() -> None:
    assert edit_modal("h", "z" * (INPUT_MAX_LENGTH * 100), "en") is None


@pytest.mark.parametrize("text", ["", MARKUP, "Forwarded from @Kari:\n" + "ø" * 3000])
def test_slack_compose_and_hours_modals_are_valid(text: str) -> None:
    modal = compose_modal("en", text=text, conversation="C123", hint="Shortened")
    assert view_problems(modal) == []
    assert view_problems(hours_modal("mon-fri 08:00-16:00 tz Europe/Oslo", "nb")) == []
    assert view_problems(hours_modal(None, "en")) == []


@pytest.mark.parametrize("count", [0, 1, 46, 60, 150])
def test_slack_digest_is_valid_and_its_text_bounded(count: int) -> None:
    view = _digest(count)
    links = {
        (t.conversation, t.thread): f"https://example.slack.com/archives/{t.conversation}/p{n}"
        for n, t in enumerate(view.threads)
    }
    assert block_kit_problems(digest_blocks(view, links)) == []
    assert len(view.text(limit=FALLBACK_TEXT)) <= FALLBACK_TEXT


@pytest.mark.parametrize("name", sorted(_texts(400)))
def test_slack_delivered_messages_are_valid(name: str) -> None:
    text = _texts(400)[name]
    message = OutgoingMessage(
        workspace="T1", conversation="C1", text=text, author="U1", written_at=SATURDAY
    )
    assert block_kit_problems(attributed_blocks(message)) == []
    assert len(fallback_text(text)) <= FALLBACK_TEXT


def test_slack_a_message_of_40000_characters_is_delivered_whole_in_valid_blocks() -> None:
    text = (MARKUP * (MESSAGE_TEXT // len(MARKUP) + 1))[:MESSAGE_TEXT]
    message = OutgoingMessage(workspace="T1", conversation="C1", text=text, author="U1")
    blocks = attributed_blocks(message)
    assert block_kit_problems(blocks) == []
    assert "".join(b["text"]["text"] for b in blocks if b["type"] == "section") == user_text(text)


# -- Slack: the app driven over HTTP ------------------------------------------------------------

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token="xoxb-conformance", team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_OLA", "Ola")
    slack.add_channel("C_TEAM")
    await slack.start()
    await install_workspace(
        sessions, cipher, token="xoxb-conformance", now=FRIDAY_1730, leader="U_LEAD"
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def test_every_slack_payload_of_a_session_is_valid(harness: SlackHarness) -> None:
    acks: list[dict[str, Any]] = []
    for user, text in [
        ("U_OLA", "help"),
        ("U_OLA", "later " + MARKUP * 10),
        ("U_OLA", "later " + "ø" * 3001),
        ("U_OLA", "urgent The build is red"),
        ("U_OLA", "status"),
        ("U_OLA", "hours"),
        ("U_OLA", "me"),
        ("U_OLA", "digest"),
        ("U_LEAD", "team"),
        ("U_LEAD", "team hours mon-fri 8-16"),
    ]:
        acks.append(await harness.command(user, text))
    answers = acks + harness.slack.responses  # slow answers arrive on the response_url
    held = next(
        element["value"]
        for ack in answers
        for block in ack.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("action_id") == "held.edit"
    )
    await harness.click("U_OLA", "held.edit", held)
    await harness.shortcut("U_OLA", "quiet_compose")
    await harness.shortcut("U_OLA", "quiet_forward", message={"text": MARKUP, "user": "U_LEAD"})
    await harness.event({"type": "app_home_opened", "user": "U_OLA", "tab": "home"}, "Ev1")
    await harness.engine.run_until_idle()

    for ack in answers:
        assert block_kit_problems(ack.get("blocks") or []) == [], ack.get("text")
        assert len(str(ack.get("text", ""))) <= FALLBACK_TEXT
    assert harness.slack.refusals == []
    assert len(harness.slack.opened_views) == 3
    for opened in harness.slack.opened_views:
        assert view_problems(opened["view"]) == []
    for published in harness.slack.views.values():
        view = published["view"]
        assert view_problems(json.loads(view) if isinstance(view, str) else view) == []
    for message in harness.slack.posted():
        assert block_kit_problems(message.blocks or []) == []


# -- Teams ---------------------------------------------------------------------------------------


def _cards_valid(payload: Any) -> None:
    cards = cards_in(payload)
    assert cards, "no card in the payload"
    for card in cards:
        assert card_errors(card) == []


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_teams_reply_cards_match_the_adaptive_card_schema(name: str) -> None:
    reply = REPLIES[name]
    for mode in ("execute", "submit"):
        assert card_errors(reply_card(reply, mode=mode)) == []
    activity = reply_activity(reply)
    _cards_valid(activity)
    assert message_bytes(activity) <= MAX_MESSAGE_BYTES
    assert len(activity["summary"]) <= 300


@pytest.mark.parametrize("length", [0, 1, 3000, 10_000])
def test_teams_edit_notice_invoke_and_dialog_cards_match_the_schema(length: int) -> None:
    body = ("ø" * length)[:length]
    card = edit_card("h1", body, "nb", problem="Too long" if length > 3000 else None)
    assert card_errors(card) == []
    assert card_errors(edit_card("h1", body, "en", mode="submit")) == []
    assert card_errors(notice_card(MARKUP, "en", error=True)) == []
    _cards_valid(invoke_card(card))
    _cards_valid(dialog_response(card, "Send later"))


@pytest.mark.parametrize("count", [0, 1, 25, 150])
def test_teams_digest_activities_are_valid_and_within_the_size_limit(count: int) -> None:
    info = conversation_info(channel_message("https://smba.trafficmanager.net/emea/"))
    assert info is not None
    view = _digest(count, locale="nb")
    links = {
        (t.conversation, t.thread): "https://teams.microsoft.com/l/message/19:x/" + "1" * 300
        for t in view.threads
    }
    places = {t.conversation: LONG_NAME for t in view.threads}
    activity, shown = fitted_digest_activity(info.reference, view, links, places)
    assert schema_errors(activity) == []
    _cards_valid(activity)
    assert message_bytes(activity) <= 80 * 1024
    assert shown == min(count, 25)


@pytest.mark.parametrize("urgent", [False, True])
def test_teams_held_and_plain_messages_are_valid(urgent: bool) -> None:
    info = conversation_info(channel_message("https://smba.trafficmanager.net/emea/"))
    assert info is not None
    held = held_message_activity(
        info.reference,
        MARKUP * 30,
        byline="From " + LONG_NAME,
        tag="0b3f8a2e",
        urgent=urgent,
        urgent_label="Urgent",
    )
    assert schema_errors(held) == []
    _cards_valid(held)
    assert len(held["summary"]) <= 200
    plain = text_activity(info.reference, MARKUP, tag="0b3f8a2e")
    assert schema_errors(plain) == []
    assert message_bytes(held) <= MAX_MESSAGE_BYTES
