"""A week in a Slack workspace where nobody has set anything: protected by what Slack knows.

The app is installed (a bot token, no team, no hours); Kari in Oslo and Nina in New York have
never typed a command, but Slack knows their zones and notification schedules. Friday 22:00 in
Oslo, Ola writes to both with `/quiet later @…`. Each message waits for its reader's own
schedule, in the reader's own zone, on a working day: Kari's Monday 07:30 in Oslo; Nina is
still at work in New York (16:00), so hers goes at once — and one written at 23:30 (17:30 in
New York) waits for Monday 09:00 there. Never Saturday; each is delivered once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow, WorkspaceDefaultRow
from bot.storage.repositories import InstallationRepository, WorkspaceRepository
from tests.integration.test_slack_commands import texts
from tests.support.slack import fake_slack
from tests.support.slack_app import SlackHarness

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-fresh-week"
FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
FRIDAY_2330_OSLO = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
SATURDAY_1000_NEW_YORK = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
MONDAY_0729_OSLO = datetime(2026, 11, 30, 6, 29, tzinfo=UTC)
MONDAY_0730_OSLO = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
MONDAY_0900_NEW_YORK = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _at(hour_utc: int, minute: int = 0, *, day: int = 27) -> float:
    return datetime(2026, 11, day, hour_utc, minute, tzinfo=UTC).timestamp()


@pytest.fixture
async def fresh(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_OLA", "Ola", tz="Europe/Oslo")
    slack.add_user("U_KARI", "Kari", tz="Europe/Oslo", locale="nb-NO")
    slack.add_user("U_NINA", "Nina", tz="America/New_York", locale="en-US")
    slack.add_channel("C_GENERAL", members=["U_OLA", "U_KARI", "U_NINA"])
    # notifications 07:30-16:00 in Oslo (DND 16:00 -> 07:30) and 09:00-17:00 in New York
    slack.dnd["U_KARI"] = (_at(15), _at(6, 30, day=28))
    slack.dnd["U_NINA"] = (_at(22), _at(14, day=28))
    await slack.start()
    async with sessions() as session, session.begin():  # installed; nothing else
        workspace = await WorkspaceRepository(session).get_or_create(
            "slack", "T1", now=FRIDAY_2200_OSLO
        )
        await InstallationRepository(session, cipher).save(
            workspace.id, bot_token=TOKEN, now=FRIDAY_2200_OSLO
        )
    harness = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_2200_OSLO,
        team="T1",
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


async def test_a_fresh_week_waits_for_each_readers_own_schedule(
    fresh: SlackHarness, sessions: Sessions
) -> None:
    slack = fresh.slack
    to_kari = await fresh.command(
        "U_OLA", "later <@U_KARI> Kan du se på kontrakten?", channel="C_GENERAL"
    )
    assert "Held. It will be delivered Mon 07:30" in texts(to_kari)
    # 22:00 in Oslo is 16:00 in New York: Nina is at work, so hers goes now
    now_nina = await fresh.command(
        "U_OLA", "later <@U_NINA> Quick one: are you in?", channel="C_GENERAL"
    )
    assert "Delivered now." in texts(now_nina) and "Nina is within working hours" in texts(now_nina)
    await fresh.engine.run_until_idle()
    assert [m.body for m in slack.posted("U_NINA")] == ["Quick one: are you in?"]
    # 23:30 in Oslo, 17:30 in New York: she has left; held for her Monday morning
    fresh.clock.set(FRIDAY_2330_OSLO)
    to_nina = await fresh.command(
        "U_OLA", "later <@U_NINA> Could you review it?", channel="C_GENERAL"
    )
    assert "Held." in texts(to_nina)
    async with sessions() as session:
        rows = {
            row.conversation_id: row
            for row in await session.scalars(select(HeldMessageRow))
            if row.state == "held"
        }
        default = (await session.scalars(select(WorkspaceDefaultRow))).one()
        people = {p.external_id: p for p in await session.scalars(select(PersonRow))}
    assert rows["U_KARI"].deliver_at == MONDAY_0730_OSLO
    assert rows["U_NINA"].deliver_at == MONDAY_0900_NEW_YORK  # in her own zone
    assert default.tz == "Europe/Oslo"  # the workspace default, from the first person seen
    for reader in ("U_KARI", "U_NINA"):  # read from Slack, never their own choice
        assert people[reader].hours_source is None
        assert people[reader].platform_hours_days is False
    assert people["U_NINA"].platform_hours_spec == "mon-sun 09:00-17:00 tz America/New_York"

    quick = ["Quick one: are you in?"]
    for instant in (FRIDAY_2330_OSLO, SATURDAY_1000_NEW_YORK, MONDAY_0729_OSLO):
        fresh.clock.set(instant)
        await fresh.engine.run_until_idle()
        assert slack.posted("U_KARI") == []
        assert [m.body for m in slack.posted("U_NINA")] == quick
    fresh.clock.set(MONDAY_0730_OSLO)
    await fresh.engine.run_until_idle()
    assert [m.body for m in slack.posted("U_KARI")] == ["Kan du se på kontrakten?"]
    assert [m.body for m in slack.posted("U_NINA")] == quick
    fresh.clock.set(MONDAY_0900_NEW_YORK)
    await fresh.engine.run_until_idle()
    await fresh.engine.run_until_idle()
    assert [m.body for m in slack.posted("U_KARI")] == ["Kan du se på kontrakten?"]
    assert [m.body for m in slack.posted("U_NINA")] == [*quick, "Could you review it?"]
    assert slack.violations == []
