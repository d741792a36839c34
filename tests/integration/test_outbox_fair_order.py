"""The outbox's order and fences for a herd: every conversation's first held message is claimed
before any second, and one statement fences many claims exactly as one fence each would."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from tests.integration.test_storage import MONDAY, NOW, hold, workspace

Sessions = async_sessionmaker[AsyncSession]


async def test_claims_take_one_message_of_each_conversation_before_a_second(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    # held conversation by conversation, all due at once (a team's Monday opening)
    for conversation in ("C1", "C2", "C3"):
        for n in range(3):
            await hold(sessions, cipher, ws, conversation=conversation, body=f"{conversation}/{n}")
    rounds = []
    for _ in range(3):
        async with sessions() as session, session.begin():
            repo = HeldMessageRepository(session, cipher)
            claimed = await repo.claim_due(now=MONDAY, owner="a", limit=3, lease_seconds=30)
            rounds.append(sorted((row.conversation_id, repo.body(row)) for row in claimed))
    assert rounds == [[(c, f"{c}/{n}") for c in ("C1", "C2", "C3")] for n in range(3)]
    # once a conversation's backlog is done, a new message there is first in line again
    later = await hold(sessions, cipher, ws, conversation="C1", deliver_at=MONDAY)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        row = await repo.get(later)
        assert row is not None and row.seq == 4  # the others are still open (claimed)
        for conversation in ("C2", "C3"):
            for listed in await repo.list_for_conversation(ws, conversation, ("delivering",)):
                await repo.mark_failed(listed.id, error="test", at=NOW)
    fresh = await hold(sessions, cipher, ws, conversation="C2", deliver_at=MONDAY)
    async with sessions() as session:
        row = await HeldMessageRepository(session, cipher).get(fresh)
        assert row is not None and row.seq == 1


async def test_one_statement_fences_only_current_unexpired_claims_of_their_owner(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    ids = [await hold(sessions, cipher, ws, conversation=f"C{n}", deliver_at=NOW) for n in range(3)]
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        mine = await repo.claim_due(now=NOW, owner="a", limit=2, lease_seconds=30)
        theirs = await repo.claim_due(now=NOW, owner="b", limit=1, lease_seconds=30)
    claims = [(row.id, row.lease_generation) for row in mine + theirs]
    stale = [(mine[0].id, mine[0].lease_generation - 1)]
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        lapsed = NOW + timedelta(seconds=30)
        assert await repo.take_send_slots(claims, owner="a", now=lapsed, lease_seconds=30) == set()
        assert await repo.take_send_slots(stale, owner="a", now=NOW, lease_seconds=30) == set()
        taken = await repo.take_send_slots(claims, owner="a", now=NOW, lease_seconds=30)
        assert taken == {row.id for row in mine}
        # fenced again by the same claim (a 429, then the next try): one attempt, not two
        assert await repo.take_send_slots(claims, owner="a", now=NOW, lease_seconds=30) == taken
    async with sessions() as session:
        repo = HeldMessageRepository(session, cipher)
        rows = [await repo.get(message_id) for message_id in ids]
    attempts = Counter({row.id: row.attempts for row in rows if row is not None})
    assert attempts == Counter({row.id: 1 for row in mine} | {theirs[0].id: 0})
    for row in rows:
        assert row is not None
        if row.id in taken:  # possibly posted now, and held for a whole lease from the fence
            assert row.send_generation == row.lease_generation
            assert row.lease_until == NOW + timedelta(seconds=30)
        else:
            assert row.send_generation is None
