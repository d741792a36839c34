"""What the app sends Slack stays within Slack's limits, over real HTTP against a fake Slack that
refuses what Slack refuses (``invalid_blocks``, ``invalid_arguments`` for a view).

Friday 27 November 2026, 17:30 in Oslo: what is written now waits for Monday 08:00.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.slack.limits import INPUT_MAX_LENGTH, SECTION_TEXT
from bot.domain.markup import inert, user_text
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-payloads"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
LINK = "<https://example.com/agenda/monday|the agenda>"
#: how the bot shows a masked link in someone's post: both label and address (access control)
SHOWN_LINK = "the agenda (https://example.com/agenda/monday)"


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_channel("C_TEAM")
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


async def _hold(harness: SlackHarness, text: str) -> str:
    """A held message as auto-hold keeps one: Slack's own text, as long as Slack allows."""
    composed = await harness.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="C_TEAM",
        text=text,
        kind="auto_hold",
    )
    assert composed.held_id is not None
    return composed.held_id


async def _edit_modal(harness: SlackHarness, held_id: str) -> dict[str, Any]:
    before = len(harness.slack.opened_views)
    status, _ = await harness.click("U_OLA", "held.edit", held_id)
    assert status == 200
    await until(lambda: len(harness.slack.opened_views) > before or harness.slack.refusals)
    assert harness.slack.refusals == []
    return dict(harness.slack.opened_views[-1]["view"])


def _inputs(view: dict[str, Any]) -> dict[str, str]:
    return {
        block["block_id"]: block["element"].get("initial_value", "")
        for block in view["blocks"]
        if block["type"] == "input" and block["element"]["type"] == "plain_text_input"
    }


def _sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


async def test_a_message_longer_than_one_input_is_edited_in_parts_and_joined_again(
    harness: SlackHarness,
) -> None:
    paragraph = "Quarterly numbers are in. " * 40 + "\n\n"  # 1,042 characters
    text = paragraph * 6 + f"Read {LINK} first."
    held_id = await _hold(harness, text)

    modal = await _edit_modal(harness, held_id)
    parts = _inputs(modal)
    assert len(parts) == 3
    assert all(len(part) <= INPUT_MAX_LENGTH for part in parts.values())
    assert "Part 1 of 3" in json.dumps(modal) or "part 1 of 3" in json.dumps(modal)
    # the link is shown as words a person can read, and comes back as a link
    assert "the agenda (https://example.com/agenda/monday)" in "".join(parts.values())

    values = {block: {"type": "plain_text_input", "value": part} for block, part in parts.items()}
    values["text"]["value"] = parts["text"].replace("Quarterly", "Yearly", 1)
    status, answer = await harness.submit(
        "U_OLA", "held.edit", values, metadata=modal["private_metadata"]
    )
    assert (status, answer) == (200, "")

    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    (posted,) = harness.slack.posted("C_TEAM")[:1]
    assert harness.slack.refusals == []
    sections = _sections(posted.blocks or [])
    assert "".join(sections) == user_text(text.replace("Quarterly", "Yearly", 1))
    assert all(len(section) <= SECTION_TEXT for section in sections)
    assert sum(SHOWN_LINK in section for section in sections) == 1


async def test_a_link_across_the_3000th_character_is_delivered_whole(
    harness: SlackHarness,
) -> None:
    text = "x" * 2990 + LINK + " — see you Monday."
    await _hold(harness, text)
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    shown, link = user_text(text), SHOWN_LINK
    (posted, *_) = harness.slack.posted("C_TEAM")
    assert harness.slack.refusals == []
    sections = _sections(posted.blocks or [])
    assert "".join(sections) == shown and len(sections) == 2
    assert link in shown
    assert sum("https://example.com/agenda/monday" in section for section in sections) == 1


async def test_the_edit_field_holds_plain_text_with_names(harness: SlackHarness) -> None:
    answer = await harness.command("U_OLA", "later Ask <@U_KARI> if a &lt; b &amp;&amp; c")
    held_id = next(
        element["value"]
        for block in answer["blocks"]
        for element in block.get("elements") or []
        if element.get("action_id") == "held.edit"
    )
    modal = await _edit_modal(harness, held_id)
    assert _inputs(modal) == {"text": "Ask @Kari if a < b && c"}

    status, _ = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": "Ask @Kari if a < b && c, please"}},
        metadata=modal["private_metadata"],
    )
    assert status == 200
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("C_TEAM")][:1] == [
        "Ask @Kari if a < b && c, please"
    ]


async def test_an_auto_held_message_keeps_its_mentions_through_an_edit(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    composed = await harness.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="C_TEAM",
        text="Ask <@U_KARI> about <https://example.com/x|the plan> &amp; more",
        kind="auto_hold",
        as_author=True,
    )
    assert composed.held_id is not None
    modal = await _edit_modal(harness, composed.held_id)
    assert _inputs(modal) == {"text": "Ask @Kari about the plan (https://example.com/x) & more"}
    status, _ = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": _inputs(modal)["text"] + "!"}},
        metadata=modal["private_metadata"],
    )
    assert status == 200
    async with sessions() as session:
        repository = HeldMessageRepository(session, cipher)
        row = await repository.get(composed.held_id)
        assert row is not None
        body = repository.body(row)
    # posted as Ola with Ola's own token, so the mention and the link are Ola's to make
    assert body == "Ask <@U_KARI> about <https://example.com/x|the plan> &amp; more!"


async def test_a_forwarded_message_shows_names_and_characters_not_markup(
    harness: SlackHarness,
) -> None:
    await harness.shortcut(
        "U_OLA",
        "quiet_forward",
        message={"text": "Budget &amp; plan for <@U_OLA>", "user": "U_KARI"},
    )
    await until(lambda: harness.slack.opened_views or harness.slack.refusals)
    assert harness.slack.refusals == []
    modal = harness.slack.opened_views[-1]["view"]
    shown = _inputs(modal)["text"]
    assert shown == "Forwarded from Kari:\nBudget & plan for @Ola"

    done = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
            "text": {"type": "plain_text_input", "value": shown},
        },
        metadata=modal["private_metadata"],
    )
    assert done == (200, "")
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_TEAM")[0].body == shown


async def test_a_long_forwarded_message_is_shortened_to_what_may_be_written_and_says_so(
    harness: SlackHarness,
) -> None:
    original = ("A long report line. " * 10 + "\n") * 30  # 6,030 characters
    await harness.shortcut("U_OLA", "quiet_forward", message={"text": original, "user": "U_KARI"})
    await until(lambda: harness.slack.opened_views or harness.slack.refusals)
    assert harness.slack.refusals == []
    modal = harness.slack.opened_views[-1]["view"]
    shown = _inputs(modal)["text"]
    assert len(shown) <= INPUT_MAX_LENGTH and shown.endswith("…")
    assert "only its beginning is shown" in json.dumps(modal)


async def test_the_compose_shortcut_opens_a_modal_slack_accepts(harness: SlackHarness) -> None:
    status, _ = await harness.shortcut("U_OLA", "quiet_compose")
    assert status == 200
    await until(lambda: harness.slack.opened_views or harness.slack.refusals)
    assert harness.slack.refusals == []
    assert harness.slack.opened_views[-1]["view"]["callback_id"] == "compose"


async def test_a_full_field_of_text_with_angle_brackets_is_accepted_as_the_person_counts_it(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    composed = await harness.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="C_TEAM",
        text="draft",
        kind="auto_hold",
        as_author=True,  # kept as Slack text: what is typed is escaped, and grows
    )
    assert composed.held_id is not None
    modal = await _edit_modal(harness, composed.held_id)
    full = ("a < b & c > d " * 300)[:INPUT_MAX_LENGTH]  # what the field allows, no more
    status, answer = await harness.submit(
        "U_OLA",
        "held.edit",
        {"text": {"type": "plain_text_input", "value": full}},
        metadata=modal["private_metadata"],
    )
    assert (status, answer) == (200, "")
    async with sessions() as session:
        repository = HeldMessageRepository(session, cipher)
        row = await repository.get(composed.held_id)
        assert row is not None
        assert repository.body(row) == inert(full)


@pytest.mark.parametrize("pick", ["same channel", "another channel"])
async def test_send_later_on_a_thread_reply_posts_the_copy_in_that_thread(
    harness: SlackHarness, pick: str
) -> None:
    """Like ``later`` typed in a Teams thread: Send later used on a reply holds a copy for that
    thread, not a new post at the channel's top. Another channel picked in the form is a new
    post there (a thread is its own channel's); a thread's first message stays a new post."""
    harness.slack.add_channel("C_OTHER", members=["U_OLA", "U_KARI"])
    root = harness.slack.user_writes("C_TEAM", "U_KARI", "Release plan?")
    reply = harness.slack.user_writes("C_TEAM", "U_KARI", "Friday works", thread_ts=root.ts)
    message = {"text": reply.text, "user": "U_KARI", "ts": reply.ts, "thread_ts": root.ts}
    await harness.shortcut("U_OLA", "quiet_forward", message=message)
    await until(lambda: harness.slack.opened_views or harness.slack.refusals)
    assert harness.slack.refusals == []
    modal = harness.slack.opened_views[-1]["view"]
    where = "C_TEAM" if pick == "same channel" else "C_OTHER"
    done = await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": where},
            "text": {"type": "plain_text_input", "value": _inputs(modal)["text"]},
        },
        metadata=modal["private_metadata"],
    )
    assert done == (200, "")
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    [copy] = [m for m in harness.slack.posted(where) if m.user != "U_KARI"]
    assert "Forwarded from Kari:\nFriday works" in copy.text
    assert copy.thread_ts == (root.ts if pick == "same channel" else None)


async def test_send_later_on_a_threads_first_message_is_a_new_post(
    harness: SlackHarness,
) -> None:
    root = harness.slack.user_writes("C_TEAM", "U_KARI", "Release plan?")
    message = {"text": root.text, "user": "U_KARI", "ts": root.ts, "thread_ts": root.ts}
    await harness.shortcut("U_OLA", "quiet_forward", message=message)
    await until(lambda: harness.slack.opened_views or harness.slack.refusals)
    modal = harness.slack.opened_views[-1]["view"]
    await harness.submit(
        "U_OLA",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
            "text": {"type": "plain_text_input", "value": _inputs(modal)["text"]},
        },
        metadata=modal["private_metadata"],
    )
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    [copy] = [m for m in harness.slack.posted("C_TEAM") if m.user != "U_KARI"]
    assert copy.thread_ts is None
