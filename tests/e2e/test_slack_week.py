"""A whole week in one Slack workspace, driven only the way Slack drives the app: signed HTTP.

Friday 17:30 Ola holds a DM for Kari with /quiet → delivered Monday 08:00, once. Saturday a
thread in the watched channel → labelled once, even when Slack retries the event → listed in
Monday's digest with a link. The leader changes the team's hours → the next decision follows
them. Tampered and stale requests are refused with 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from tests.integration.test_slack_commands import texts
from tests.support.signing import slack_headers
from tests.support.slack import fake_slack, install_workspace, is_guard
from tests.support.slack_app import SECRET, SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-week-e2e"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
MONDAY_0759 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


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
        now=FRIDAY_1730,
        team_name="Platform",
        channel="C_PLATFORM",
        hours="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        leader="U_LEAD",
        mode="label",
        locale="nb",
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def test_a_week_in_slack(week: SlackHarness) -> None:
    slack = week.slack
    # Kari sets her hours; Friday 17:30 Ola writes to her through /quiet.
    await week.command("U_KARI", "hours man-fre 8-16 helligdager NO")
    held = await week.command("U_OLA", "later <@U_KARI|kari> Kan du se på kontrakten?")
    assert "Held. It will be delivered Mon 08:00 Europe/Oslo." in texts(held)
    await week.engine.run_until_idle()
    assert slack.posted("U_KARI") == []

    # Saturday: a thread in the watched channel; Slack delivers the first event twice.
    week.clock.set(SATURDAY_1100)
    root = slack.user_writes("C_PLATFORM", "U_OLA", "Skal vi bytte leverandør?")
    root.ts = f"{SATURDAY_1100.timestamp():.0f}.000001"
    event = {
        "type": "message",
        "channel": "C_PLATFORM",
        "channel_type": "channel",
        "user": "U_OLA",
        "text": root.text,
        "ts": root.ts,
    }
    assert (await week.event(event, "EvRoot"))[0] == 200
    assert (await week.event(event, "EvRoot"))[0] == 200  # Slack's retry: same event_id
    reply = {**event, "user": "U_KARI", "text": "Ja, vi går for B", "thread_ts": root.ts}
    reply["ts"] = f"{SATURDAY_1100.timestamp() + 300:.0f}.000002"
    assert (await week.event(reply, "EvReply"))[0] == 200
    await until(lambda: any(m.thread_ts == root.ts for m in slack.posted("C_PLATFORM")))
    await week.command("U_OLA", "help")  # a round trip: the listeners above have run
    # (the decision in the reply gets its guard too: tests/e2e/test_slack_guard_week.py)
    labels = [m for m in slack.posted("C_PLATFORM") if m.thread_ts == root.ts and not is_guard(m)]
    assert len(labels) == 1  # once per thread, though three events arrived
    assert "man. 08:00 (Europe/Oslo)" in labels[0].text  # in the team's language
    assert root.reactions == ["zzz"]

    # Monday 07:59: still nothing. 08:00: delivered once, and the digest once.
    week.clock.set(MONDAY_0759)
    await week.engine.run_until_idle()
    assert slack.posted("U_KARI") == []
    week.clock.set(MONDAY_0800)
    await week.engine.run_until_idle()
    await week.engine.run_until_idle()
    assert [m.body for m in slack.posted("U_KARI")] == ["Kan du se på kontrakten?"]
    runs = await week.digests.run_due()
    assert [(run.posted, run.threads) for run in runs] == [(1, 1)]
    assert await week.digests.run_due() == []
    digest = [m for m in slack.posted("C_PLATFORM") if m.user == slack.bot_user and not m.thread_ts]
    assert len(digest) == 1
    shown = json.dumps(digest[0].blocks, ensure_ascii=False)
    assert "2 meldinger fra 2 personer" in shown
    assert "beslutning tatt utenfor arbeidstid" in shown
    assert "https://sandbox.slack.com/archives/C_PLATFORM/p" in shown

    # The leader moves the team's hours; the next decision follows them.
    week.clock.set(datetime(2026, 12, 1, 14, 30, tzinfo=UTC))  # Tue 15:30 Oslo
    changed = await week.command("U_LEAD", "team hours mon-fri 08:00-15:00", channel="C_PLATFORM")
    assert "Saved." in texts(changed)
    later = await week.command("U_OLA", "later Møte i morgen?", channel="C_PLATFORM")
    assert "Wed 08:00" in texts(later)

    assert slack.violations == []


@pytest.mark.parametrize("tamper", ["signature", "stale"])
async def test_forged_or_replayed_requests_get_401(week: SlackHarness, tamper: str) -> None:
    assert week.http is not None
    body = b"command=%2Fquiet&text=later+x&team_id=T1&user_id=U_OLA&channel_id=C_PLATFORM"
    headers = slack_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
    if tamper == "signature":
        signature = headers["X-Slack-Signature"]
        # flip the last hex digit: always a different signature (replacing it with a fixed
        # digit left it unchanged once in 16 runs, when it already was that digit)
        flipped = format(int(signature[-1], 16) ^ 0xF, "x")
        headers["X-Slack-Signature"] = signature[:-1] + flipped
    else:
        headers = slack_headers(
            SECRET,
            body,
            timestamp=int(time.time()) - 6 * 60,
            content_type="application/x-www-form-urlencoded",
        )
    async with week.http.post(week.url, data=body, headers=headers) as response:
        assert response.status == 401
