"""What the app sends Teams stays within Teams' limits, against a fake Bot Connector that answers
413 ``MessageSizeTooBig`` past 100 KB (UTF-16) as Teams does, and checks every card against
Microsoft's Adaptive Card 1.5 schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.bot_connector import message_bytes
from adapters.teams.digest_card import MAX_THREADS
from bot.clock import FixedClock
from bot.domain.digest import DigestThread, DigestView
from bot.storage.crypto import Cipher
from tests.integration.test_teams_platform import connector, install, platform_for
from tests.support.teams import CHANNEL, TENANT, FakeConnector, cards_in
from tests.support.teams_app import card_text

__all__ = ["connector"]  # the fixture, shared with test_teams_platform

Sessions = async_sessionmaker[AsyncSession]
MONDAY_8 = datetime(2026, 11, 30, 7, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 10, tzinfo=UTC)


def _digest(count: int) -> DigestView:
    threads = tuple(
        DigestThread(CHANNEL, str(1_700_000_000_000 + n), 40, 12, SATURDAY, SATURDAY, n % 3 == 0)
        for n in range(count)
    )
    lines = {(CHANNEL, t.thread): "Skal vi bytte leverandør før jul? " * 5 for t in threads}
    return DigestView(
        team="Plattform",
        locale="nb",
        tz=ZoneInfo("Europe/Oslo"),
        since=SATURDAY - timedelta(days=1),
        now=MONDAY_8,
        threads=threads,
        first_lines=lines,
    )


async def test_a_digest_of_150_threads_is_posted_once_within_the_size_limit(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    await install(sessions, connector)
    platform = platform_for(sessions, cipher, FixedClock(MONDAY_8))
    try:
        await platform.post_digest(TENANT, CHANNEL, _digest(150))
    finally:
        await platform.close()
    [posted] = connector.posted(CHANNEL)
    assert connector.too_big == 0
    assert connector.violations == []
    assert message_bytes(posted.body) <= 80 * 1024
    [card] = cards_in(posted.body)
    links = re.findall(r"https://teams\.microsoft\.com/l/message/[^\"]+", json.dumps(card))
    assert 0 < len(links) == len(set(links))  # each thread's deep link once
    assert f"og {150 - MAX_THREADS} tråder til" in card_text(card)
    assert len(card["fallbackText"]) <= 2000


async def test_a_413_makes_the_digest_smaller_instead_of_losing_it(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    await install(sessions, connector)
    connector.max_bytes = 30 * 1024  # Teams' limit is approximate: this time it is lower
    platform = platform_for(sessions, cipher, FixedClock(MONDAY_8))
    try:
        posted = await platform.post_digest(TENANT, CHANNEL, _digest(60))
    finally:
        await platform.close()
    assert posted.message_id
    assert connector.too_big >= 1
    [delivered] = connector.posted(CHANNEL)
    assert message_bytes(delivered.body) <= 30 * 1024
    assert re.search(r"og \d+ tråder? til", card_text(cards_in(delivered.body)[0]))
    assert connector.violations == []
