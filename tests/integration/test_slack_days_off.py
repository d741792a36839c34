"""`/quiet off …` over real HTTP as Slack sends it: days off hold what is written to a person.

Friday 27 November 2026, 17:30 in Oslo. Kari works Mon–Fri 08:00–16:00 and takes Monday to
Wednesday (30.11–2.12) off: a message Ola writes to her now waits for Thursday 08:00, not Monday.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow
from tests.integration.test_slack_commands import texts
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-days-off"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
THURSDAY_0759 = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)
THURSDAY_0800 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


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


async def held_for(sessions: Sessions, person: str) -> list[HeldMessageRow]:
    async with sessions() as session:
        query = select(HeldMessageRow).where(HeldMessageRow.conversation_id == person)
        return list((await session.scalars(query)).all())


async def test_a_message_to_someone_away_waits_for_their_first_opening_after(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_KARI", "hours man-fre 08-16")
    saved = texts(await harness.command("U_KARI", "off 30.11–2.12"))
    assert "Fridager lagret: man. 30. nov. 2026 – ons. 2. des. 2026" in saved
    assert "tilbake tor. 08:00" in saved  # back on Thursday, in her language and zone
    answer = texts(await harness.command("U_OLA", "later <@U_KARI|kari> Ring meg"))
    assert "Thu 08:00 Europe/Oslo" in answer
    status = texts(await harness.command("U_KARI", "status"))
    assert "Fridagene dine" in status and "(3 dager)" in status

    for instant in (MONDAY_0800, THURSDAY_0759):  # not on her days off, not before her hours
        harness.clock.set(instant)
        await harness.engine.run_until_idle()
        assert harness.slack.posted("U_KARI") == []
    harness.clock.set(THURSDAY_0800)
    await harness.engine.run_until_idle()
    assert [m.body for m in harness.slack.posted("U_KARI")] == ["Ring meg"]
    assert harness.slack.violations == []


async def test_days_off_move_what_is_already_held_and_clearing_brings_it_back(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_KARI", "hours man-fre 08-16")
    await harness.command("U_OLA", "later <@U_KARI> Ring meg")
    [row] = await held_for(sessions, "U_KARI")
    assert row.deliver_at == MONDAY_0800
    moved = texts(await harness.command("U_KARI", "fri mandag til onsdag"))  # bokmål verb too
    assert "1 melding som holdes tilbake til deg, kommer nå når du er tilbake" in moved
    [row] = await held_for(sessions, "U_KARI")
    assert row.deliver_at == THURSDAY_0800
    cleared = texts(await harness.command("U_KARI", "off fjern"))
    assert "Fridagene dine er fjernet" in cleared and "ingen fridager" in cleared
    [row] = await held_for(sessions, "U_KARI")
    assert row.deliver_at == MONDAY_0800
    async with sessions() as session:
        kari = await session.scalar(select(PersonRow).where(PersonRow.external_id == "U_KARI"))
        assert kari is not None and kari.days_off is None


async def test_days_off_close_the_hours_someone_never_set_too(
    harness: SlackHarness, sessions: Sessions
) -> None:
    """Ola set no hours: the hours that apply to him (his Slack schedule, his team's, the
    workspace default) lose his Monday off all the same."""
    await harness.command("U_OLA", "off monday")
    answer = texts(await harness.command("U_KARI", "later <@U_OLA> Hei"))
    assert "tir. 08:00" in answer  # Tuesday, not Monday
    [row] = await held_for(sessions, "U_OLA")
    assert row.deliver_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("off 2026-12-03..2026-11-30", "Did you mean `/quiet off 2026-11-30..2026-12-03`?"),
        ("off 2026-11-01", "That is already past (2026-11-01)."),
        ("off 20.11..30.11", "Did you mean `/quiet off 2026-11-27..2026-11-30`?"),
        ("off 2026-12-01..2028-01-01", "at most 366 days"),
        ("off someday", "I don't know the day `someday`."),
        ("off 31.2", "`31.2` is not a date I can read"),
    ],
)
async def test_bad_days_off_get_a_private_friendly_error_with_a_hint(
    harness: SlackHarness, sessions: Sessions, typed: str, said: str
) -> None:
    answer = await harness.command("U_OLA", typed)
    assert answer["response_type"] == "ephemeral"
    assert said in texts(answer)
    assert "Examples: `/quiet off 2026-12-21..2027-01-03`" in texts(answer)
    async with sessions() as session:
        ola = await session.scalar(select(PersonRow).where(PersonRow.external_id == "U_OLA"))
        assert ola is not None and ola.days_off is None


async def test_app_home_adds_days_off_with_two_date_pickers_and_clears_them(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_KARI", "status")  # known, with her language
    status, _ = await harness.event(
        {"type": "app_home_opened", "user": "U_KARI", "tab": "home"}, "EvHomeOff1"
    )
    assert status == 200
    await until(lambda: "U_KARI" in harness.slack.views)
    shown = json.dumps(harness.slack.views["U_KARI"]["view"], ensure_ascii=False)
    assert "Fridager" in shown and "ingen fridager planlagt" in shown
    assert "home.off_add" in shown and "home.off_clear" not in shown

    await harness.click("U_KARI", "home.off_add", "off", in_home=True)
    await until(lambda: harness.slack.opened_views)
    form = harness.slack.opened_views[-1]["view"]
    assert form["callback_id"] == "off.add"
    assert [b["element"]["type"] for b in form["blocks"]] == ["datepicker", "datepicker"]

    def picked(first: str, last: str) -> dict[str, dict[str, Any]]:
        return {
            "off_first": {"type": "datepicker", "selected_date": first},
            "off_last": {"type": "datepicker", "selected_date": last},
        }

    bad = await harness.submit("U_KARI", "off.add", picked("2026-12-02", "2026-11-30"))
    assert "Perioden slutter" in json.loads(bad[1])["errors"]["off_first"]
    harness.slack.views.clear()
    good = await harness.submit("U_KARI", "off.add", picked("2026-11-30", "2026-12-02"))
    assert good == (200, "")
    await until(lambda: "U_KARI" in harness.slack.views)
    shown = json.dumps(harness.slack.views["U_KARI"]["view"], ensure_ascii=False)
    assert "man. 30. nov. 2026 – ons. 2. des. 2026 (3 dager)" in shown
    assert "home.off_clear" in shown

    harness.slack.views.clear()
    await harness.click("U_KARI", "home.off_clear", "off", in_home=True)
    await until(lambda: "U_KARI" in harness.slack.views)
    assert "ingen fridager planlagt" in json.dumps(
        harness.slack.views["U_KARI"]["view"], ensure_ascii=False
    )
    assert harness.slack.violations == []
