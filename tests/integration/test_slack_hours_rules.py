"""`/quiet hours` and `/quiet team hours` as people really type them, over signed Slack requests.

Field reports: `mon-fri 9-5` was saved as a 20-hour overnight day; `man–fre 8–16` (en dashes from
a phone keyboard) was refused. Friday 27 November 2026, 17:30 in Oslo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import PersonRow, TeamRow
from tests.support.slack import fake_slack, install_workspace
from tests.support.slack_app import SlackHarness

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-hours"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


@pytest.fixture
async def harness(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_user("U_LEAD", "Lea")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_user("U_ADMIN", "Ada", is_admin=True)
    for channel in ("C_TEAM", "C_OSLO", "C_LISBOA"):
        slack.add_channel(channel)
    await slack.start()
    await install_workspace(
        sessions, cipher, token=TOKEN, now=FRIDAY_1730, team_name="Legal", leader="U_LEAD"
    )
    harness = SlackHarness(
        engine=engine, sessions=sessions, cipher=cipher, slack=slack, now=FRIDAY_1730, team="T1"
    )
    try:
        async with harness.running():
            yield harness
    finally:
        await slack.stop()


def texts(answer: dict[str, Any]) -> str:
    parts = [str(answer.get("text", ""))]
    parts += [str(b["text"].get("text", "")) for b in answer.get("blocks") or [] if "text" in b]
    return "\n".join(parts)


async def stored_hours(sessions: Sessions, person: str) -> str | None:
    async with sessions() as session:
        row = await session.scalar(select(PersonRow).where(PersonRow.external_id == person))
        return None if row is None else row.hours_spec


async def team_hours(sessions: Sessions, name: str) -> str:
    async with sessions() as session:
        return (await session.scalars(select(TeamRow.hours_spec).where(TeamRow.name == name))).one()


async def test_nine_to_five_is_refused_with_the_afternoon_reading(
    harness: SlackHarness, sessions: Sessions
) -> None:
    answer = await harness.command("U_LEAD", "hours mon-fri 9-5")
    assert "Did you mean 09:00-17:00?" in texts(answer)
    assert await stored_hours(sessions, "U_LEAD") is None  # nothing saved
    norsk = await harness.command("U_KARI", "hours man-fre 8-4")
    assert "Mente du 08:00-16:00?" in texts(norsk)
    team = await harness.command("U_LEAD", "team hours mon-fri 9-5")
    assert "Did you mean 09:00-17:00?" in texts(team)
    assert await team_hours(sessions, "Legal") == "mon-fri 08:00-16:00 tz Europe/Oslo"


async def test_night_shifts_are_still_saved(harness: SlackHarness) -> None:
    night = await harness.command("U_LEAD", "hours fri-mon 22-06")
    assert "Saved. Your hours are now: `mon,fri-sun 22:00-06:00 tz Europe/Oslo`" in texts(night)
    full = await harness.command("U_LEAD", "hours mon-fri 08:00-05:00")
    assert "`mon-fri 08:00-05:00 tz Europe/Oslo`" in texts(full)


@pytest.mark.parametrize(
    "typed", ["man–fre 8–16", "Mon–Fri 08:00–16:00", "mon - fri 8-16", "MON\u2212FRI 8 \u2011 16"]
)
async def test_any_dash_spacing_and_case_is_the_plain_spec(
    harness: SlackHarness, sessions: Sessions, typed: str
) -> None:
    answer = await harness.command("U_LEAD", f"hours {typed}")
    assert "Saved. Your hours are now: `mon-fri 08:00-16:00 tz Europe/Oslo`" in texts(answer)
    team = await harness.command("U_LEAD", f"team hours {typed}")
    assert "Hours: `mon-fri 08:00-16:00 tz Europe/Oslo`" in texts(team)


# -- presets' hard rules: refused with the law cited; soft limits stay warnings ----------------


async def test_norway_team_hours_in_the_night_are_refused_citing_the_act(
    harness: SlackHarness, sessions: Sessions
) -> None:
    created = await harness.command("U_ADMIN", "team create Oslo norway-aml", channel="C_OSLO")
    assert "Created the team Oslo" in texts(created)
    night = await harness.command(
        "U_ADMIN", "team hours mon-fri 08:00-16:00; tue 20:00-23:00", channel="C_OSLO"
    )
    shown = texts(night)
    assert "Not saved: Working hours on Tuesday 20:00–23:00 run 2 h into the night" in shown
    assert "Norway – Working Environment Act (arbeidsmiljøloven)" in shown
    assert "Arbeidsmiljøloven § 10-11 (1) and (2)" in shown
    assert "https://lovdata.no/lov/2005-06-17-62/§10-11" in shown
    assert "Saved." not in shown
    assert await team_hours(sessions, "Oslo") == "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"


@pytest.mark.parametrize(
    ("spec", "problem", "cite"),
    [
        ("mon-fri 8-16; sun 10-14", "into the Sunday rest", "§ 10-10 (1)"),
        ("mon-fri 8-16; sat 12-19", "into the Sunday rest (from Saturday 18:00", "§ 10-10 (1)"),
        ("mon-fri 8-16 holidays SE", "public holidays of SE", "LOV-1995-02-24-12"),
    ],
)
async def test_norway_sundays_and_public_holidays_are_hard_rules(
    harness: SlackHarness, sessions: Sessions, spec: str, problem: str, cite: str
) -> None:
    await harness.command("U_ADMIN", "team create Oslo norway-aml", channel="C_OSLO")
    answer = texts(await harness.command("U_ADMIN", f"team hours {spec}", channel="C_OSLO"))
    assert "Not saved:" in answer and problem in answer
    assert cite in answer
    assert await team_hours(sessions, "Oslo") == "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"


async def test_norway_soft_limits_are_saved_with_a_warning(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_ADMIN", "team create Oslo norway-aml", channel="C_OSLO")
    answer = texts(await harness.command("U_ADMIN", "team hours mon-fri 07-17", channel="C_OSLO"))
    assert "Saved." in answer
    assert "Working hours on Monday come to 10 h, more than 9 h a day." in answer
    assert "Not saved" not in answer
    assert await team_hours(sessions, "Oslo") == "mon-fri 07:00-17:00 tz Europe/Oslo"


async def test_portugal_hours_inside_a_rest_period_are_refused_in_norwegian_too(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_ADMIN", "team create Lisboa portugal-199a", channel="C_LISBOA")
    await harness.command("U_ADMIN", "team leader add <@U_KARI|kari>", channel="C_LISBOA")
    every_day = texts(
        await harness.command("U_ADMIN", "team hours daily 09-18", channel="C_LISBOA")
    )
    assert "Not saved: The longest rest in the week is 15 h" in every_day
    assert "art. 199.º-A" in every_day and "art. 232.º" in every_day
    long_days = texts(
        await harness.command("U_KARI", "team hours man-fre 07-22", channel="C_LISBOA")
    )
    assert "Ikke lagret: I løpet av 24 timer fra mandag 07:00 er den lengste hvilen 9 t" in (
        long_days
    )
    assert "Teamet følger malen Portugal – arbeidsloven art. 199.º-A" in long_days
    assert "art. 214.º n.º 1" in long_days
    assert await team_hours(sessions, "Lisboa") == (
        "mon-fri 09:00-13:00 14:00-18:00 tz Europe/Lisbon holidays PT"
    )
