"""The Teams settings card (App Home's counterpart) over real HTTP against a fake Bot Connector.

Friday 17:30 in Oslo. Kari leads the team *Plattform*; Ola does not. ``innstillinger`` in the
1:1 chat answers with one card; each button on it is answered with the same card, updated, as
the invoke response (it refreshes in place: nothing new is posted), and only ever for the
person who clicked: their own hours, their own held messages, the teams they lead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow, TeamRow
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    card_errors,
    channel_message,
    installation_update,
)
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
Json = dict[str, Any]
DEFAULT_FORM = ("preset", "tz", "country", "mode", "confirm")


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        repository = TeamRepository(session)
        team = await repository.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await repository.watch(team, CHANNEL)
        kari = await PersonRepository(session).get_or_create(
            workspace.id, KARI["id"], now=FRIDAY_1730, display_name="Kari"
        )
        await repository.add_leader(team.id, kari.id)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "user"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


def _verbs(card: Json) -> list[str]:
    return [str(action.get("verb")) for action in buttons(card)]


def _inputs(card: Json) -> dict[str, Json]:
    return {e["id"]: e for e in card["body"] if str(e.get("type", "")).startswith("Input.")}


async def _held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def _settings(teams: TeamsHarness, who: Json, locale: str = "nb-NO") -> Json:
    card = await teams.ask(personal(teams.service_url, "innstillinger", sender=who, locale=locale))
    assert card_errors(card) == []
    return card


async def _click(teams: TeamsHarness, verb: str, data: Json, who: Json) -> Json:
    before = len(teams.connector.posted())
    card = await teams.click(card_action(teams.service_url, verb, data, sender=who, channel=None))
    assert card_errors(card) == []
    assert len(teams.connector.posted()) == before  # replaced in place, nothing new posted
    return card


async def test_the_settings_card_shows_my_hours_my_held_messages_and_my_team_in_bokmal(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(mention(teams.service_url, "later Møte mandag?", sender=KARI))
    [row] = await _held(sessions)
    card = await _settings(teams, KARI)
    text = card_text(card)
    assert "Min arbeidstid" in text and "Møte mandag?" in text
    assert _inputs(card)["hours"]["label"].startswith("Min arbeidstid (for eksempel")
    assert _inputs(card)["team_hours_0"]["label"] == "Arbeidstiden til Plattform (du leder teamet)"
    assert card["refresh"]["userIds"] == [KARI["id"]]  # everyone else gets their own view
    assert card["refresh"]["action"]["verb"] == "settings.refresh"
    assert _verbs(card) == [
        "settings.hours",
        "settings.off.add",  # days off: two date fields (tests/integration/test_teams_days_off.py)
        "settings.held.send_now",
        "settings.held.cancel",
        "settings.team_hours",
        "settings.workspace.save",  # the tenant default's form, as on the `workspace` card
    ]
    assert buttons(card)[2]["data"] == {"held": row.id}
    assert set(_inputs(card)) == {"hours", "off_first", "off_last", "team_hours_0", *DEFAULT_FORM}
    assert _inputs(card)["team_hours_0"]["value"] == "man-fre 08:00-16:00 tz Europe/Oslo"

    # Ola leads nothing and holds nothing: no team field, none of Kari's messages
    theirs = await _settings(teams, OLA, locale="en-GB")
    assert "Møte mandag?" not in card_text(theirs)
    assert set(_inputs(theirs)) == {"hours", "off_first", "off_last", *DEFAULT_FORM}
    assert theirs["refresh"]["userIds"] == [OLA["id"]]
    assert "My hours" in card_text(theirs)


async def test_saving_my_hours_refreshes_the_card_in_place(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await _settings(teams, OLA, locale="en-GB")
    card = await _click(teams, "settings.hours", {"hours": "mon-thu 09:00-15:00"}, OLA)
    assert "Saved" in card_text(card)
    assert "mon-thu 09:00-15:00" in card_text(card)
    async with sessions() as session:
        ola = (
            await session.scalars(select(PersonRow).where(PersonRow.external_id == OLA["id"]))
        ).one()
    assert ola.hours_spec is not None and ola.hours_spec.startswith("mon-thu 09:00-15:00")

    refused = await _click(teams, "settings.hours", {"hours": "whenever I like"}, OLA)
    assert refused["body"][0].get("color") == "Attention"
    empty = await _click(teams, "settings.hours", {"hours": "  "}, OLA)
    assert "Write the hours first" in card_text(empty)

    again = await _click(teams, "settings.refresh", {}, OLA)
    assert "mon-thu 09:00-15:00" in card_text(again)
    assert again["refresh"]["userIds"] == [OLA["id"]]


async def test_held_messages_are_cancelled_from_the_card_by_their_author_only(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(mention(teams.service_url, "later Møte mandag?", sender=KARI))
    [row] = await _held(sessions)

    # Ola forges Kari's button: refused, the message stays held, Ola's own card comes back
    forged = await _click(teams, "settings.held.cancel", {"held": row.id}, OLA)
    assert forged["refresh"]["userIds"] == [OLA["id"]]
    # it reads as gone, exactly as an id that never existed does: nothing tells it exists
    unknown = await _click(
        teams, "settings.held.cancel", {"held": "00000000-0000-4000-8000-000000000000"}, OLA
    )
    assert "venter ikke lenger" in forged["body"][0]["text"]
    assert forged["body"][0] == unknown["body"][0]
    [still] = await _held(sessions)
    assert still.state == "held"

    card = await _click(teams, "settings.held.cancel", {"held": row.id}, KARI)
    assert "Avbrutt" in card_text(card)
    assert "Møte mandag?" not in card_text(card)
    assert "settings.held.cancel" not in _verbs(card)
    [gone] = await _held(sessions)
    assert gone.state == "cancelled"


async def test_only_a_leader_changes_the_team_hours_from_the_card(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    assert (await teams.send(channel_message(teams.service_url, sender=OLA)))[0] == 202
    forged = {"team": "Plattform", "field": "team_hours_0", "team_hours_0": "mon-sun 00:00-23:59"}
    refused = await _click(teams, "settings.team_hours", forged, OLA)
    assert refused["body"][0].get("color") == "Attention"

    data = {"team": "Plattform", "field": "team_hours_0", "team_hours_0": "man-fre 07-15"}
    card = await _click(teams, "settings.team_hours", data, KARI)
    assert _inputs(card)["team_hours_0"]["value"].startswith("man-fre 07:00-15:00")
    async with sessions() as session:
        team = (await session.scalars(select(TeamRow))).one()
    assert team.hours_spec.startswith("mon-fri 07:00-15:00")


async def test_the_tenant_default_form_on_the_card_refuses_who_may_not_change_it(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(personal(teams.service_url, "status", sender=OLA, locale="en-GB"))
    card = await _settings(teams, OLA, locale="en-GB")
    form = {name: _inputs(card)[name]["value"] for name in DEFAULT_FORM}
    refused = await _click(teams, "settings.workspace.save", {**form, "mode": "off"}, OLA)
    assert refused["body"][0].get("color") == "Attention"
    assert refused["refresh"]["userIds"] == [OLA["id"]]
    assert _inputs(refused)["mode"]["value"] == form["mode"]  # unchanged


async def test_someone_adding_the_app_for_themselves_is_greeted_with_their_settings_card(
    teams: TeamsHarness,
) -> None:
    url = teams.service_url
    assert (await teams.send(installation_update(url, scope="personal")))[0] == 202
    [welcome] = teams.connector.posted()  # the tenant's first install: the welcome card
    assert "refresh" not in card_of(welcome.body)
    theirs = installation_update(url, scope="personal")
    theirs["from"] = {"id": OLA["id"]}
    theirs["conversation"]["id"] = personal_chat(OLA)
    assert (await teams.send(theirs))[0] == 202
    [greeting] = teams.connector.posted()[1:]
    assert greeting.conversation == personal_chat(OLA)
    card = card_of(greeting.body)
    assert card_errors(card) == []
    assert card["refresh"]["userIds"] == [OLA["id"]]
    assert "Min arbeidstid" in card_text(card)
    upgrade = {**theirs, "id": "1:upgrade", "action": "add-upgrade"}
    assert (await teams.send(upgrade))[0] == 202
    assert len(teams.connector.posted()) == 2  # an upgrade greets no one again


async def test_a_leader_who_left_the_team_no_longer_changes_its_hours_from_the_card(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """The card acts in one of the team's channels from the 1:1 chat: Teams is asked whether
    the leader is still a member there, as a Slack command typed in a channel is."""
    assert (await teams.send(channel_message(teams.service_url, sender=OLA)))[0] == 202
    teams.connector.members[TEAM] = [{**OLA, "userRole": "owner"}]  # Kari left the team
    data = {"team": "Plattform", "field": "team_hours_0", "team_hours_0": "man-fre 07-15"}
    refused = await _click(teams, "settings.team_hours", data, KARI)
    assert refused["body"][0].get("color") == "Attention"
    assert "Du er ikke (lenger) medlem av teamet Plattform i Teams" in card_text(refused)
    async with sessions() as session:
        team = (await session.scalars(select(TeamRow))).one()
    assert team.hours_spec == "mon-fri 08:00-16:00 tz Europe/Oslo"
