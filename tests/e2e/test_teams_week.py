"""A whole week in one Teams tenant, driven only the way Teams drives the app: JWT-signed HTTP.

The app is added to a team. Kari sets her hours in her chat with the bot; Friday 17:30 Ola holds
a message for her with ``@Quiet Hours later @Kari …`` → delivered in her chat Monday 08:00,
once, naming Ola. The team's leader changes its hours → the next decision follows them. Forged
and expired tokens are refused with 401 and leave no trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core import JwtTokenValidator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import ConversationRow, HeldMessageRow
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TENANT,
    SigningKeys,
    installation_update,
)
from tests.support.teams_app import (
    OUTBOUND,
    TeamsHarness,
    card_of,
    card_text,
    mention,
    personal,
    personal_chat,
)

Sessions = async_sessionmaker[AsyncSession]
LEA = {"id": "29:1Lea8Fkx7p93MZlBFS71swTB9juQOCfnXf2L3wxOUITCcIGpFcRX", "name": "Lea"}
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0759 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
TUESDAY_1530 = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> SigningKeys:
    keys = SigningKeys()
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", keys)
    return keys


@pytest.fixture
async def week(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, keys: SigningKeys
) -> AsyncIterator[TeamsHarness]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=FRIDAY_1730
        )
        lea = await PersonRepository(session).get_or_create(
            workspace.id, LEA["id"], now=FRIDAY_1730, display_name="Lea"
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            mode="label",
            locale="nb",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        )
        await teams.watch(team, CHANNEL)
        await teams.add_leader(team.id, lea.id)
    harness = TeamsHarness(
        engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730, keys=keys
    )
    async with harness.running():
        yield harness


async def test_a_week_in_teams(week: TeamsHarness) -> None:
    service_url = week.service_url
    status, _ = await week.send(installation_update(service_url))
    assert status == 202

    # Kari sets her hours; Friday 17:30 Ola writes to her through the bot, in the channel.
    hours = await week.ask(personal(service_url, "hours man-fre 8-16 helligdager NO"))
    assert "Lagret." in card_text(hours)
    held = await week.ask(
        mention(
            service_url,
            "later <at>Kari</at> Kan du se på kontrakten?",
            sender=OLA,
            others=(KARI,),
            locale="en-GB",
        )
    )
    assert "Held. It will be delivered Mon 08:00 Europe/Oslo." in card_text(held)
    kari_chat = personal_chat(KARI)
    await week.engine.run_until_idle()
    assert week.connector.posted(kari_chat)[-1].body["summary"].startswith("Lagret.")

    # Monday 07:59: still nothing. 08:00: delivered once, in Kari's chat, naming Ola.
    answers = len(week.connector.posted(kari_chat))
    week.clock.set(MONDAY_0759)
    await week.engine.run_until_idle()
    assert len(week.connector.posted(kari_chat)) == answers
    week.clock.set(MONDAY_0800)
    await week.engine.run_until_idle()
    await week.engine.run_until_idle()
    delivered = week.connector.posted(kari_chat)[answers:]
    assert len(delivered) == 1
    shown = card_text(card_of(delivered[0].body))
    # written Fri 17:30 Oslo: shown in each reader's own zone, named in Ola's in notifications
    assert "From Ola · written \n{{DATE(2026-11-27T16:30:00Z, SHORT)}}" in shown
    assert "Kan du se på kontrakten?" in shown
    assert delivered[0].body["summary"].startswith("From Ola · written Fri 17:30 Europe/Oslo")
    assert delivered[0].authorization == f"Bearer {OUTBOUND}"

    # The leader moves the team's hours; the next decision follows them.
    week.clock.set(TUESDAY_1530)
    changed = await week.ask(mention(service_url, "team hours mon-fri 08:00-15:00", sender=LEA))
    assert "Lagret." in card_text(changed)
    later = await week.ask(mention(service_url, "later Møte i morgen?", sender=OLA, locale="en"))
    assert "Wed 08:00" in card_text(later)

    assert week.connector.violations == []


@pytest.mark.parametrize("tamper", ["forged", "expired"])
async def test_forged_or_expired_tokens_get_401(
    week: TeamsHarness, keys: SigningKeys, sessions: Sessions, tamper: str
) -> None:
    activity = mention(week.service_url, "later Kan vi ta dette mandag?", sender=OLA)
    if tamper == "forged":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = keys.token(service_url=week.service_url, key=stranger)
    else:
        token = keys.token(service_url=week.service_url, expires_in=-900)
    status, _ = await week.send(activity, token=token)
    assert status == 401
    assert week.connector.calls == []
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HeldMessageRow)) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationRow)) == 0
