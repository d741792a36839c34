"""Auto-hold and threads: a reply never goes into a thread whose root no longer exists.

Friday 17:30 in Oslo, after the team's hours; Ola uses auto-hold. When he starts a thread and
replies in it, the root is taken down (it gets a new ts when it is re-posted), so the reply must
follow the root into its new thread. When someone deletes a root Ola's held reply was written
for, the reply goes out at the channel's top. Every message is posted, once.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import HeldMessageRow
from tests.integration import test_slack_autohold
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until, until_async

harness = test_slack_autohold.harness  # T1: Ola opted in, team Legal watches C_TEAM
Sessions = async_sessionmaker[AsyncSession]
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
_SEQUENCE = itertools.count(1)


async def writes(
    harness: SlackHarness, user: str, text: str, event_id: str, *, thread: str | None = None
) -> str:
    """``user`` posts in #team (in ``thread``), and Slack tells the app."""
    message = harness.slack.user_writes("C_TEAM", user, text, thread_ts=thread)
    message.ts = f"{harness.clock.now().timestamp():.0f}.{next(_SEQUENCE):06d}"
    event = {
        "type": "message",
        "channel": "C_TEAM",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": message.ts,
    }
    if thread is not None:
        event["thread_ts"] = thread
    status, _ = await harness.event(event, event_id)
    assert status == 200
    return message.ts


async def rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list(
            await session.scalars(select(HeldMessageRow).order_by(HeldMessageRow.created_at))
        )


async def chain(sessions: Sessions) -> tuple[HeldMessageRow, HeldMessageRow]:
    """The held root and the reply held after it."""
    held = await rows(sessions)
    (reply,) = [row for row in held if row.after_id is not None]
    (root,) = [row for row in held if row.id == reply.after_id]
    return root, reply


async def monday(harness: SlackHarness) -> None:
    harness.clock.set(MONDAY_0800)
    harness.slack.post_scheduled(MONDAY_0800.timestamp())
    for _ in range(3):
        await harness.engine.run_until_idle()


def in_channel(harness: SlackHarness) -> list[tuple[str, str | None]]:
    """(text, the text of the message whose thread it is in) for everything in #team."""
    posted = harness.slack.posted("C_TEAM")
    by_ts = {message.ts: message.text for message in posted}
    return [
        (m.text, None if m.thread_ts is None else by_ts.get(m.thread_ts, "<deleted root>"))
        for m in posted
    ]


async def test_a_reply_to_a_held_root_follows_it_into_its_new_thread(
    harness: SlackHarness, sessions: Sessions
) -> None:
    root = await writes(harness, "U_OLA", "Plan for Monday", "EvRoot")
    await until(lambda: len(harness.slack.posted("U_OLA")) == 1)  # taken down, Ola told
    await writes(harness, "U_OLA", "Details: start at nine", "EvReply", thread=root)
    await until(lambda: len(harness.slack.posted("U_OLA")) == 2)
    assert harness.slack.posted("C_TEAM") == []  # both taken down
    # nothing is scheduled into the old thread; the root's schedule was withdrawn, so our
    # outbox posts it and learns its new ts
    assert [item for item in harness.slack.scheduled.values() if item.get("thread_ts")] == []
    held_root, reply = await chain(sessions)
    assert held_root.platform_schedule_id is None and reply.platform_schedule_id is None
    assert "goes into that message's thread" in harness.slack.posted("U_OLA")[-1].text

    await monday(harness)
    assert in_channel(harness) == [
        ("Plan for Monday", None),
        ("Details: start at nine", "Plan for Monday"),
    ]
    assert {row.state for row in await rows(sessions)} == {"delivered"}


async def test_send_now_on_the_reply_sends_its_root_first(
    harness: SlackHarness, sessions: Sessions
) -> None:
    root = await writes(harness, "U_OLA", "Plan for Monday", "EvRoot2")
    await until(lambda: len(harness.slack.posted("U_OLA")) == 1)
    await writes(harness, "U_OLA", "Details", "EvReply2", thread=root)
    await until(lambda: len(harness.slack.posted("U_OLA")) == 2)
    _, reply = await chain(sessions)
    status, _ = await harness.click("U_OLA", "held.send_now", reply.id)
    assert status == 200
    await until(lambda: harness.slack.responses)  # "Sent."
    for _ in range(3):
        await harness.engine.run_until_idle()
    assert in_channel(harness) == [("Plan for Monday", None), ("Details", "Plan for Monday")]


async def test_a_reply_whose_root_is_cancelled_goes_out_at_the_top(
    harness: SlackHarness, sessions: Sessions
) -> None:
    root = await writes(harness, "U_OLA", "Plan for Monday", "EvRoot3")
    await until(lambda: len(harness.slack.posted("U_OLA")) == 1)
    await writes(harness, "U_OLA", "Details", "EvReply3", thread=root)
    await until(lambda: len(harness.slack.posted("U_OLA")) == 2)
    held_root, _ = await chain(sessions)
    status, _ = await harness.click("U_OLA", "held.cancel", held_root.id)
    assert status == 200
    await until(lambda: harness.slack.responses)  # "Cancelled."
    await monday(harness)
    assert in_channel(harness) == [("Details", None)]


async def test_a_held_reply_whose_root_its_author_deletes_goes_out_at_the_top(
    harness: SlackHarness, sessions: Sessions
) -> None:
    root = await writes(harness, "U_KARI", "Who takes the Monday call?", "EvKari")
    await writes(harness, "U_OLA", "I can", "EvOla", thread=root)
    await until(lambda: len(harness.slack.posted("U_OLA")) == 1)
    (reply,) = await rows(sessions)
    assert reply.thread_id == root and reply.platform_schedule_id is not None
    # Kari deletes her question: with no visible replies, Slack removes the thread with it
    harness.slack.channels["C_TEAM"] = [m for m in harness.slack.channels["C_TEAM"] if m.ts != root]
    status, _ = await harness.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": "C_TEAM",
            "channel_type": "channel",
            "ts": f"{harness.clock.now().timestamp():.0f}.999999",
            "deleted_ts": root,
            "previous_message": {"type": "message", "user": "U_KARI", "ts": root},
        },
        "EvDeleted",
    )
    assert status == 200

    async def moved() -> bool:  # the schedule into the dead thread withdrawn, ours instead
        (row,) = await rows(sessions)
        return row.thread_id is None and row.platform_schedule_id is None

    await until_async(moved)
    assert not harness.slack.scheduled
    await monday(harness)
    assert in_channel(harness) == [("I can", None)]


async def test_send_later_into_a_thread_whose_root_is_deleted_goes_out_at_the_top(
    harness: SlackHarness, sessions: Sessions
) -> None:
    """The same for a reply written with Send later from the thread (posted by the app)."""
    root = await writes(harness, "U_KARI", "Who takes the Monday call?", "EvKari2")
    status, answer = await harness.submit(
        "U_PER",
        "compose",
        {
            "channel": {"type": "conversations_select", "selected_conversation": "C_TEAM"},
            "text": {"type": "plain_text_input", "value": "Per can"},
        },
        metadata=f'{{"channel": "C_TEAM", "thread": "{root}"}}',
    )
    assert status == 200 and "errors" not in answer, answer
    (held,) = await rows(sessions)
    assert held.thread_id == root
    harness.slack.channels["C_TEAM"] = [m for m in harness.slack.channels["C_TEAM"] if m.ts != root]
    status, _ = await harness.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": "C_TEAM",
            "channel_type": "channel",
            "ts": f"{harness.clock.now().timestamp():.0f}.999998",
            "deleted_ts": root,
        },
        "EvDeleted2",
    )
    assert status == 200
    (held,) = await rows(sessions)
    assert held.thread_id is None  # stored before Slack heard 200
    await monday(harness)
    [(text, thread)] = in_channel(harness)
    assert "Per can" in text and thread is None
