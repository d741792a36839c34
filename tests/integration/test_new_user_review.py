"""What a new user met in an Oslo workspace (T_ONE), over real HTTP like Slack sends it.

Lea (admin, nb-NO, Oslo), Ola and Kari (nb-NO, Oslo), Per (en-US, New York). The workspace
default is made as in token mode: norway-aml, Europe/Oslo, holidays NO. Friday 27 November
2026, 17:30 in Oslo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.tokens import install_single_workspace
from adapters.slack.welcome import token_mode_default
from bot.clock import FixedClock
from bot.services.onboarding import Onboarding
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, TeamRow
from tests.support.slack import fake_slack
from tests.support.slack_app import SlackHarness, answer_texts

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-t-one"
FRIDAY_1730_OSLO = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    made = fake_slack(bot_token=TOKEN, team_id="T_ONE")
    made.add_user("U_LEA", "Lea", tz="Europe/Oslo", locale="nb-NO", is_admin=True)
    made.add_user("U_OLA", "Ola", tz="Europe/Oslo", locale="nb-NO")
    made.add_user("U_KARI", "Kari", tz="Europe/Oslo", locale="nb-NO")
    made.add_user("U_PER", "Per", tz="America/New_York", locale="en-US")
    made.add_user("U_BOT2", "otherbot", is_bot=True)
    for channel in ("C_PLATFORM", "C_GENERAL"):
        made.add_channel(channel)
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


@pytest.fixture
async def harness(
    slack: FakeSlack, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[SlackHarness]:
    team = await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=slack.url, now=FRIDAY_1730_OSLO
    )
    onboarding = Onboarding(sessions=sessions, clock=FixedClock(FRIDAY_1730_OSLO))
    await token_mode_default(onboarding, team, token=TOKEN, api_url=slack.url)
    made = SlackHarness(
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        slack=slack,
        now=FRIDAY_1730_OSLO,
        team=team,
    )
    async with made.running():
        yield made


async def held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def test_a_team_made_without_a_preset_takes_the_workspace_default(
    harness: SlackHarness, sessions: Sessions
) -> None:
    created = answer_texts(
        await harness.command("U_LEA", "team create Platform", channel="C_PLATFORM")
    )
    assert "tz Europe/Oslo helligdager NO" in created, created  # Lea reads bokmål
    async with sessions() as session:
        team = (await session.scalars(select(TeamRow))).one()
    assert (team.preset, team.hours_spec) == (
        "norway-aml",
        "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
    )
    answer = answer_texts(
        await harness.command("U_OLA", "later platform msg", channel="C_PLATFORM")
    )
    assert "(Europe/Oslo)" in answer and "UTC" not in answer, answer
    [row] = await held(sessions)
    assert row.deliver_at.replace(tzinfo=UTC) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def test_a_named_preset_still_picks_its_own_hours(harness: SlackHarness) -> None:
    created = answer_texts(
        await harness.command("U_LEA", "team create Lisboa portugal-199a", channel="C_GENERAL")
    )
    assert "tz Europe/Lisbon helligdager PT" in created, created
    office = answer_texts(
        await harness.command("U_LEA", "team create Ops office-standard", channel="C_PLATFORM")
    )
    # a preset tied to no place takes the workspace's zone and holidays, never UTC without any
    assert "tz Europe/Oslo helligdager NO" in office, office


async def test_own_hours_keep_the_public_holidays_that_applied(
    harness: SlackHarness, sessions: Sessions
) -> None:
    saved = answer_texts(await harness.command("U_KARI", "hours man–fre 8–16", channel="C_GENERAL"))
    assert "`man-fre 08:00-16:00 tz Europe/Oslo helligdager NO`" in saved, saved
    assert "Helligdagene fra arbeidsområdets standard er beholdt: NO" in saved
    # no zone typed: her known zone, not UTC; a New Yorker keeps his own zone and Norway's days
    per = answer_texts(await harness.command("U_PER", "hours mon-fri 9-17", channel="C_GENERAL"))
    assert "tz America/New_York holidays NO" in per and "the workspace default" in per, per
    # an explicit opt-out
    none = answer_texts(
        await harness.command("U_KARI", "hours man-fre 8-16 helligdager ingen", channel="C_GENERAL")
    )
    assert "`man-fre 08:00-16:00 tz Europe/Oslo`" in none and "beholdt" not in none, none
    # a team's holidays when a team covers her
    await harness.command("U_LEA", "team create Lisboa portugal-199a", channel="C_PLATFORM")
    teamed = answer_texts(
        await harness.command("U_LEA", "hours man-fre 9-17", channel="C_PLATFORM")
    )
    assert "helligdager PT" in teamed and "teamet Lisboa" in teamed, teamed


async def test_where_hours_come_from_is_said_in_the_readers_words(
    harness: SlackHarness,
) -> None:
    kari = answer_texts(await harness.command("U_KARI", "hours", channel="C_GENERAL"))
    assert "følger arbeidsområdets standard" in kari and "workspace default" not in kari, kari
    per = answer_texts(await harness.command("U_PER", "hours", channel="C_GENERAL"))
    assert "follow the workspace default" in per and "the team workspace default" not in per
    await harness.command("U_KARI", "hours man-fre 8-16", channel="C_GENERAL")
    cleared = answer_texts(await harness.command("U_KARI", "hours clear", channel="C_GENERAL"))
    assert "følger arbeidsområdets standard" in cleared and "teamets" not in cleared, cleared


async def test_later_is_held_only_for_a_real_person(
    harness: SlackHarness, slack: FakeSlack, sessions: Sessions
) -> None:
    slack.add_user("U_GONE", "Gone")
    slack.users["U_GONE"]["deleted"] = True
    ghost = answer_texts(
        await harness.command("U_OLA", "later <@U_NOBODY> hi ghost", channel="C_GENERAL")
    )
    assert "`U_NOBODY` er ikke en person i dette arbeidsområdet" in ghost, ghost
    bot = answer_texts(
        await harness.command("U_OLA", "later <@U_BOT2> hi bot", channel="C_GENERAL")
    )
    assert "er en bot eller en app" in bot, bot
    gone = answer_texts(await harness.command("U_OLA", "later <@U_GONE> hi", channel="C_GENERAL"))
    assert "er deaktivert" in gone, gone
    two = answer_texts(
        await harness.command(
            "U_OLA", "later <@U_KARI|kari> <@U_PER|per> to two people", channel="C_GENERAL"
        )
    )
    assert "én person om gangen" in two and "gruppe-DM" in two, two
    assert await held(sessions) == []  # nothing held for anyone
    kari = answer_texts(
        await harness.command("U_OLA", "later <@U_KARI|kari> hei", channel="C_GENERAL")
    )
    assert "Holdt tilbake" in kari, kari
    assert len(await held(sessions)) == 1


async def test_leaders_are_real_people_and_a_team_keeps_one(harness: SlackHarness) -> None:
    await harness.command("U_LEA", "team create Platform", channel="C_PLATFORM")
    nobody = answer_texts(
        await harness.command("U_LEA", "team leader add <@U_NOBODY>", channel="C_PLATFORM")
    )
    assert "`U_NOBODY` er ikke en person" in nobody, nobody
    bot = answer_texts(
        await harness.command("U_LEA", "team leader add <@U_BOT2>", channel="C_PLATFORM")
    )
    assert "bot eller en app" in bot, bot
    alone = answer_texts(
        await harness.command("U_LEA", "team leader remove <@U_LEA>", channel="C_PLATFORM")
    )
    assert "minst én leder" in alone, alone
    shown = answer_texts(await harness.command("U_LEA", "team", channel="C_PLATFORM"))
    assert "<@U_LEA>" in shown and "U_NOBODY" not in shown, shown
    added = answer_texts(
        await harness.command("U_LEA", "team leader add <@U_KARI|kari>", channel="C_PLATFORM")
    )
    assert "<@U_KARI>" in added
    left = answer_texts(
        await harness.command("U_LEA", "team leader remove <@U_LEA>", channel="C_PLATFORM")
    )
    assert "minst én leder" not in left, left  # with Kari leading too, Lea may step down
