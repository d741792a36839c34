"""A whole week from a fresh install, on Slack and on Teams: nobody sets anything up.

Friday 17:00 in Oslo the app is installed (Slack: the OAuth install; Teams: added to a team) by
someone whose platform says Europe/Oslo and nb-NO. At 22:00 a colleague writes `later` in a
channel no team covers: held by the workspace default, not delivered on Saturday nor at 07:59 on
Monday, delivered once at Monday 08:00. During Monday's hours the same command goes out at once.
The installer was welcomed once, whatever happened in between.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.storage.models import HeldMessageRow
from tests.contract.test_protected_by_default import Fresh, Sessions
from tests.contract.test_protected_by_default import fresh as fresh  # the fixture, both platforms

FRIDAY_1700 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
FRIDAY_2200 = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
SATURDAY_1200 = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
SUNDAY_2000 = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
MONDAY_0759 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MONDAY_1000 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

# slack-sdk sends the client credentials with aiohttp's BasicAuth, which aiohttp now deprecates
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def test_a_fresh_install_protects_the_weekend_with_no_setup(
    fresh: Fresh, sessions: Sessions
) -> None:
    fresh.set_clock(FRIDAY_1700)
    await fresh.install(tz="Europe/Oslo", locale="nb-NO")
    assert len(fresh.welcomes()) == 1

    fresh.set_clock(FRIDAY_2200)
    answer = await fresh.command(fresh.colleague, "later Kan vi ta en prat på mandag?")
    assert "Holdt tilbake" in answer and "man. 08:00" in answer
    for instant in (SATURDAY_1200, SUNDAY_2000, MONDAY_0759):
        fresh.set_clock(instant)
        await fresh.run_delivery()
        assert fresh.delivered() == [], instant

    fresh.set_clock(MONDAY_0800)
    await fresh.run_delivery()
    await fresh.run_delivery()  # a second pass finds nothing left to send
    [monday] = fresh.delivered()
    assert "Kan vi ta en prat på mandag?" in monday

    fresh.set_clock(MONDAY_1000)
    now = await fresh.command(fresh.colleague, "later Nå er vi på jobb")
    assert "Levert nå" in now
    await fresh.run_delivery()
    assert any("Nå er vi på jobb" in text for text in fresh.delivered())
    async with sessions() as session:
        states = sorted((await session.scalars(select(HeldMessageRow.state))).all())
    assert states == ["delivered", "delivered"]
    assert len(fresh.welcomes()) == 1
