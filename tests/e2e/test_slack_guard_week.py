"""The decision guard's week in Slack, driven only by signed HTTP as Slack drives the app.

Sunday evening a thread in the watched channel reaches "vi går for alternativ B" and two people
put ✅ on it (Slack retries both events): exactly one guard reply, naming Monday 12:00 (four
working hours after the team is back) in each reader's time. Monday's 08:00 digest lists it
first, with how many were away. *Confirm* is refused for a non-leader and, for the leader,
before the guard ends; at 12:00 the leader is asked privately, and *Confirm* then works and
refreshes the reply in place. A thread decided by reactions alone gets its guard too, and
*Reopen for discussion* is anyone's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack, Message
from bot.storage.crypto import Cipher
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-guard-e2e"
SATURDAY_1100 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SUNDAY_2014 = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MONDAY_0900 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
MONDAY_1200 = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 08:00 + 4 working hours, Oslo
PEOPLE = ["U_LEAD", "U_OLA", "U_PER", "U_KARI", "U_ANE"]


@pytest.fixture
async def week(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    for person in PEOPLE:
        slack.add_user(person, person.removeprefix("U_").title(), locale="nb-NO")
    slack.add_channel("C_PLATFORM", members=PEOPLE)
    slack.add_user("U_BOSS", "Boss", locale="en-US")  # in the workspace, not in the channel
    await slack.start()
    await install_workspace(
        sessions,
        cipher,
        token=TOKEN,
        now=SATURDAY_1100,
        team_name="Platform",
        channel="C_PLATFORM",
        hours="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        leader="U_LEAD",
        mode="label",
        locale="nb",
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=SATURDAY_1100, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


def _ts(at: datetime, n: int) -> str:
    return f"{at.timestamp():.0f}.{n:06d}"


def _message(channel: str, user: str, text: str, ts: str, thread: str | None = None) -> dict:
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
    }
    if thread is not None:
        event["thread_ts"] = thread
    return event


def _reaction(user: str, ts: str, at: datetime, name: str = "white_check_mark") -> dict:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": "U_PER",
        "item": {"type": "message", "channel": "C_PLATFORM", "ts": ts},
        "event_ts": f"{at.timestamp():.0f}.000900",
    }


def guard_replies(slack: FakeSlack, thread: str) -> list[Message]:
    return [
        m
        for m in slack.posted("C_PLATFORM")
        if m.thread_ts == thread and m.user == slack.bot_user and "guard" in json.dumps(m.blocks)
    ]


async def click(week: SlackHarness, user: str, action: str, guard_id: str) -> str:
    """A button clicked in the channel; the private answer the clicker sees."""
    before = len(week.slack.responses)
    status, _ = await week.click(user, action, guard_id, channel="C_PLATFORM")
    assert status == 200
    await until(lambda: len(week.slack.responses) > before)
    return str(week.slack.responses[-1]["text"])


def buttons(message: Message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


async def test_a_sunday_decision_is_guarded_until_monday_noon(week: SlackHarness) -> None:
    slack = week.slack
    # Saturday: a busier thread with no decision (the digest would list it first otherwise).
    week.clock.set(SATURDAY_1100)
    busy = _ts(SATURDAY_1100, 1)
    assert (await week.event(_message("C_PLATFORM", "U_OLA", "Hvem har vakt?", busy), "E1"))[
        0
    ] == 200
    for n, person in enumerate(["U_PER", "U_ANE", "U_OLA"], start=2):
        reply = _message("C_PLATFORM", person, f"Svar {n}", _ts(SATURDAY_1100, n), thread=busy)
        assert (await week.event(reply, f"E{n}"))[0] == 200

    # Sunday 20:14: the thread; 20:26 "vi går for alternativ B" (Slack sends it twice).
    week.clock.set(SUNDAY_2014)
    root = _ts(SUNDAY_2014, 1)
    question = "Skal vi bytte leverandør før nyttår?"
    assert (await week.event(_message("C_PLATFORM", "U_OLA", question, root), "S1"))[0] == 200
    decided = _ts(SUNDAY_2014, 2)
    decision = _message("C_PLATFORM", "U_PER", "Ja, vi går for alternativ B.", decided, root)
    assert (await week.event(decision, "S2"))[0] == 200
    assert (await week.event(decision, "S2"))[0] == 200  # Slack's retry
    # two ✅ on it; the second event arrives twice too
    assert (await week.event(_reaction("U_OLA", decided, SUNDAY_2014), "S3"))[0] == 200
    assert (await week.event(_reaction("U_PER", decided, SUNDAY_2014), "S4"))[0] == 200
    assert (await week.event(_reaction("U_PER", decided, SUNDAY_2014), "S4"))[0] == 200
    await until(lambda: guard_replies(slack, root))
    await week.command("U_OLA", "help")  # a round trip: the follow-ups above have run
    (reply,) = guard_replies(slack, root)  # exactly one
    monday_noon = int(MONDAY_1200.timestamp())
    assert f"<!date^{monday_noon}^" in reply.body  # each reader sees it in their own zone
    assert "man. 12:00 (Europe/Oslo)" in reply.text  # the fallback, in the team's zone
    assert "3 personer i kanalen var ikke med" in reply.body  # Lea, Kari, Ane
    assert buttons(reply) == ["guard.reopen"]  # Confirm shows once the guard has ended
    guard_id = reply.blocks[1]["elements"][0]["value"]  # type: ignore[index]

    # Monday 08:00: the digest lists the guarded decision first, with how many were away.
    week.clock.set(MONDAY_0800)
    runs = await week.digests.run_due()
    assert [(run.posted, run.threads) for run in runs] == [(1, 2)]
    (digest,) = [
        m for m in slack.posted("C_PLATFORM") if m.user == slack.bot_user and not m.thread_ts
    ]
    sections = [b["text"]["text"] for b in digest.blocks or [] if b.get("type") == "section"]
    assert "3 personer var borte" in sections[1] and "man. 12:00" in sections[1]
    assert "4 meldinger" in sections[2]  # the busier Saturday thread comes after it

    # Confirm: refused for a non-leader, and for the leader before the guard ends.
    week.clock.set(MONDAY_0900)
    answer = await click(week, "U_KARI", "guard.confirm", guard_id)
    assert "Bare en leder" in answer
    answer = await click(week, "U_LEAD", "guard.confirm", guard_id)
    assert "Ikke ennå" in answer
    assert f"<!date^{monday_noon}^" in answer
    assert await week.watcher.guard.ask_due() == 0  # not yet over

    # 12:00: the leader is asked privately, once; the reply now offers Confirm.
    week.clock.set(MONDAY_1200)
    assert await week.watcher.guard.ask_due() == 1
    assert await week.watcher.guard.ask_due() == 0
    (asked,) = slack.posted("U_LEAD")
    assert "Bekreft beslutningen" in json.dumps(asked.blocks, ensure_ascii=False)
    (reply,) = guard_replies(slack, root)
    assert buttons(reply) == ["guard.reopen", "guard.confirm"]
    answer = await click(week, "U_KARI", "guard.confirm", guard_id)
    assert "Bare en leder" in answer
    answer = await click(week, "U_LEAD", "guard.confirm", guard_id)
    assert "Bekreftet" in answer
    (reply,) = guard_replies(slack, root)  # refreshed in place, not posted again
    assert "bekreftet av <@U_LEAD>" in reply.body and buttons(reply) == []
    answer = await click(week, "U_ANE", "guard.reopen", guard_id)
    assert "allerede bekreftet" in answer
    assert slack.violations == []


async def test_reactions_alone_make_a_decision_and_anyone_may_reopen(week: SlackHarness) -> None:
    slack = week.slack
    week.clock.set(SUNDAY_2014)
    root = _ts(SUNDAY_2014, 7)
    text = "Jeg deployer fredag kl 15 om ingen protesterer."
    assert (await week.event(_message("C_PLATFORM", "U_OLA", text, root), "R1"))[0] == 200
    # one person's two reactions are one person; a heart approves nothing
    assert (await week.event(_reaction("U_PER", root, SUNDAY_2014), "R2"))[0] == 200
    assert (await week.event(_reaction("U_PER", root, SUNDAY_2014, "+1"), "R3"))[0] == 200
    assert (await week.event(_reaction("U_ANE", root, SUNDAY_2014, "heart"), "R4"))[0] == 200
    await week.command("U_OLA", "help")
    assert guard_replies(slack, root) == []
    assert (await week.event(_reaction("U_KARI", root, SUNDAY_2014, "+1::skin-tone-2"), "R5"))[
        0
    ] == 200
    await until(lambda: guard_replies(slack, root))
    (reply,) = guard_replies(slack, root)
    guard_id = reply.blocks[1]["elements"][0]["value"]  # type: ignore[index]
    answer = await click(week, "U_ANE", "guard.reopen", guard_id)
    assert "Åpnet for diskusjon igjen" in answer
    (reply,) = guard_replies(slack, root)
    assert "Åpnet for diskusjon igjen av <@U_ANE>" in reply.body and buttons(reply) == []
    # an id that names no guard (Ane's language is not known: English)
    answer = await click(week, "U_ANE", "guard.reopen", "999999")
    assert "no longer exists" in answer


async def test_team_guard_setting(week: SlackHarness) -> None:
    week.clock.set(SATURDAY_1100)
    answer = await week.command("U_LEAD", "team guard 90m", channel="C_PLATFORM")
    assert "1 t 30 min arbeidstid" in answer["text"]  # the leader's Slack language: bokmål
    refused = json.dumps(await week.command("U_OLA", "team guard off", channel="C_PLATFORM"))
    assert "U_LEAD" in refused  # leaders only
    bad = await week.command("U_LEAD", "team guard soon", channel="C_PLATFORM")
    assert "`/quiet team vakt 4t`" in bad["text"]  # the words a bokmål reader types
    shown = await week.command("U_LEAD", "team", channel="C_PLATFORM")
    assert "Beslutningsvakt" in shown["text"] and "1 t 30 min" in shown["text"]
    await week.command("U_LEAD", "team guard off", channel="C_PLATFORM")
    week.watcher.forget("slack", "T1")
    week.clock.set(SUNDAY_2014)
    root = _ts(SUNDAY_2014, 9)
    event = _message("C_PLATFORM", "U_PER", "Vi går for B.", root)
    assert (await week.event(event, "G1"))[0] == 200
    await week.command("U_OLA", "help")
    await until(lambda: any(m.thread_ts == root for m in week.slack.posted("C_PLATFORM")))
    assert guard_replies(week.slack, root) == []  # labelled, but not guarded


async def test_a_leader_outside_the_channel_is_not_asked_and_cannot_settle(
    week: SlackHarness,
) -> None:
    """The guard names a decision taken in its channel: a leader of the team who is not a
    member of that (private) channel is not asked about it and cannot confirm or reopen it."""
    slack = week.slack
    week.clock.set(SATURDAY_1100)
    added = await week.command("U_LEAD", "team leader add <@U_BOSS|boss>", channel="C_PLATFORM")
    assert "U_BOSS" in json.dumps(added)
    week.watcher.forget("slack", "T1")
    week.clock.set(SUNDAY_2014)
    root = _ts(SUNDAY_2014, 11)
    assert (await week.event(_message("C_PLATFORM", "U_PER", "Vi går for B.", root), "B1"))[
        0
    ] == 200
    await until(lambda: guard_replies(slack, root))
    await week.command("U_OLA", "help")  # a round trip: the reply's id is recorded
    (reply,) = guard_replies(slack, root)
    guard_id = reply.blocks[1]["elements"][0]["value"]  # type: ignore[index]

    week.clock.set(MONDAY_1200)
    assert await week.watcher.guard.ask_due() == 1
    assert await week.watcher.guard.ask_due() == 0  # once
    assert slack.posted("U_BOSS") == []  # not told of a channel they are not in
    (asked,) = slack.posted("U_LEAD")
    assert "Bekreft beslutningen" in json.dumps(asked.blocks, ensure_ascii=False)
    for action in ("guard.confirm", "guard.reopen"):
        answer = await click(week, "U_BOSS", action, guard_id)
        assert "no longer exists" in answer
    (reply,) = guard_replies(slack, root)
    assert buttons(reply) == ["guard.reopen", "guard.confirm"]  # still open
    answer = await click(week, "U_LEAD", "guard.confirm", guard_id)
    assert "Bekreftet" in answer
