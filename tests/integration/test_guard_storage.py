"""The decision guard's rows on a real database: one guard per thread however many claim it at
once, one leader question per guard, reactions counted per person, counts for insights."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.guards import GuardRepository, ReactionRepository
from bot.storage.repositories import ActivityRepository, TeamRepository, WorkspaceRepository

Sessions = async_sessionmaker[AsyncSession]
SUNDAY = datetime(2026, 11, 29, 19, 26, tzinfo=UTC)
NOON = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


async def _team(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T1", now=SUNDAY)
        team = await TeamRepository(session).create(
            workspace.id, "Platform", now=SUNDAY, hours_spec="mon-fri 08:00-16:00"
        )
        return workspace.id, team.id


async def _claim(sessions: Sessions, workspace_id: int, team_id: int, thread: str) -> int | None:
    async with sessions() as session, session.begin():
        row = await GuardRepository(session).claim(
            workspace_id=workspace_id,
            team_id=team_id,
            conversation_id="C1",
            thread_id=thread,
            decided_at=SUNDAY,
            guard_until=NOON,
            now=SUNDAY,
        )
        return None if row is None else row.id


async def test_one_guard_per_thread_however_many_claim_it_at_once(sessions: Sessions) -> None:
    workspace_id, team_id = await _team(sessions)
    claims = await asyncio.gather(
        *(_claim(sessions, workspace_id, team_id, "1.1") for _ in range(8))
    )
    assert len([c for c in claims if c is not None]) == 1
    assert await _claim(sessions, workspace_id, team_id, "1.1") is None  # a retry, later
    assert await _claim(sessions, workspace_id, team_id, "2.2") is not None  # another thread


async def test_the_leaders_are_asked_once_and_only_when_the_guard_is_over(
    sessions: Sessions,
) -> None:
    workspace_id, team_id = await _team(sessions)
    guard_id = await _claim(sessions, workspace_id, team_id, "1.1")
    assert guard_id is not None
    async with sessions() as session, session.begin():
        guards = GuardRepository(session)
        assert await guards.due_to_ask(NOON) == []  # its reply is not posted yet
        await guards.posted(guard_id, "1.2", away=3)
        assert await guards.due_to_ask(NOON - timedelta(seconds=1)) == []
        assert [row.id for row in await guards.due_to_ask(NOON)] == [guard_id]

    async def ask() -> bool:
        async with sessions() as session, session.begin():
            return await GuardRepository(session).claim_ask(guard_id, NOON)

    assert sorted(await asyncio.gather(*(ask() for _ in range(4)))) == [False, False, False, True]


async def test_settling_is_first_come_and_counts_are_aggregates(sessions: Sessions) -> None:
    workspace_id, team_id = await _team(sessions)
    first = await _claim(sessions, workspace_id, team_id, "1.1")
    second = await _claim(sessions, workspace_id, team_id, "2.2")
    await _claim(sessions, workspace_id, team_id, "3.3")
    assert first is not None and second is not None
    async with sessions() as session, session.begin():
        guards = GuardRepository(session)
        assert await guards.settle(first, "reopened", by="U1", now=NOON)
        assert not await guards.settle(first, "confirmed", by="U2", now=NOON)  # already settled
        assert await guards.settle(second, "confirmed", by="U2", now=NOON)
        week = (SUNDAY - timedelta(days=6), SUNDAY + timedelta(days=1))
        assert await guards.counts(team_id, *week) == (3, 1)  # guarded, of them reopened
        await ActivityRepository(session).record(
            workspace_id=workspace_id,
            team_id=team_id,
            conversation_id="C1",
            thread_id="1.1",
            person_id="U7",
            occurred_at=SUNDAY,
        )
        assert await guards.reopened_threads(team_id, *week) == [(frozenset({"U7"}), SUNDAY)]
        assert await guards.counts(team_id, SUNDAY + timedelta(days=1), NOON + timedelta(1)) == (
            0,
            0,
        )


async def test_reactions_count_people_not_reactions(sessions: Sessions) -> None:
    workspace_id, _ = await _team(sessions)
    async with sessions() as session, session.begin():
        reactions = ReactionRepository(session)
        ids = (workspace_id, "C1", "1.2")
        for person, name in (("U1", "white_check_mark"), ("U1", "+1"), ("U1", "+1")):
            await reactions.add(*ids, thread_id="1.1", person_id=person, reaction=name, now=SUNDAY)
        assert await reactions.reactors(*ids) == {"U1"}
        await reactions.add(*ids, thread_id="1.1", person_id="U2", reaction="+1", now=SUNDAY)
        assert await reactions.reactors(*ids) == {"U1", "U2"}
        await reactions.remove(*ids, person_id="U2", reaction="+1")
        assert await reactions.reactors(*ids) == {"U1"}
        assert await reactions.thread_of(workspace_id, "C1", "9.9") == "9.9"  # unknown: itself
