"""A Teams week across Easter 2027 and the spring DST change, driven by JWT-signed HTTP only.

Norway's Easter 2027: Skjærtorsdag Thu 25 March, Langfredag Fri 26, 2. påskedag Mon 29; the
clocks go forward on Sunday 28 March (02:00 CET → 03:00 CEST). On Wednesday 24 March at 17:30
(CET) Ola holds a message for Kari, who works mon-fri 08:00-16:00 with Norway's holidays: it
waits over both holidays, the weekend and 2. påskedag, and arrives once on Tuesday 30 March at
08:00 *summer* time — 06:00 UTC, where the same wall time was 07:00 UTC the week before. A
message in the watched channel on Skjærtorsdag gets one label naming that Tuesday.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from microsoft_agents.hosting.core import JwtTokenValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TENANT,
    SigningKeys,
    channel_message,
    installation_update,
)
from tests.support.teams_app import (
    TeamsHarness,
    card_of,
    card_text,
    mention,
    personal,
    personal_chat,
)

Sessions = async_sessionmaker[AsyncSession]
WEDNESDAY_1730 = datetime(2027, 3, 24, 16, 30, tzinfo=UTC)  # CET, UTC+1
SKJAERTORSDAG_1000 = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)
THURSDAY_0800_CET = datetime(2027, 3, 25, 7, 0, tzinfo=UTC)
FRIDAY_0800_CET = datetime(2027, 3, 26, 7, 0, tzinfo=UTC)
MONDAY_0800_CEST = datetime(2027, 3, 29, 6, 0, tzinfo=UTC)  # 2. påskedag, summer time
TUESDAY_0759_CEST = datetime(2027, 3, 30, 5, 59, tzinfo=UTC)
TUESDAY_0800_CEST = datetime(2027, 3, 30, 6, 0, tzinfo=UTC)
TEXT = "Kan du se på kontrakten etter påske?"


@pytest.fixture
async def week(
    engine: AsyncEngine,
    sessions: Sessions,
    cipher: Cipher,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TeamsHarness]:
    keys = SigningKeys()
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", keys)
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=WEDNESDAY_1730
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=WEDNESDAY_1730,
            mode="label",
            locale="nb",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
        )
        await teams.watch(team, CHANNEL)
    harness = TeamsHarness(
        engine=engine, sessions=sessions, cipher=cipher, now=WEDNESDAY_1730, keys=keys
    )
    async with harness.running():
        yield harness


def _delivered(week: TeamsHarness) -> list[str]:
    return [
        card_text(card_of(call.body))
        for call in week.connector.posted(personal_chat(KARI))
        if TEXT in str(call.body)
    ]


async def test_a_message_waits_over_easter_and_arrives_at_eight_summer_time(
    week: TeamsHarness, sessions: Sessions
) -> None:
    url = week.service_url
    assert (await week.send(installation_update(url)))[0] == 202
    hours = await week.ask(personal(url, "hours man-fre 8-16 tz Europe/Oslo helligdager NO"))
    assert "Lagret." in card_text(hours)
    held = await week.ask(
        mention(url, f"later <at>Kari</at> {TEXT}", sender=OLA, others=(KARI,), locale="en-GB")
    )
    assert "Held. It will be delivered Tue 08:00 Europe/Oslo." in card_text(held)
    async with sessions() as session:
        [row] = (await session.scalars(select(HeldMessageRow))).all()
    assert row.deliver_at == TUESDAY_0800_CEST

    # Skjærtorsdag: a question in the channel is labelled once, naming Tuesday 08:00
    week.clock.set(SKJAERTORSDAG_1000)
    question = channel_message(url, "Noen som kan svare på dette i dag?", sender=OLA)
    assert (await week.send(question))[0] == 202
    await week.engine.run_until_idle()
    labels = [
        call.body
        for call in week.connector.posted()
        if call.reply_to == question["id"] or question["id"] in str(call.conversation)
    ]
    assert len(labels) == 1
    # a card: each reader's client shows the instant in their zone; notifications name Oslo
    assert "svar ventes fra tir. 08:00 (Europe/Oslo)" in labels[0]["summary"]
    assert "svar ventes fra {{DATE(" in json.dumps(labels[0]["attachments"], ensure_ascii=False)

    # 08:00 on each holiday and on 2. påskedag (already summer time): nothing
    for instant in (THURSDAY_0800_CET, FRIDAY_0800_CET, MONDAY_0800_CEST, TUESDAY_0759_CEST):
        week.clock.set(instant)
        await week.engine.run_until_idle()
        assert _delivered(week) == [], instant

    week.clock.set(TUESDAY_0800_CEST)
    await week.engine.run_until_idle()
    await week.engine.run_until_idle()
    [shown] = _delivered(week)
    # Wed 17:30 in Oslo (CET), in each reader's own zone
    assert "From Ola · written \n{{DATE(2027-03-24T16:30:00Z, SHORT)}}" in shown
    assert week.connector.violations == []
