"""Days off on Teams over real HTTP: the ``off`` command, its card (two Input.Date fields and
Action.Execute), and a message held for Kari while she is away, delivered at her return.

Friday 27 November 2026, 17:30 in Oslo; Kari works Mon–Fri 08:00–16:00 and is off 30.11–2.12.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow
from tests.integration.test_teams_commands import _team
from tests.support.teams import KARI, OLA, TEAM, card_errors
from tests.support.teams_app import (
    TeamsHarness,
    buttons,
    card_action,
    card_of,
    card_text,
    mention,
    personal,
    personal_chat,
)

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
THURSDAY_0759 = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)
THURSDAY_0800 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
SATURDAY_1000 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    await _team(sessions)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "user"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


def delivered_to(teams: TeamsHarness, person: dict[str, str]) -> list[str]:
    """What the bot posted in its 1:1 chat with ``person`` (the one they wrote in, or one it
    opened proactively)."""
    chats = {personal_chat(person)} | {
        call.answer_id
        for call in teams.connector.calls
        if call.path.endswith("/v3/conversations") and call.status < 300
        if call.body.get("isGroup") is False and call.body["members"] == [{"id": person["id"]}]
    }
    return [
        card_text(card_of(call.body)) if call.body.get("attachments") else str(call.body["text"])
        for chat in sorted(c for c in chats if c)
        for call in teams.connector.posted(chat)
    ]


async def test_the_off_card_and_a_message_held_until_kari_is_back(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(personal(teams.service_url, "hours man-fre 8-16"))
    listed = await teams.ask(personal(teams.service_url, "off"))
    assert "ingen fridager planlagt" in card_text(listed)
    inputs = [b for b in listed["body"] if b["type"] == "Input.Date"]
    assert [i["id"] for i in inputs] == ["off_first", "off_last"]
    assert [(a["type"], a["verb"]) for a in buttons(listed)] == [("Action.Execute", "off.add")]

    # the card's form: its dates come back merged into the action's data
    added = await teams.click(
        card_action(
            teams.service_url,
            "off.add",
            {"off": "off", "off_first": "2026-11-30", "off_last": "2026-12-02"},
            channel=None,
        )
    )
    shown = card_text(added)
    assert "Fridager lagret: man. 30. nov. 2026 – ons. 2. des. 2026" in shown
    assert "tilbake tor. 08:00" in shown
    assert [a["verb"] for a in buttons(added)] == ["off.add", "off.clear"]
    refused = await teams.click(
        card_action(
            teams.service_url,
            "off.add",
            {"off_first": "2026-12-02", "off_last": "2026-11-30"},
            channel=None,
        )
    )
    assert refused["body"][0]["color"] == "Attention"
    assert "Mente du" in card_text(refused)

    held = await teams.ask(
        mention(
            teams.service_url,
            "later <at>Kari</at> Ring meg når du er tilbake",
            sender=OLA,
            others=(KARI,),
            locale="en-GB",
        )
    )
    assert "Thu 08:00 Europe/Oslo" in card_text(held)
    async with sessions() as session:
        [row] = (
            await session.scalars(
                select(HeldMessageRow).where(HeldMessageRow.conversation_id == KARI["id"])
            )
        ).all()
    assert row.deliver_at == THURSDAY_0800

    status = card_text(await teams.ask(personal(teams.service_url, "status")))
    assert "Fridagene dine" in status and "1 melding venter på deg" in status

    for instant in (MONDAY_0800, THURSDAY_0759):
        teams.clock.set(instant)
        await teams.engine.run_until_idle()
        assert not any("Ring meg" in text for text in delivered_to(teams, KARI))
    teams.clock.set(THURSDAY_0800)
    await teams.engine.run_until_idle()
    assert sum("Ring meg når du er tilbake" in text for text in delivered_to(teams, KARI)) == 1


async def test_clear_from_the_card_is_only_the_clickers_own(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(personal(teams.service_url, "off i morgen"))
    await teams.ask(personal(teams.service_url, "off 2026-12-01", sender=OLA, locale="en-GB"))
    cleared = await teams.click(
        card_action(teams.service_url, "off.clear", {"off": "off"}, channel=None)
    )
    assert "Fridagene dine er fjernet" in card_text(cleared)
    async with sessions() as session:
        rows = {row.external_id: row.days_off for row in (await session.scalars(select(PersonRow)))}
    assert rows[KARI["id"]] is None
    assert rows[OLA["id"]] == '["2026-12-01"]'


async def test_outlook_automatic_replies_count_as_days_off_and_clear_leaves_them(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    window = {"timeZone": "W. Europe Standard Time"}
    teams.connector.automatic_replies["7b3f0f9e-66e2-4d2b-9f5a-0c6b8f2b9a11"] = {
        "status": "scheduled",
        "scheduledStartDateTime": {**window, "dateTime": "2026-11-30T00:00:00.0000000"},
        "scheduledEndDateTime": {**window, "dateTime": "2026-12-03T00:00:00.0000000"},
    }
    await teams.ask(personal(teams.service_url, "hours man-fre 8-16"))
    listed = card_text(await teams.ask(personal(teams.service_url, "off")))
    assert "automatiske svar i Outlook" in listed and "tilbake tor. 08:00" in listed
    held = await teams.ask(
        mention(
            teams.service_url, "later <at>Kari</at> Hei", sender=OLA, others=(KARI,), locale="en"
        )
    )
    assert "Thu 08:00 Europe/Oslo" in card_text(held)
    cleared = card_text(await teams.ask(personal(teams.service_url, "off fjern")))
    assert "automatiske svar i Outlook" in cleared  # Outlook's are changed in Outlook


async def test_the_settings_card_adds_days_off_with_its_two_date_fields(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(personal(teams.service_url, "innstillinger"))
    assert card_errors(card) == []
    dates = [e["id"] for e in card["body"] if e.get("type") == "Input.Date"]
    assert dates == ["off_first", "off_last"]
    [add] = [a for a in buttons(card) if a["verb"] == "settings.off.add"]
    assert add.get("associatedInputs") != "none"  # the dates go with the click
    again = await teams.click(
        card_action(
            teams.service_url,
            "settings.off.add",
            {"off": "off", "off_first": "2026-12-21", "off_last": "2027-01-03"},
            channel=None,
        )
    )
    assert card_errors(again) == []
    shown = card_text(again)
    assert "Fridager lagret: man. 21. des. 2026 – søn. 3. jan. 2027" in shown
    assert "(14 dager)" in shown  # and the refreshed card lists them
    async with sessions() as session:
        kari = await session.scalar(select(PersonRow).where(PersonRow.external_id == KARI["id"]))
    assert kari is not None and kari.days_off is not None and "2027-01-03" in kari.days_off


async def test_the_daily_refresh_reads_outlook_automatic_replies_set_after_first_sight(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """Outlook's automatic replies are read with the rest of a person's platform defaults, at
    first sight and again by the daily refresh job (the same batch and limits): an absence Kari
    schedules on Saturday moves what is held for her to her return, with nobody typing a
    command."""
    await teams.ask(personal(teams.service_url, "hours man-fre 8-16"))
    held = await teams.ask(
        mention(
            teams.service_url, "later <at>Kari</at> Hei", sender=OLA, others=(KARI,), locale="en"
        )
    )
    assert "Mon 08:00 Europe/Oslo" in card_text(held)
    window = {"timeZone": "W. Europe Standard Time"}
    teams.connector.automatic_replies["7b3f0f9e-66e2-4d2b-9f5a-0c6b8f2b9a11"] = {
        "status": "scheduled",
        "scheduledStartDateTime": {**window, "dateTime": "2026-11-30T00:00:00.0000000"},
        "scheduledEndDateTime": {**window, "dateTime": "2026-12-03T00:00:00.0000000"},
    }
    teams.clock.set(SATURDAY_1000)
    await teams.defaults.refresh_stale()  # read within the day: not yet
    assert [row.deliver_at for row in await _held(sessions)] == [MONDAY_0800]
    teams.clock.set(SATURDAY_1000.replace(hour=20))  # over a day since: due again
    assert await teams.defaults.refresh_stale() >= 1
    async with sessions() as session:
        kari = await session.scalar(select(PersonRow).where(PersonRow.external_id == KARI["id"]))
    assert kari is not None and kari.outlook_away is not None
    assert [row.deliver_at for row in await _held(sessions)] == [THURSDAY_0800]
    listed = card_text(await teams.ask(personal(teams.service_url, "off")))
    assert "automatiske svar i Outlook" in listed


async def _held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())
