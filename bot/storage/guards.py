"""Guarded decisions and approving reactions: the decision guard's rows (metadata only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.ids import row_id
from bot.storage.inserts import first_insert
from bot.storage.models import ActivityRow, DecisionGuardRow, DecisionReactionRow

__all__ = ["GuardRepository", "ReactionRepository"]


class GuardRepository:
    """One guard per thread; the first insert is the claim that its reply goes out once."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        *,
        workspace_id: int,
        team_id: int,
        conversation_id: str,
        thread_id: str,
        decided_at: datetime,
        guard_until: datetime,
        now: datetime,
    ) -> DecisionGuardRow | None:
        """The new guard, or None when the thread already has one (a retry, another replica,
        an earlier decision in the same thread)."""
        first = await first_insert(
            self._session,
            DecisionGuardRow,
            workspace_id=workspace_id,
            team_id=team_id,
            conversation_id=conversation_id,
            thread_id=thread_id,
            decided_at=decided_at,
            guard_until=guard_until,
            state="open",
            created_at=now,
        )
        if not first:
            return None
        return await self.for_thread(workspace_id, conversation_id, thread_id)

    async def for_thread(
        self, workspace_id: int, conversation_id: str, thread_id: str
    ) -> DecisionGuardRow | None:
        return await self._session.scalar(
            select(DecisionGuardRow).where(
                DecisionGuardRow.workspace_id == workspace_id,
                DecisionGuardRow.conversation_id == conversation_id,
                DecisionGuardRow.thread_id == thread_id,
            )
        )

    async def get(self, guard_id: int, *, for_update: bool = False) -> DecisionGuardRow | None:
        """The guard, or None (also for an id no row can have: see ``bot.domain.ids``)."""
        if row_id(guard_id) is None:
            return None
        query = select(DecisionGuardRow).where(DecisionGuardRow.id == guard_id)
        if for_update:
            query = query.with_for_update()
        return await self._session.scalar(query)

    async def unclaim(self, guard_id: int) -> None:
        """The reply could not be posted: the thread's next decision signal tries again."""
        await self._session.execute(delete(DecisionGuardRow).where(DecisionGuardRow.id == guard_id))

    async def counted(self, guard_id: int, away: int | None) -> None:
        """Record how many members took no part, before the reply that says so is posted (a
        digest that runs meanwhile reads the same figure the thread shows)."""
        await self._session.execute(
            update(DecisionGuardRow).where(DecisionGuardRow.id == guard_id).values(away=away)
        )

    async def posted(self, guard_id: int, message_id: str | None, away: int | None) -> None:
        await self._session.execute(
            update(DecisionGuardRow)
            .where(DecisionGuardRow.id == guard_id)
            .values(platform_message_id=message_id, away=away)
        )

    async def settle(self, guard_id: int, state: str, *, by: str, now: datetime) -> bool:
        """Confirm or reopen an open guard; False when it was settled meanwhile (one wins)."""
        result = await self._session.execute(
            update(DecisionGuardRow)
            .where(DecisionGuardRow.id == guard_id, DecisionGuardRow.state == "open")
            .values(state=state, settled_by=by, settled_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def due_to_ask(self, now: datetime, *, limit: int = 100) -> list[DecisionGuardRow]:
        """Open guards whose grace period is over and whose leaders were not asked yet."""
        query = (
            select(DecisionGuardRow)
            .where(
                DecisionGuardRow.state == "open",
                DecisionGuardRow.asked_at.is_(None),
                DecisionGuardRow.guard_until <= now,
                DecisionGuardRow.platform_message_id.is_not(None),
            )
            .order_by(DecisionGuardRow.guard_until, DecisionGuardRow.id)
            .limit(limit)
        )
        return list((await self._session.scalars(query)).all())

    async def claim_ask(self, guard_id: int, now: datetime) -> bool:
        """True for exactly one caller (replica) per guard: it asks the leaders."""
        result = await self._session.execute(
            update(DecisionGuardRow)
            .where(DecisionGuardRow.id == guard_id, DecisionGuardRow.asked_at.is_(None))
            .values(asked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def for_team(
        self, team_id: int, start: datetime, end: datetime
    ) -> list[DecisionGuardRow]:
        """The team's guarded decisions made in ``[start, end)``."""
        query = select(DecisionGuardRow).where(
            DecisionGuardRow.team_id == team_id,
            DecisionGuardRow.decided_at >= start,
            DecisionGuardRow.decided_at < end,
        )
        return list((await self._session.scalars(query)).all())

    async def counts(self, team_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """(decisions guarded, of them reopened) for a team in ``[start, end)``, for insights.

        Counts only: no thread, person or text is returned.
        """
        rows = (
            await self._session.execute(
                select(DecisionGuardRow.state, func.count())
                .where(
                    DecisionGuardRow.team_id == team_id,
                    DecisionGuardRow.decided_at >= start,
                    DecisionGuardRow.decided_at < end,
                )
                .group_by(DecisionGuardRow.state)
            )
        ).all()
        by_state = {str(state): int(count) for state, count in rows}
        return sum(by_state.values()), by_state.get("reopened", 0)

    async def reopened_threads(
        self, team_id: int, start: datetime, end: datetime
    ) -> list[tuple[frozenset[str], datetime]]:
        """Guarded decisions made in ``[start, end)`` and then reopened, each as (the people who
        wrote in its thread off hours, when it was decided): the shape
        ``bot.domain.insights.team_weeks`` takes for ``reopened``, so a figure built from fewer
        than five people can be suppressed. No text."""
        rows = await self._session.execute(
            select(DecisionGuardRow.id, DecisionGuardRow.decided_at, ActivityRow.person_id)
            .outerjoin(
                ActivityRow,
                (ActivityRow.workspace_id == DecisionGuardRow.workspace_id)
                & (ActivityRow.conversation_id == DecisionGuardRow.conversation_id)
                & (ActivityRow.thread_id == DecisionGuardRow.thread_id)
                & ActivityRow.in_hours.is_(False),
            )
            .where(
                DecisionGuardRow.team_id == team_id,
                DecisionGuardRow.state == "reopened",
                DecisionGuardRow.decided_at >= start,
                DecisionGuardRow.decided_at < end,
            )
        )
        people: dict[int, set[str]] = {}
        decided: dict[int, datetime] = {}
        for guard_id, at, person in rows.all():
            decided[guard_id] = at
            found = people.setdefault(guard_id, set())
            if person is not None:
                found.add(str(person))
        return [(frozenset(people[key]), decided[key]) for key in sorted(decided)]


class ReactionRepository:
    """Approving reactions on messages in watched channels, counted per message."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        workspace_id: int,
        conversation_id: str,
        message_id: str,
        *,
        thread_id: str,
        person_id: str,
        reaction: str,
        now: datetime,
    ) -> None:
        await first_insert(
            self._session,
            DecisionReactionRow,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            message_id=message_id,
            thread_id=thread_id,
            person_id=person_id,
            reaction=reaction[:64],
            reacted_at=now,
        )

    async def remove(
        self,
        workspace_id: int,
        conversation_id: str,
        message_id: str,
        *,
        person_id: str,
        reaction: str,
    ) -> None:
        await self._session.execute(
            delete(DecisionReactionRow).where(
                DecisionReactionRow.workspace_id == workspace_id,
                DecisionReactionRow.conversation_id == conversation_id,
                DecisionReactionRow.message_id == message_id,
                DecisionReactionRow.person_id == person_id,
                DecisionReactionRow.reaction == reaction[:64],
            )
        )

    async def reactors(self, workspace_id: int, conversation_id: str, message_id: str) -> set[str]:
        """Who put an approving reaction on the message."""
        found = await self._session.scalars(
            select(DecisionReactionRow.person_id).where(
                DecisionReactionRow.workspace_id == workspace_id,
                DecisionReactionRow.conversation_id == conversation_id,
                DecisionReactionRow.message_id == message_id,
            )
        )
        return set(found)

    async def thread_of(self, workspace_id: int, conversation_id: str, message_id: str) -> str:
        """The thread a message belongs to, from the off-hours activity we recorded (a reply);
        otherwise the message is taken to start its own thread."""
        thread = await self._session.scalar(
            select(ActivityRow.thread_id)
            .where(
                ActivityRow.workspace_id == workspace_id,
                ActivityRow.conversation_id == conversation_id,
                ActivityRow.message_id == message_id,
                ActivityRow.in_hours.is_(False),
            )
            .limit(1)
        )
        return thread or message_id
