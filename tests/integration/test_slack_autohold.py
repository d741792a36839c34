"""Auto-hold on Slack: a person's own off-hours message is taken down and re-posted as them.

Ola opted in (his user token is stored). Friday 27 November 2026 17:30 in Oslo is after the
team's hours, so what he writes in the watched channel waits for Monday 08:00.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.services import autohold
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, HeldMessageRow, LabelRow
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.integration.test_slack_commands import buttons
from tests.support.slack import fake_slack
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until, until_async

Sessions = async_sessionmaker[AsyncSession]
_SEQUENCE = itertools.count(1)
TOKEN = "xoxb-autohold"
OLA_TOKEN = "xoxp-ola"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.tokens[OLA_TOKEN] = "U_OLA"
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari")
    slack.add_user("U_PER", "Per")
    slack.add_channel("C_TEAM")
    slack.add_im("D_OLA_KARI", "U_OLA", "U_KARI")
    await slack.start()
    async with sessions() as session, session.begin():
        ws = await WorkspaceRepository(session).get_or_create("slack", "T1", now=FRIDAY_1730)
        await InstallationRepository(session, cipher).save(ws.id, bot_token=TOKEN, now=FRIDAY_1730)
        people = PersonRepository(session, cipher)
        ola = await people.get_or_create(ws.id, "U_OLA", now=FRIDAY_1730, tz="Europe/Oslo")
        await people.set_user_token(ola, OLA_TOKEN, now=FRIDAY_1730)
        kari = await people.get_or_create(ws.id, "U_KARI", now=FRIDAY_1730, tz="Europe/Oslo")
        await people.set_hours(
            kari, "mon-fri 09:00-15:00 tz Europe/Oslo", source="personal", now=FRIDAY_1730
        )
        teams = TeamRepository(session)
        team = await teams.create(
            ws.id, "Legal", now=FRIDAY_1730, hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo"
        )
        await teams.watch(team, "C_TEAM")
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def writes(
    harness: SlackHarness,
    channel: str,
    user: str,
    text: str,
    event_id: str,
    kind: str = "channel",
    *,
    written: datetime | None = None,
) -> str:
    """A person posts in Slack (at ``written``, default now), and Slack reports it to the app
    (now, on the harness clock: later than ``written`` for a retried or late event)."""
    message = harness.slack.user_writes(channel, user, text)
    # Slack's ts is the posting instant (unique to the microsecond)
    at = written or harness.clock.now()
    message.ts = f"{at.timestamp():.0f}.{next(_SEQUENCE):06d}"
    status, _ = await harness.event(
        {
            "type": "message",
            "channel": channel,
            "channel_type": kind,
            "user": user,
            "text": text,
            "ts": message.ts,
        },
        event_id,
    )
    assert status == 200
    return message.ts


async def rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


def the_note(harness: SlackHarness) -> dict[str, object]:
    (note,) = harness.slack.posted("U_OLA")
    return {"text": note.text, "blocks": note.blocks}


async def test_off_hours_message_is_taken_down_and_posted_by_slack_on_monday(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await writes(harness, "C_TEAM", "U_OLA", "Draft is ready for review", "Ev1")
    await until(lambda: harness.slack.posted("U_OLA"))
    assert harness.slack.posted("C_TEAM") == []  # taken down at once
    (row,) = await rows(sessions)
    assert (row.kind, row.as_author, row.deliver_at) == ("auto_hold", True, MONDAY_0800)
    assert row.platform_schedule_id is not None
    (scheduled,) = harness.slack.scheduled.values()
    assert scheduled["user"] == "U_OLA"  # Slack will post it as Ola, not as the bot
    assert int(scheduled["post_at"]) == int(MONDAY_0800.timestamp())
    note = the_note(harness)
    assert "It will be posted as you Mon 08:00 Europe/Oslo" in str(note["text"])
    assert set(buttons(note)) == {"held.send_now", "held.edit", "held.cancel"}

    # a retried event changes nothing
    await harness.event({"type": "message"}, "Ev1")
    harness.clock.set(MONDAY_0800)
    harness.slack.post_scheduled(MONDAY_0800.timestamp())
    await harness.engine.run_until_idle()
    posted = harness.slack.posted("C_TEAM")
    assert [(m.user, m.text) for m in posted] == [("U_OLA", "Draft is ready for review")]
    assert [call.params["channel"] for call in harness.slack.calls_to("chat.postMessage")] == [
        "U_OLA"
    ]  # only the note: the engine did not post it a second time
    (row,) = await rows(sessions)
    assert row.state == "delivered" and row.body_enc is None


async def test_cancel_withdraws_the_slack_schedule(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await writes(harness, "C_TEAM", "U_OLA", "never mind", "Ev2")
    await until(lambda: harness.slack.posted("U_OLA"))
    held_id = buttons(the_note(harness))["held.cancel"]
    await harness.click("U_OLA", "held.cancel", held_id, channel="D_BOT")
    await until(lambda: harness.slack.responses)
    assert harness.slack.responses[-1]["text"].startswith("Cancelled.")
    assert harness.slack.scheduled == {}
    harness.clock.set(MONDAY_0800)
    harness.slack.post_scheduled(MONDAY_0800.timestamp())
    await harness.engine.run_until_idle()
    assert harness.slack.posted("C_TEAM") == []
    assert [row.state for row in await rows(sessions)] == ["cancelled"]


async def test_send_now_posts_as_the_author_through_the_outbox(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await writes(harness, "C_TEAM", "U_OLA", "actually it can't wait", "Ev3")
    await until(lambda: harness.slack.posted("U_OLA"))
    held_id = buttons(the_note(harness))["held.send_now"]
    await harness.click("U_OLA", "held.send_now", held_id, channel="D_BOT")
    await until(lambda: harness.slack.responses)
    assert harness.slack.scheduled == {}
    await harness.engine.run_until_idle()
    (posted,) = harness.slack.posted("C_TEAM")
    assert (posted.user, posted.text) == ("U_OLA", "actually it can't wait")
    harness.clock.set(MONDAY_0800)
    harness.slack.post_scheduled(MONDAY_0800.timestamp())
    await harness.engine.run_until_idle()
    assert len(harness.slack.posted("C_TEAM")) == 1


async def test_a_direct_message_waits_for_the_recipients_hours(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await writes(harness, "D_OLA_KARI", "U_OLA", "Kari, a question", "Ev4", kind="im")
    await until(lambda: harness.slack.posted("U_OLA"))
    assert harness.slack.posted("D_OLA_KARI") == []
    (row,) = await rows(sessions)
    assert row.deliver_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Kari starts at 09:00
    assert "a direct message" in str(the_note(harness)["text"])


async def test_people_who_did_not_opt_in_are_left_alone(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await writes(harness, "C_TEAM", "U_PER", "Per writes late", "Ev5")
    await harness.event({"type": "app_home_opened", "user": "U_PER"}, "EvSync")
    await until(lambda: "U_PER" in harness.slack.views)
    assert [m.text for m in harness.slack.posted("C_TEAM")] == ["Per writes late"]
    assert await rows(sessions) == []


async def test_a_message_that_cannot_be_taken_down_is_not_held(
    harness: SlackHarness, sessions: Sessions
) -> None:
    # Slack reports a message the fake does not have: chat.delete fails (message_not_found)
    status, _ = await harness.event(
        {
            "type": "message",
            "channel": "C_TEAM",
            "channel_type": "channel",
            "user": "U_OLA",
            "text": "ghost",
            "ts": f"{FRIDAY_1730.timestamp():.6f}",
        },
        "Ev6",
    )
    assert status == 200
    await until(lambda: harness.slack.calls_to("chat.delete"))
    await _until_rows(sessions, lambda found: [r.state for r in found] == ["cancelled"])
    (row,) = await rows(sessions)
    assert row.body_enc is None  # the copy is erased; the original stays visible
    assert harness.slack.posted("U_OLA") == []


async def test_past_slacks_limits_the_outbox_posts_it_as_the_author(
    harness: SlackHarness, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autohold, "SCHEDULE_PER_WINDOW", 1)
    await writes(harness, "C_TEAM", "U_OLA", "first", "Ev7")
    await until(lambda: len(harness.slack.posted("U_OLA")) == 1)
    await writes(harness, "C_TEAM", "U_OLA", "second", "Ev8")
    await until(lambda: len(harness.slack.posted("U_OLA")) == 2)
    assert len(harness.slack.scheduled) == 1
    harness.clock.set(MONDAY_0800)
    harness.slack.post_scheduled(MONDAY_0800.timestamp())
    await harness.engine.run_until_idle()
    posted = harness.slack.posted("C_TEAM")
    assert sorted((m.user, m.text) for m in posted) == [("U_OLA", "first"), ("U_OLA", "second")]
    outbox_posts = [
        call
        for call in harness.slack.calls_to("chat.postMessage")
        if call.params["channel"] == "C_TEAM"
    ]
    assert [call.token for call in outbox_posts] == [OLA_TOKEN]  # as Ola, with his token
    assert json.dumps([row.state for row in await rows(sessions)]) == '["delivered", "delivered"]'


async def _until_rows(
    sessions: Sessions, predicate: Callable[[list[HeldMessageRow]], bool]
) -> None:
    async def check() -> bool:
        return predicate(await rows(sessions))

    await until_async(check)


async def test_revoking_the_user_token_stops_auto_hold_and_loses_nothing(
    harness: SlackHarness, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autohold, "SCHEDULE_PER_WINDOW", 0)  # the outbox holds it, as Ola
    await writes(harness, "C_TEAM", "U_OLA", "held by us", "Ev9")
    await until(lambda: harness.slack.posted("U_OLA"))
    status, _ = await harness.event(
        {"type": "tokens_revoked", "tokens": {"oauth": ["U_OLA"]}}, "EvRevoke"
    )
    assert status == 200
    await until(lambda: len(harness.slack.posted("U_OLA")) == 2 or harness.slack.violations)
    assert harness.slack.violations == []
    assert "Auto-hold is off" in harness.slack.posted("U_OLA")[-1].text
    harness.slack.revoked.add(OLA_TOKEN)
    # Ola's next off-hours message stays where he wrote it
    await writes(harness, "C_TEAM", "U_OLA", "after revoking", "Ev10")
    await harness.event({"type": "app_home_opened", "user": "U_OLA"}, "EvSync2")
    await until(lambda: "U_OLA" in harness.slack.views)
    assert [m.body for m in harness.slack.posted("C_TEAM")] == ["after revoking"]
    harness.clock.set(MONDAY_0800)
    await harness.engine.run_until_idle()
    posted = harness.slack.posted("C_TEAM")
    assert [(m.user, m.body) for m in posted][-1] == ("U_QUIETBOT", "held by us")
    assert "<@U_OLA>" in json.dumps(posted[-1].blocks)  # posted by the bot, naming Ola


# -- events handled after hours began (Slack retries after 1 and 5 minutes; the app was down) --

MONDAY_0758 = datetime(2026, 11, 30, 6, 58, tzinfo=UTC)
MONDAY_0804 = datetime(2026, 11, 30, 7, 4, tzinfo=UTC)


async def handled(sessions: Sessions) -> bool:
    """The event's work is done: its activity was recorded, or a copy of it was held."""
    async with sessions() as session:
        seen = await session.scalar(select(func.count()).select_from(ActivityRow))
        held = await session.scalar(select(func.count()).select_from(HeldMessageRow))
        return bool(seen or held)


async def labels_claimed(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(LabelRow)) or 0)


async def test_a_late_event_after_hours_began_leaves_the_message_where_it_is(
    harness: SlackHarness, sessions: Sessions
) -> None:
    harness.clock.set(MONDAY_0804)  # written 07:58, handled 08:04 (a retry, or a restart)
    ts = await writes(harness, "C_TEAM", "U_OLA", "Morning all", "EvLate", written=MONDAY_0758)
    await until_async(lambda: handled(sessions))
    assert await rows(sessions) == []  # nothing held, nothing to re-post
    await harness.engine.run_until_idle()
    assert [(m.ts, m.text) for m in harness.slack.posted("C_TEAM")] == [(ts, "Morning all")]
    assert harness.slack.calls_to("chat.delete") == []  # never taken down
    assert harness.slack.posted("U_OLA") == []  # no note naming 08:00, a time already past


async def test_an_event_handled_while_still_quiet_is_held_as_before(
    harness: SlackHarness, sessions: Sessions
) -> None:
    harness.clock.set(MONDAY_0758 + timedelta(minutes=1))  # handled 07:59
    await writes(harness, "C_TEAM", "U_OLA", "Morning all", "EvEarly", written=MONDAY_0758)
    await until(lambda: harness.slack.posted("U_OLA"))
    assert harness.slack.posted("C_TEAM") == []
    assert [row.deliver_at for row in await rows(sessions)] == [MONDAY_0800]


async def label_mode(harness: SlackHarness, sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        teams = TeamRepository(session)
        (team,) = await teams.all()
        await teams.update(team, now=FRIDAY_1730, mode="label")
    harness.watcher.forget("slack", "T1")


async def test_no_label_when_hours_began_before_the_event_was_handled(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await label_mode(harness, sessions)
    harness.clock.set(MONDAY_0804)
    root = await writes(harness, "C_TEAM", "U_KARI", "Quick question", "EvL1", written=MONDAY_0758)
    await until_async(lambda: handled(sessions))  # the activity counts for the digest
    assert await labels_claimed(sessions) == 0  # claimed in the same transaction, or never
    assert [m.ts for m in harness.slack.posted("C_TEAM")] == [root]
    assert harness.slack.calls_to("reactions.add") == []


async def test_a_label_when_still_off_hours_at_handling(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await label_mode(harness, sessions)
    harness.clock.set(MONDAY_0758 + timedelta(minutes=1))
    root = await writes(harness, "C_TEAM", "U_KARI", "Quick question", "EvL2", written=MONDAY_0758)
    await until(lambda: [m for m in harness.slack.posted("C_TEAM") if m.thread_ts == root])
    (label,) = [m for m in harness.slack.posted("C_TEAM") if m.thread_ts == root]
    assert "Mon 08:00" in label.text
