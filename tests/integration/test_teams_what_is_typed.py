"""Teams: what people type, and where a team may be made, as on Slack (over real HTTP).

Friday 17:30 in Oslo; the channel's team (Plattform, Mon–Fri 08–16) is off. Text with nothing
visible is empty; a held card's bad id reads as gone; a team is made of channels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.i18n import translate
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, HeldMessageRow, TeamRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    GENERAL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    channel_message,
    group_message,
)
from tests.support.teams_app import (
    TeamsHarness,
    buttons,
    card_action,
    card_text,
    mention,
    personal,
    send_later,
)
from tests.support.waiting import until_async

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
INVISIBLE = ("\u200b\u200b", "\u200d\ufeff\u2060", "\u200c")


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
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "owner"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


async def held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


@pytest.mark.parametrize("blank", INVISIBLE)
async def test_invisible_text_is_empty_in_commands_and_send_later(
    teams: TeamsHarness, sessions: Sessions, blank: str
) -> None:
    for verb in ("later", "urgent"):
        card = await teams.ask(mention(teams.service_url, f"{verb} {blank}", sender=OLA))
        assert not buttons(card), card_text(card)
    dialog = await teams.dialog(send_later(teams.service_url, {"text": blank}, sender=OLA))
    assert card_text(dialog) == translate("teams.compose.empty", "nb")
    assert await held(sessions) == []


@pytest.mark.parametrize("bad", ["00000000-0000-0000-0000-000000000000", "zzz"])
async def test_a_held_card_with_an_unknown_id_reads_as_gone(teams: TeamsHarness, bad: str) -> None:
    for verb in ("held.send_now", "held.cancel", "held.edit"):
        card = await teams.click(
            card_action(teams.service_url, verb, {"held": bad}, sender=OLA, locale="en")
        )
        assert card_text(card) == translate("held.gone", "en"), verb


async def _teams(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return sorted((await session.scalars(select(TeamRow.name))).all())


async def test_a_team_is_not_created_in_a_personal_or_group_chat(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    card = await teams.ask(personal(teams.service_url, "team create DMTeam", locale="en"))
    assert "not direct messages or group DMs" in card_text(card), card_text(card)
    before = len(teams.connector.posted())
    status, _ = await teams.send(group_message(teams.service_url, "team create Gruppe"))
    assert status == 202
    said = " ".join(str(reply.body) for reply in teams.connector.posted()[before:])
    assert "not direct messages or group DMs" in said, said  # in Kari's language, English
    assert await _teams(sessions) == ["Plattform"]


async def test_watching_a_watched_channel_says_it_already_was(teams: TeamsHarness) -> None:
    card = await teams.ask(mention(teams.service_url, "team watch", sender=KARI, locale="en"))
    assert "was already watched by the team Plattform" in card_text(card), card_text(card)


async def test_later_in_a_label_mode_channel_is_held(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    saved = await teams.ask(mention(teams.service_url, "team mode label", sender=KARI, locale="en"))
    assert "Saved" in card_text(saved), card_text(saved)
    card = await teams.ask(mention(teams.service_url, "later Hei alle sammen", sender=OLA))
    assert "Holdt tilbake" in card_text(card) and "Levert nå" not in card_text(card)
    [row] = await held(sessions)
    assert row.state == "held" and row.deliver_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    await teams.engine.run_until_idle()
    assert [c for c in teams.connector.posted(CHANNEL) if c.reply_to is None] == []


async def test_digest_preview_lists_only_this_channels_threads(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("teams", TENANT)
        assert workspace is not None
        team = await TeamRepository(session).by_name(workspace.id, "Plattform")
        assert team is not None
        await TeamRepository(session).watch(team, GENERAL)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    teams.clock.set(saturday)
    for channel, words in ((CHANNEL, "Release mandag?"), (GENERAL, "Nytt kontor")):
        activity = channel_message(teams.service_url, words, channel=channel, sender=OLA)
        activity["timestamp"] = "2026-11-28T10:00:00.000Z"
        status, _ = await teams.send(activity)
        assert status in (200, 202)
    teams.clock.set(saturday.replace(hour=11))

    async def stored() -> bool:
        async with sessions() as session:
            return len((await session.scalars(select(ActivityRow))).all()) == 2

    await until_async(stored)
    here = card_text(await teams.ask(mention(teams.service_url, "digest", sender=OLA)))
    assert "Release mandag?" in here and "Nytt kontor" not in here, here
