"""The Teams Easter week (tests/e2e/test_teams_easter_week.py) in Slack, by signed requests only.

Norway's Easter 2027: Skjærtorsdag Thu 25 March, Langfredag Fri 26, 2. påskedag Mon 29; the
clocks go forward on Sunday 28 March. Ola's message for Kari, held on Wednesday 24 March at
17:30 CET, arrives once on Tuesday 30 March at 08:00 CEST (06:00 UTC); a thread started on
Skjærtorsdag is labelled once with that Tuesday.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from tests.integration.test_slack_commands import texts
from tests.support.slack import fake_slack, install_workspace, is_guard
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-easter-e2e"
WEDNESDAY_1730 = datetime(2027, 3, 24, 16, 30, tzinfo=UTC)  # CET, UTC+1
SKJAERTORSDAG_1000 = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)
HOLIDAY_MORNINGS = (
    datetime(2027, 3, 25, 7, 0, tzinfo=UTC),  # Skjærtorsdag 08:00 CET
    datetime(2027, 3, 26, 7, 0, tzinfo=UTC),  # Langfredag 08:00 CET
    datetime(2027, 3, 29, 6, 0, tzinfo=UTC),  # 2. påskedag 08:00 CEST
    datetime(2027, 3, 30, 5, 59, tzinfo=UTC),  # Tuesday 07:59 CEST
)
TUESDAY_0800_CEST = datetime(2027, 3, 30, 6, 0, tzinfo=UTC)


@pytest.fixture
async def week(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_channel("C_PLATFORM")
    await slack.start()
    await install_workspace(
        sessions,
        cipher,
        token=TOKEN,
        now=WEDNESDAY_1730,
        team_name="Platform",
        channel="C_PLATFORM",
        hours="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        leader="U_LEAD",
        mode="label",
        locale="nb",
    )
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=WEDNESDAY_1730,
        team="T1",
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def test_a_message_waits_over_easter_and_arrives_at_eight_summer_time(
    week: SlackHarness,
) -> None:
    slack = week.slack
    await week.command("U_KARI", "hours man-fre 8-16 tz Europe/Oslo helligdager NO")
    held = await week.command("U_OLA", "later <@U_KARI|kari> Kan du se på kontrakten?")
    assert "Held. It will be delivered Tue 08:00 Europe/Oslo." in texts(held)

    week.clock.set(SKJAERTORSDAG_1000)
    root = slack.user_writes("C_PLATFORM", "U_OLA", "Noen som kan svare i dag?")
    root.ts = f"{SKJAERTORSDAG_1000.timestamp():.0f}.000001"
    event = {
        "type": "message",
        "channel": "C_PLATFORM",
        "channel_type": "channel",
        "user": "U_OLA",
        "text": root.text,
        "ts": root.ts,
    }
    assert (await week.event(event, "EvEaster"))[0] == 200
    await until(lambda: any(m.thread_ts == root.ts for m in slack.posted("C_PLATFORM")))
    await week.command("U_OLA", "help")  # a round trip: the listeners above have run
    labels = [m for m in slack.posted("C_PLATFORM") if m.thread_ts == root.ts and not is_guard(m)]
    assert len(labels) == 1
    assert "tir. 08:00 (Europe/Oslo)" in labels[0].text

    for instant in HOLIDAY_MORNINGS:
        week.clock.set(instant)
        await week.engine.run_until_idle()
        assert slack.posted("U_KARI") == [], instant
    week.clock.set(TUESDAY_0800_CEST)
    await week.engine.run_until_idle()
    await week.engine.run_until_idle()
    assert [m.body for m in slack.posted("U_KARI")] == ["Kan du se på kontrakten?"]
    assert slack.violations == []
