"""Storage on a real database: durable, encrypted, isolated, and race-safe where it matters."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.models import HeldMessageRow, slack_bots_table
from bot.storage.outbox import ClaimLimits, HeldMessageRepository
from bot.storage.repositories import (
    DigestRepository,
    ExcerptRepository,
    InstallationRepository,
    LabelRepository,
    PersonRepository,
    SeenEventRepository,
    TeamRepository,
    WorkspaceRepository,
    rotate_encryption,
)

NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # Friday 17:30 in Oslo
MONDAY = datetime(2026, 11, 30, 7, tzinfo=UTC)
SECRET_SENTENCE = "Styremøtet flyttes, ikke si det til noen ennå"

Sessions = async_sessionmaker[AsyncSession]


async def workspace(sessions: Sessions, external_id: str = "T1") -> int:
    async with sessions() as session, session.begin():
        return (await WorkspaceRepository(session).get_or_create("slack", external_id, now=NOW)).id


async def hold(
    sessions: Sessions,
    cipher: Cipher,
    workspace_id: int,
    *,
    body: str = "hello",
    conversation: str = "C1",
    deliver_at: datetime = MONDAY,
) -> str:
    async with sessions() as session, session.begin():
        row = await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace_id,
            conversation_id=conversation,
            author_id="U_KARI",
            body=body,
            deliver_at=deliver_at,
            now=NOW,
        )
        return row.id


async def test_held_message_round_trip(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    message_id = await hold(sessions, cipher, ws, body=SECRET_SENTENCE)
    async with sessions() as session:
        repo = HeldMessageRepository(session, cipher)
        row = await repo.get(message_id)
        assert row is not None
        assert repo.body(row) == SECRET_SENTENCE
        assert row.deliver_at == MONDAY
        assert row.deliver_at.tzinfo is not None
        assert row.state == "held"


async def test_body_is_not_readable_in_the_database_without_the_key(
    sessions: Sessions, cipher: Cipher, engine: AsyncEngine, database_url: str
) -> None:
    ws = await workspace(sessions)
    await hold(sessions, cipher, ws, body=SECRET_SENTENCE)
    async with engine.connect() as connection:
        raw = (await connection.execute(text("SELECT body_enc FROM held_messages"))).scalar_one()
    assert SECRET_SENTENCE.encode() not in bytes(raw)
    with pytest.raises(DecryptionError):
        Cipher.from_secret(Cipher.generate_key()).decrypt(bytes(raw))
    if engine.dialect.name == "sqlite":
        path = Path(make_url(database_url).database or "")
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert SECRET_SENTENCE.encode() not in file.read_bytes()
                assert "Styremøtet".encode() not in file.read_bytes()


async def test_key_rotation_re_encrypts_everything(sessions: Sessions) -> None:
    key_a, key_b = Cipher.generate_key(), Cipher.generate_key()
    old = Cipher.from_secret(key_a)
    ws = await workspace(sessions)
    message_id = await hold(sessions, old, ws, body="rotate me")
    async with sessions() as session, session.begin():
        await InstallationRepository(session, old).save(ws, bot_token="xoxb-secret", now=NOW)
        await ExcerptRepository(session, old).remember(
            ws, "C1", "1.0", "Skal vi signere?", now=NOW, keep=timedelta(days=14)
        )
        await session.execute(
            insert(slack_bots_table).values(
                client_id="111.222",
                app_id="A1",
                team_id="T1",
                bot_token=old.encrypt("xoxb-oauth").decode("ascii"),
                bot_user_id="U_BOT",
                installed_at=NOW.replace(tzinfo=None),
            )
        )
    async with sessions() as session, session.begin():
        assert await rotate_encryption(session, Cipher.from_secret(f"{key_b},{key_a}")) == 4
    only_b = Cipher.from_secret(key_b)
    async with sessions() as session:
        row = await HeldMessageRepository(session, only_b).get(message_id)
        assert row is not None
        assert HeldMessageRepository(session, only_b).body(row) == "rotate me"
        assert await InstallationRepository(session, only_b).bot_token(ws) == "xoxb-secret"
        lines = await ExcerptRepository(session, only_b).lines(ws, [("C1", "1.0")])
        assert lines == {("C1", "1.0"): "Skal vi signere?"}
        stored = await session.scalar(select(slack_bots_table.c.bot_token))
        assert only_b.decrypt(str(stored).encode("ascii")) == "xoxb-oauth"


async def test_seen_events_have_one_effect(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        assert await SeenEventRepository(session).first_time("slack", "Ev1", NOW)
    async with sessions() as session, session.begin():
        assert not await SeenEventRepository(session).first_time("slack", "Ev1", NOW)
        assert await SeenEventRepository(session).first_time("teams", "Ev1", NOW)


async def test_concurrent_duplicate_events_one_wins(sessions: Sessions) -> None:
    async def attempt() -> bool:
        async with sessions() as session, session.begin():
            return await SeenEventRepository(session).first_time("slack", "EvRace", NOW)

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_digest_and_label_claims_happen_once(sessions: Sessions) -> None:
    ws = await workspace(sessions)
    async with sessions() as session, session.begin():
        team = await TeamRepository(session).create(
            ws, "Platform", hours_spec="mon-fri 8-16", now=NOW
        )

    async def claim_digest() -> bool:
        async with sessions() as session, session.begin():
            return await DigestRepository(session).claim(
                team.id, period_start=NOW, period_end=MONDAY, owner="replica", now=NOW
            )

    assert sorted(await asyncio.gather(*(claim_digest() for _ in range(5)))) == [False] * 4 + [True]
    async with sessions() as session, session.begin():
        labels = LabelRepository(session)
        assert await labels.claim(ws, "C1", "1.0", period_end=MONDAY, due_at=MONDAY, now=NOW)
        assert not await labels.claim(ws, "C1", "1.0", period_end=MONDAY, due_at=MONDAY, now=NOW)
        next_week = MONDAY + timedelta(days=7)
        assert await labels.claim(ws, "C1", "1.0", period_end=next_week, due_at=next_week, now=NOW)


async def test_claim_due_takes_only_due_rows_up_to_the_limit(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    due = [
        await hold(sessions, cipher, ws, deliver_at=NOW - timedelta(minutes=n)) for n in range(5)
    ]
    later = await hold(sessions, cipher, ws, deliver_at=MONDAY)
    async with sessions() as session, session.begin():
        claimed = await HeldMessageRepository(session, cipher).claim_due(
            now=NOW, owner="a", limit=3, lease_seconds=30
        )
    assert len(claimed) == 3
    assert {row.id for row in claimed} <= set(due)
    assert all(row.state == "delivering" and row.lease_generation == 1 for row in claimed)
    assert all(row.attempts == 0 and row.send_generation is None for row in claimed)
    async with sessions() as session, session.begin():
        rest = await HeldMessageRepository(session, cipher).claim_due(
            now=NOW, owner="b", limit=10, lease_seconds=30
        )
    assert {row.id for row in rest} == set(due) - {row.id for row in claimed}
    assert later not in {row.id for row in rest}


async def test_concurrent_claimers_never_share_a_row(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    ids = {await hold(sessions, cipher, ws, deliver_at=NOW) for _ in range(40)}

    async def claimer(name: str) -> list[str]:
        got: list[str] = []
        while True:
            async with sessions() as session, session.begin():
                rows = await HeldMessageRepository(session, cipher).claim_due(
                    now=NOW, owner=name, limit=3, lease_seconds=60
                )
            if not rows:
                return got
            got.extend(row.id for row in rows)

    results = await asyncio.gather(*(claimer(f"r{n}") for n in range(4)))
    flat = [message_id for result in results for message_id in result]
    assert len(flat) == len(set(flat)) == 40
    assert set(flat) == ids


async def test_expired_leases_are_reclaimed_but_delivered_rows_never(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    first, second = [await hold(sessions, cipher, ws, deliver_at=NOW) for _ in range(2)]
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        await repo.claim_due(now=NOW, owner="dead", limit=10, lease_seconds=30)
        assert await repo.mark_delivered(second, owner="dead", platform_message_id="1.1", at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        assert (
            await repo.claim_due(
                now=NOW + timedelta(seconds=10), owner="b", limit=10, lease_seconds=30
            )
            == []
        )
        again = await repo.claim_due(
            now=NOW + timedelta(seconds=31), owner="b", limit=10, lease_seconds=30
        )
    assert [row.id for row in again] == [first]
    assert again[0].lease_generation == 2
    assert again[0].send_generation is None  # never sent: no need to look for it first
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        # the dead owner cannot record over the new owner's lease
        assert not await repo.mark_delivered(first, owner="dead", platform_message_id="x", at=NOW)
        delivered = await repo.get(second)
        assert delivered is not None and delivered.body_enc is None  # erased after delivery


async def test_only_the_current_unexpired_claim_may_take_the_send_slot(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    message_id = await hold(sessions, cipher, ws, deliver_at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        [first] = await repo.claim_due(now=NOW, owner="a", limit=1, lease_seconds=30)
        generation = first.lease_generation
        # the lease has run out: no send, even though nobody has claimed the row since
        lapsed = NOW + timedelta(seconds=30)
        assert not await repo.take_send_slot(
            message_id, owner="a", generation=generation, now=lapsed, lease_seconds=30
        )
        assert await repo.take_send_slot(
            message_id, owner="a", generation=generation, now=NOW, lease_seconds=30
        )
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        later = NOW + timedelta(seconds=31)
        [second] = await repo.claim_due(now=later, owner="a", limit=1, lease_seconds=30)
        assert second.send_generation == generation  # posted perhaps: look before re-sending
        assert second.attempts == 1
        # the same owner's older claim is fenced off by the generation
        assert not await repo.take_send_slot(
            message_id, owner="a", generation=generation, now=later, lease_seconds=30
        )
        assert not await repo.take_send_slot(
            message_id, owner="b", generation=second.lease_generation, now=later, lease_seconds=30
        )
        assert await repo.take_send_slot(
            message_id, owner="a", generation=second.lease_generation, now=later, lease_seconds=30
        )
        # a record under the old claim is refused; under the current one it is kept
        assert not await repo.mark_delivered(
            message_id, owner="a", platform_message_id="1.1", at=later, generation=generation
        )
        assert await repo.mark_delivered(
            message_id,
            owner="a",
            platform_message_id="1.2",
            at=later,
            generation=second.lease_generation,
        )
    async with sessions() as session:
        row = await HeldMessageRepository(session, cipher).get(message_id)
    assert row is not None and (row.state, row.attempts) == ("delivered", 2)


async def test_a_restarted_owner_takes_back_its_claims_at_once(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    unsent, sent = [await hold(sessions, cipher, ws, deliver_at=NOW) for _ in range(2)]
    other = await hold(sessions, cipher, ws, deliver_at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        claimed = await repo.claim_due(now=NOW, owner="host:3000", limit=2, lease_seconds=60)
        assert {row.id for row in claimed} == {unsent, sent}
        generation = {row.id: row.lease_generation for row in claimed}[sent]
        await repo.take_send_slot(
            sent, owner="host:3000", generation=generation, now=NOW, lease_seconds=60
        )
        await repo.claim_due(now=NOW, owner="host:3001", limit=1, lease_seconds=60)
    restart = NOW + timedelta(seconds=3)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        assert await repo.adopt_stale(owner="host:3000", now=restart) == (1, 1)
        again = await repo.claim_due(now=restart, owner="host:3000", limit=10, lease_seconds=60)
    by_id = {row.id: row for row in again}
    assert set(by_id) == {unsent, sent}  # another replica's live claim is left alone
    assert by_id[sent].send_generation is not None
    assert by_id[unsent].send_generation is None
    assert other not in by_id


async def test_claims_stop_at_what_the_pacing_can_send_within_a_lease(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    for n in range(30):
        await hold(sessions, cipher, ws, deliver_at=NOW, conversation=f"C{n % 3}")
    limits = ClaimLimits(per_conversation={"slack": 4}, per_workspace={"slack": 10})
    async with sessions() as session, session.begin():
        first = await HeldMessageRepository(session, cipher).claim_due(
            now=NOW, owner="a", limit=100, lease_seconds=30, limits=limits
        )
    assert len(first) == 10
    assert max(Counter(row.conversation_id for row in first).values()) == 4
    async with sessions() as session, session.begin():
        # another replica counts our claims too: the workspace is full
        assert (
            await HeldMessageRepository(session, cipher).claim_due(
                now=NOW, owner="b", limit=100, lease_seconds=30, limits=limits
            )
            == []
        )


async def test_release_waits_until_retry_time(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    message_id = await hold(sessions, cipher, ws, deliver_at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        await repo.claim_due(now=NOW, owner="a", limit=1, lease_seconds=30)
        retry_at = NOW + timedelta(seconds=20)
        assert await repo.release(message_id, owner="a", retry_at=retry_at, error="503", at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        assert (
            await repo.claim_due(
                now=NOW + timedelta(seconds=5), owner="a", limit=1, lease_seconds=30
            )
            == []
        )
        assert len(await repo.claim_due(now=retry_at, owner="a", limit=1, lease_seconds=30)) == 1


async def test_erasing_a_workspace_leaves_others_untouched(
    sessions: Sessions, cipher: Cipher
) -> None:
    mine, theirs = await workspace(sessions, "T_MINE"), await workspace(sessions, "T_THEIRS")
    gone = await hold(sessions, cipher, mine, body="mine")
    kept = await hold(sessions, cipher, theirs, body="theirs")
    async with sessions() as session, session.begin():
        erased = await HeldMessageRepository(session, cipher).erase_for_workspace(mine, NOW)
    assert [row.id for row in erased] == [gone]
    async with sessions() as session:
        rows = {row.id: row for row in (await session.scalars(select(HeldMessageRow))).all()}
    assert rows[gone].state == "cancelled" and rows[gone].body_enc is None
    assert rows[kept].state == "held"
    assert HeldMessageRepository(session, cipher).body(rows[kept]) == "theirs"


async def test_cancel_only_while_held(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    message_id = await hold(sessions, cipher, ws)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        assert await repo.cancel(message_id, NOW)
        assert not await repo.cancel(message_id, NOW)


async def test_people_teams_and_leaders(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    async with sessions() as session, session.begin():
        people = PersonRepository(session, cipher)
        kari = await people.get_or_create(ws, "U_KARI", now=NOW, tz="Europe/Oslo", locale="nb")
        same = await people.get_or_create(ws, "U_KARI", now=NOW)
        assert same.id == kari.id
        await people.set_hours(
            kari, "mon-fri 08:00-16:00 tz Europe/Oslo", source="personal", now=NOW
        )
        await people.set_user_token(kari, "xoxp-user", now=NOW)
        assert kari.user_token_enc is not None and b"xoxp" not in kari.user_token_enc
        assert people.user_token(kari) == "xoxp-user"
        teams = TeamRepository(session)
        team = await teams.create(ws, "Platform", hours_spec="mon-fri 08:00-16:00", now=NOW)
        await teams.watch(team, "C1")
        await teams.add_leader(team.id, kari.id)
        await teams.add_leader(team.id, kari.id)  # idempotent
        assert await teams.leaders(team.id) == ["U_KARI"]
        assert await teams.channels(team.id) == ["C1"]
        found = await teams.for_channel(ws, "C1")
        assert found is not None and found.id == team.id
        other = await teams.create(ws, "Legal", hours_spec="mon-fri 09:00-17:00", now=NOW)
        await teams.watch(other, "C1")  # a channel belongs to one team
        moved = await teams.for_channel(ws, "C1")
        assert moved is not None and moved.id == other.id


async def test_naive_datetimes_are_refused(sessions: Sessions, cipher: Cipher) -> None:
    ws = await workspace(sessions)
    with pytest.raises(Exception, match="naive"):
        await hold(sessions, cipher, ws, deliver_at=datetime(2026, 11, 30, 8))


async def test_listing_held_messages_for_an_author_and_a_conversation(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    later = await hold(sessions, cipher, ws, conversation="C1", deliver_at=MONDAY)
    sooner = await hold(sessions, cipher, ws, conversation="C2", deliver_at=NOW)
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        await repo.add(
            workspace_id=ws,
            conversation_id="C1",
            author_id="U_OTHER",
            body="x",
            deliver_at=NOW,
            now=NOW,
        )
        assert [r.id for r in await repo.list_for_author(ws, "U_KARI")] == [sooner, later]
        assert [r.id for r in await repo.list_for_conversation(ws, "C2")] == [sooner]
        await repo.cancel(sooner, NOW)
        assert [r.id for r in await repo.list_for_author(ws, "U_KARI")] == [later]


async def test_a_digest_claim_is_taken_over_only_when_its_run_died_or_posted_nothing(
    sessions: Sessions,
) -> None:
    ws = await workspace(sessions)
    async with sessions() as session, session.begin():
        team = await TeamRepository(session).create(ws, "T", hours_spec="mon-fri 08-16", now=NOW)
        team_id = team.id
    end, start = NOW, NOW - timedelta(days=3)

    async def claim(owner: str, at: datetime) -> bool:
        async with sessions() as session, session.begin():
            return await DigestRepository(session).claim(
                team_id, period_start=start, period_end=end, owner=owner, now=at
            )

    async def finish(state: str, at: datetime) -> None:
        async with sessions() as session, session.begin():
            await DigestRepository(session).finish(team_id, end, state=state, now=at)

    assert await claim("a", NOW)
    assert not await claim("b", NOW + timedelta(minutes=9))  # a is still at it
    assert await claim("b", NOW + timedelta(minutes=11))  # a died: b takes over
    await finish("failed", NOW + timedelta(minutes=11))  # nothing could be posted
    assert not await claim("c", NOW + timedelta(minutes=12))
    assert await claim("c", NOW + timedelta(minutes=17))  # retried after a pause
    await finish("posted", NOW + timedelta(minutes=17))
    assert not await claim("d", NOW + timedelta(days=1))  # posted once, never again


async def test_a_threads_first_line_is_its_roots_even_when_a_reply_arrives_first(
    sessions: Sessions, cipher: Cipher
) -> None:
    ws = await workspace(sessions)
    keep = timedelta(days=14)
    async with sessions() as session, session.begin():
        excerpts = ExcerptRepository(session, cipher)
        assert await excerpts.remember(ws, "C1", "1.0", "a reply", now=NOW, keep=keep)
        assert not await excerpts.remember(ws, "C1", "1.0", "a later reply", now=NOW, keep=keep)
        assert await excerpts.remember(
            ws, "C1", "1.0", "the question", now=NOW, keep=keep, is_thread_root=True
        )
    async with sessions() as session:
        lines = await ExcerptRepository(session, cipher).lines(ws, [("C1", "1.0")])
    assert lines == {("C1", "1.0"): "the question"}
