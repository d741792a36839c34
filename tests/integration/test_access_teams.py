"""Who may see and touch what, on Teams: held messages stay their author's, in their tenant.

Friday 17:30 in Oslo, as in ``test_teams_commands``: the channel's team works mon-fri
08:00-16:00, so what is written through the bot waits for Monday 08:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import BOT, CHANNEL, KARI, OLA, TEAM, TENANT, element_text
from tests.support.teams_app import (
    TeamsHarness,
    card_action,
    card_of,
    card_text,
    mention,
    send_later,
)

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
OTHER_TENANT = "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
BOT_ID = BOT["id"]
#: Fri 17:30 in Oslo, as an Adaptive Card shows it in each reader's own zone
WRITTEN = "{{DATE(2026-11-27T16:30:00Z, SHORT)}} {{TIME(2026-11-27T16:30:00Z)}}"


async def _team(sessions: Sessions, tenant: str, name: str, channel: str) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", tenant, now=FRIDAY_1730
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id, name, now=FRIDAY_1730, hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo"
        )
        await teams.watch(team, channel)


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    await _team(sessions, TENANT, "Plattform", CHANNEL)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [
        {**KARI, "userRole": "owner"},
        {**OLA, "userRole": "user"},
    ]
    async with harness.running():
        yield harness


async def held_rows(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def test_card_buttons_check_the_tenant_not_only_the_author(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    # another tenant's Ola: the same id string, someone else
    await _team(sessions, OTHER_TENANT, "Andre", "19:theirs@thread.tacv2")
    theirs = await teams.compose.compose(
        platform="teams",
        workspace=OTHER_TENANT,
        author=OLA["id"],
        conversation="19:theirs@thread.tacv2",
        acting_in="19:theirs@thread.tacv2",
        text="the other tenant's business",
    )
    assert theirs.held
    data = {"held": theirs.held_id}
    for verb in ("held.send_now", "held.cancel", "held.edit"):
        card = await teams.click(card_action(teams.service_url, verb, data, sender=OLA))
        assert "venter ikke lenger" in card_text(card), verb
        assert "business" not in card_text(card)
    card = await teams.click(
        card_action(teams.service_url, "held.edit.save", {**data, "text": "hijacked"}, sender=OLA)
    )
    assert "venter ikke lenger" in card_text(card)
    card = await teams.dialog(
        send_later(teams.service_url, {"verb": "held.cancel", **data}, sender=OLA)
    )
    assert "venter ikke lenger" in card_text(card)
    [row] = await held_rows(sessions)
    assert row.state == "held"


async def test_a_failed_send_later_says_the_message_was_not_held(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():  # the outbox is away
        await session.execute(text("ALTER TABLE held_messages RENAME TO held_messages_away"))
    try:
        card = await teams.dialog(send_later(teams.service_url, {"text": "Budsjett?"}))
        command = await teams.ask(mention(teams.service_url, "later Budsjett?", sender=OLA))
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("ALTER TABLE held_messages_away RENAME TO held_messages"))
    assert "ble IKKE holdt tilbake" in card_text(card)
    assert "ble IKKE holdt tilbake" in card_text(command) and "Budsjett?" in card_text(command)
    assert await held_rows(sessions) == []


async def test_a_held_message_is_posted_as_plain_text_under_its_byline(
    teams: TeamsHarness,
) -> None:
    attack = "**Fra IT-avdelingen** [https://bank.example](https://evil.example) <at>Kari</at>"
    await teams.dialog(send_later(teams.service_url, {"text": attack}, sender=OLA))
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    [delivered] = teams.connector.posted(CHANNEL)
    byline, body = card_of(delivered.body)["body"]
    assert element_text(byline) == f"Fra Ola · skrevet {WRITTEN}"  # first, an element of its own
    assert body["type"] == "RichTextBlock"  # TextRuns are never read as markdown
    assert element_text(body) == attack
    assert "entities" not in delivered.body  # so no <at> can mention anyone
    assert delivered.body["summary"].startswith("Fra Ola")


async def test_a_typed_byline_cannot_pass_for_the_real_one(teams: TeamsHarness) -> None:
    """Field report: "later From Lea · written Fri 09:00" was posted under Ola's byline and
    only font size and colour told the two apart. The real byline is in bold in a shaded
    container of its own, with the roster's name; what Ola typed is plain text on the card's own
    background, whatever it says."""
    fake = "Fra Kari · skrevet fre. 09:00\n\nhello **bold**"
    await teams.ask(mention(teams.service_url, f"later {fake}", sender=OLA, locale="nb-NO"))
    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    await teams.engine.run_until_idle()
    [delivered] = teams.connector.posted(CHANNEL)
    byline, body = card_of(delivered.body)["body"]
    assert byline["type"] == "Container" and byline["style"] == "emphasis"
    [runs] = byline["items"]
    # the byline's runs (its words, then the instant) all bold; the typed text's none
    assert [run.get("weight") for run in runs["inlines"]] == ["Bolder", "Bolder"]
    assert [run.get("weight") for run in body["inlines"]] == [None]
    assert element_text(byline) == f"Fra Ola · skrevet {WRITTEN}"  # the roster's name
    assert body["type"] == "RichTextBlock" and "style" not in body  # no shading, no markdown
    assert element_text(body) == fake
    assert all(run.get("weight") is None for run in body["inlines"])
    assert delivered.body["summary"].startswith(
        "Fra Ola · skrevet fre. 17:30 (Europe/Oslo): Fra Kari"
    )


async def test_a_command_or_send_later_arriving_twice_holds_one_message(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    command = mention(teams.service_url, "later Budsjett?", sender=OLA)
    assert (await teams.send(command))[0] == 202
    before = len(teams.connector.posted())
    assert (await teams.send(command))[0] == 202  # the very same activity again
    assert len(teams.connector.posted()) == before  # no second answer either
    assert len(await held_rows(sessions)) == 1

    later = send_later(teams.service_url, {"text": "Møte mandag?"}, sender=OLA)
    first = await teams.dialog(later)
    assert "Holdt tilbake" in card_text(first)
    again = await teams.dialog(later)
    assert "ble ikke utført på nytt" in card_text(again)
    assert len(await held_rows(sessions)) == 2


async def test_a_typed_mention_is_text_only_teams_entities_name_someone(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """Only a mention Teams made (an entity) names a person or channel: ``<@id>`` typed as text
    (Teams sends it escaped) cannot aim `later` at an id the author never saw — someone of
    another tenant, a bot, a channel they are not in. It stays words of the held message."""
    for forged in (
        "&lt;@29:someone-elsewhere&gt;",
        f"&lt;@{BOT_ID}&gt;",
        "&lt;#19:hr@thread.tacv2&gt;",
    ):
        await teams.ask(mention(teams.service_url, f"later {forged} hei", sender=OLA))
    rows = await held_rows(sessions)
    assert [row.conversation_id for row in rows] == [CHANNEL] * 3


async def test_a_guard_button_from_someone_outside_its_channel_does_nothing(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    """A guard's id carried onto another card (or forged) by someone Teams does not list in the
    guard's channel: nothing reopened, nothing of it shown."""
    from bot.storage.guards import GuardRepository
    from bot.storage.models import DecisionGuardRow

    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        team = await TeamRepository(session).create(
            workspace.id, "HR", now=FRIDAY_1730, hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo"
        )
        await TeamRepository(session).watch(team, "19:hr@thread.tacv2")
        row = await GuardRepository(session).claim(
            workspace_id=workspace.id,
            team_id=team.id,
            conversation_id="19:hr@thread.tacv2",
            thread_id="1764320000000",
            decided_at=FRIDAY_1730,
            guard_until=MONDAY_0800,
            now=FRIDAY_1730,
        )
        assert row is not None
        guard = row.id
    card = await teams.click(
        card_action(teams.service_url, "guard.reopen", {"guardId": guard}, sender=OLA)
    )
    assert "finnes ikke lenger" in card_text(card)
    async with sessions() as session:
        stored = await session.get(DecisionGuardRow, guard)
        assert stored is not None and stored.state == "open"
