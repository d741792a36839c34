"""Two Teams tenants side by side on one bot, signed as Teams signs, and `urgent` on Teams.

Tenant A has the team *Plattform* (mon-fri 08:00-16:00 in Oslo); tenant B is another customer
whose people may even carry the same ids. On Friday evening Ola (A) holds a message, and
someone in B presses the buttons with its id: nothing in A changes, nothing of A is shown in
B, and on Monday A's message goes to A's channel only. Ola's `urgent` goes out at once, visibly
marked, and `me` counts it.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from microsoft_agents.hosting.core import JwtTokenValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, WorkspaceRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import CHANNEL, KARI, OLA, TEAM, TENANT, SigningKeys
from tests.support.teams_app import (
    TeamsHarness,
    card_action,
    card_text,
    mention,
    personal,
)

Sessions = async_sessionmaker[AsyncSession]
Json = dict[str, Any]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
OTHER = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"
CHANNEL_B = "19:0d6c2f3e4b5a49c8b7a6e5d4c3b2a190@thread.tacv2"


def in_tenant(activity: Json, tenant: str, channel: str | None = None) -> Json:
    """The same activity as it would arrive from another tenant (and channel)."""
    moved = copy.deepcopy(activity)
    moved["conversation"]["tenantId"] = tenant
    moved["channelData"]["tenant"] = {"id": tenant}
    if channel is not None:
        conversation = moved["conversation"]
        conversation["id"] = conversation["id"].replace(CHANNEL, channel)
        data = moved["channelData"]
        data.update({"teamsChannelId": channel, "channel": {"id": channel}})
        data["team"] = {"id": channel, "name": "Kunde B", "aadGroupId": OTHER}
        data["teamsTeamId"] = channel
    return moved


@pytest.fixture
async def teams(
    engine: AsyncEngine,
    sessions: Sessions,
    cipher: Cipher,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TeamsHarness]:
    keys = SigningKeys()
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", keys)
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
    harness = TeamsHarness(
        engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730, keys=keys
    )
    harness.connector.members[TEAM] = [{**KARI, "userRole": "owner"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


async def _held(sessions: Sessions) -> list[HeldMessageRow]:
    async with sessions() as session:
        return list((await session.scalars(select(HeldMessageRow))).all())


async def test_a_tenant_cannot_see_or_act_on_another_tenants_held_message(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    url = teams.service_url
    await teams.ask(mention(url, "later Budsjettet til mandag", sender=OLA, locale="en"))
    [held] = await _held(sessions)
    # B writes with the very same user id as Ola: a different person in a different tenant
    status = await teams.ask(in_tenant(personal(url, "status", sender=OLA, locale="en"), OTHER))
    assert "Budsjettet" not in card_text(status)
    settings = await teams.ask(in_tenant(personal(url, "settings", sender=OLA), OTHER))
    assert "Budsjettet" not in card_text(settings)
    for verb in ("held.cancel", "held.send_now", "settings.held.cancel", "held.edit"):
        click = in_tenant(card_action(url, verb, {"held": held.id}, sender=OLA), OTHER)
        card = await teams.click(click)
        assert "Budsjettet" not in card_text(card)
    [still] = await _held(sessions)
    assert (still.state, still.deliver_at) == ("held", MONDAY_0800)
    assert not any("Budsjettet" in str(c.body) for c in teams.connector.posted(CHANNEL))

    # B holds its own message in its own channel; each tenant's rows are its own
    await teams.ask(
        in_tenant(mention(url, "later Kunde B sin melding", sender=KARI), OTHER, CHANNEL_B)
    )
    async with sessions() as session:
        tenants = {row.id: row.external_id for row in await session.scalars(select(WorkspaceRow))}
    where = {(tenants[row.workspace_id], row.conversation_id) for row in await _held(sessions)}
    assert (TENANT, CHANNEL) in where
    assert all(conversation != CHANNEL for tenant, conversation in where if tenant == OTHER)

    teams.clock.set(MONDAY_0800)
    await teams.engine.run_until_idle()
    into_a = [str(c.body) for c in teams.connector.posted(CHANNEL)]
    into_b = [str(c.body) for c in teams.connector.posted(CHANNEL_B)]
    assert sum("Budsjettet til mandag" in body for body in into_a) == 1
    assert not any("Budsjettet" in body for body in into_b)
    assert not any("Kunde B sin melding" in body for body in into_a)


async def test_urgent_goes_out_at_once_marked_and_me_counts_it(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    before = len(teams.connector.posted(CHANNEL))
    card = await teams.ask(mention(teams.service_url, "urgent Produksjon er nede!", sender=OLA))
    assert "Sendt nå som hastesak" in card_text(card)
    await teams.engine.run_until_idle()
    [posted] = [
        c for c in teams.connector.posted(CHANNEL)[before:] if "Produksjon er nede!" in str(c.body)
    ]
    assert posted.body.get("importance") == "high"
    assert "Haster" in str(posted.body["attachments"])
    assert all(row.state != "held" for row in await _held(sessions))
    teams.clock.set(FRIDAY_1730 + timedelta(minutes=5))
    mine = await teams.ask(personal(teams.service_url, "meg", sender=OLA))
    assert "Hastemarkeringer brukt: 1" in card_text(mine)
