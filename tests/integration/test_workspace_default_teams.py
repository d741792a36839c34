"""The tenant default on Teams as a card: the welcome and `workspace` carry a form to change it.

Real HTTP through the Agents SDK against the fake Bot Connector; every card is checked against
Microsoft's Adaptive Card 1.5 schema by the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import WorkspaceDefaultRow
from tests.support.teams import KARI, OLA, installation_update
from tests.support.teams_app import TeamsHarness, card_action, card_text, personal

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_2200_OSLO)
    async with harness.running():
        yield harness


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    return {e["id"]: e.get("value") for e in card.get("body") or [] if "id" in e}


async def default(sessions: Sessions) -> WorkspaceDefaultRow:
    async with sessions() as session:
        return (await session.scalars(select(WorkspaceDefaultRow))).one()


async def test_the_welcome_and_workspace_cards_carry_the_form_and_save_it(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    status, _ = await teams.send(installation_update(teams.service_url, scope="personal"))
    assert status == 202
    [welcome] = teams.connector.posted()
    card = welcome.body["attachments"][0]["content"]
    assert inputs(card) == {
        "preset": "norway-aml",
        "tz": "Europe/Oslo",
        "country": "NO",
        "mode": "hold",
        "confirm": "",  # "Yes, turn protection off": off by default
    }
    assert "alle er beskyttet" in card_text(card)
    assert teams.connector.violations == []

    shown = await teams.ask(personal(teams.service_url, "workspace", sender=OLA))
    assert inputs(shown)["preset"] == "norway-aml"  # anyone may look

    form = {"preset": "office-standard", "tz": "America/New_York", "country": "us", "mode": "off"}
    refused = await teams.click(
        card_action(teams.service_url, "workspace.save", form, sender=OLA, channel=None)
    )
    assert "Bare en administrator" in card_text(refused)
    assert (await default(sessions)).preset == "norway-aml"

    bad = await teams.click(
        card_action(
            teams.service_url, "workspace.save", {**form, "tz": "Mars/Olympus"}, channel=None
        )
    )
    assert "ikke en tidssone" in card_text(bad)
    assert (await default(sessions)).preset == "norway-aml"  # nothing half saved

    # off, as for `workspace mode off`, only with its explicit confirmation
    unconfirmed = await teams.click(
        card_action(teams.service_url, "workspace.save", form, sender=KARI, channel=None)
    )
    assert "Kryss av for «Ja, slå av beskyttelsen»" in card_text(unconfirmed)
    assert unconfirmed["body"][0]["color"] == "Attention"
    assert (await default(sessions)).mode == "hold"
    form["confirm"] = "confirm"
    saved = await teams.click(
        card_action(teams.service_url, "workspace.save", form, sender=KARI, channel=None)
    )
    assert "Beskyttelsen er slått av" in card_text(saved)
    row = await default(sessions)
    assert (row.preset, row.tz, row.country, row.mode, row.changed_by) == (
        "office-standard",
        "America/New_York",
        "US",
        "off",
        KARI["id"],
    )
