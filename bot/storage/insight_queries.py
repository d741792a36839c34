"""Read-only queries behind insights: instants and authors only, never message text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    ActivityRow,
    DecisionGuardRow,
    HeldMessageRow,
    TeamRow,
    UrgentOverrideRow,
)

__all__ = ["InsightQueries", "ThreadDecision"]

ThreadDecision = tuple[frozenset[str], datetime]


class InsightQueries:
    """What insight figures are computed from, in ``[start, end)`` (UTC)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def person_activity(
        self, workspace_id: int, person: str, start: datetime, end: datetime
    ) -> list[datetime]:
        """When ``person`` wrote off-hours in a watched channel."""
        rows = await self._session.scalars(
            select(ActivityRow.occurred_at).where(
                ActivityRow.workspace_id == workspace_id,
                ActivityRow.person_id == person,
                ActivityRow.occurred_at >= start,
                ActivityRow.occurred_at < end,
                ActivityRow.in_hours.is_(False),
            )
        )
        return list(rows.all())

    async def latest_team(self, workspace_id: int, person: str) -> int | None:
        """The team of the watched channel where ``person`` last wrote off-hours, if any."""
        found = await self._session.scalar(
            select(ActivityRow.team_id)
            .where(
                ActivityRow.workspace_id == workspace_id,
                ActivityRow.person_id == person,
                ActivityRow.team_id.is_not(None),
                ActivityRow.in_hours.is_(False),
            )
            .order_by(ActivityRow.occurred_at.desc())
            .limit(1)
        )
        return found

    async def person_urgent(
        self, workspace_id: int, person: str, start: datetime, end: datetime
    ) -> list[datetime]:
        """When ``person`` used an urgent override."""
        rows = await self._session.scalars(
            select(UrgentOverrideRow.occurred_at).where(
                UrgentOverrideRow.workspace_id == workspace_id,
                UrgentOverrideRow.sender_id == person,
                UrgentOverrideRow.occurred_at >= start,
                UrgentOverrideRow.occurred_at < end,
            )
        )
        return list(rows.all())

    async def team_activity(
        self, team_id: int, start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        """(person, instant) of every off-hours message in the team's watched channels."""
        rows = await self._session.execute(
            select(ActivityRow.person_id, ActivityRow.occurred_at).where(
                ActivityRow.team_id == team_id,
                ActivityRow.occurred_at >= start,
                ActivityRow.occurred_at < end,
                ActivityRow.in_hours.is_(False),
            )
        )
        return [(person, at) for person, at in rows.all()]

    async def team_decisions(
        self, team_id: int, start: datetime, end: datetime
    ) -> list[ThreadDecision]:
        """Off-hours threads that read like a decision (a decision signal in the activity, or a
        decision the guard kept open): (who wrote in the thread off hours, when decided)."""
        rows = await self._session.execute(
            select(
                ActivityRow.conversation_id,
                ActivityRow.thread_id,
                ActivityRow.person_id,
                ActivityRow.occurred_at,
                ActivityRow.decision_signal,
            ).where(
                ActivityRow.team_id == team_id,
                ActivityRow.occurred_at >= start,
                ActivityRow.occurred_at < end,
                ActivityRow.in_hours.is_(False),
            )
        )
        people: dict[tuple[str, str], set[str]] = defaultdict(set)
        decided: dict[tuple[str, str], datetime] = {}
        for conversation, thread, person, at, signal in rows.all():
            key = (conversation, thread)
            people[key].add(person)
            if signal and (key not in decided or at < decided[key]):
                decided[key] = at
        guarded = await self._session.execute(
            select(
                DecisionGuardRow.conversation_id,
                DecisionGuardRow.thread_id,
                DecisionGuardRow.decided_at,
            ).where(
                DecisionGuardRow.team_id == team_id,
                DecisionGuardRow.decided_at >= start,
                DecisionGuardRow.decided_at < end,
            )
        )
        for conversation, thread, at in guarded.all():
            decided[(conversation, thread)] = at  # the guard's instant is the decision's
        return [(frozenset(people.get(key, ())), at) for key, at in decided.items()]

    async def guard_on(self, team_id: int) -> bool:
        """Whether the team keeps off-hours decisions open (``team guard``), so reopened
        decisions are tracked."""
        minutes = await self._session.scalar(
            select(TeamRow.guard_minutes).where(TeamRow.id == team_id)
        )
        return bool(minutes)

    async def urgent_in(
        self, workspace_id: int, conversations: Iterable[str], start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        """(sender, instant) of urgent overrides in ``conversations``."""
        rows = await self._session.execute(
            select(UrgentOverrideRow.sender_id, UrgentOverrideRow.occurred_at).where(
                UrgentOverrideRow.workspace_id == workspace_id,
                UrgentOverrideRow.conversation_id.in_(list(conversations)),
                UrgentOverrideRow.occurred_at >= start,
                UrgentOverrideRow.occurred_at < end,
            )
        )
        return [(sender, at) for sender, at in rows.all()]

    async def held_in(
        self, workspace_id: int, conversations: Iterable[str], start: datetime, end: datetime
    ) -> list[tuple[str, datetime, datetime | None]]:
        """(author, written, delivered) of messages held for ``conversations`` and delivered
        in the period."""
        rows = await self._session.execute(
            select(
                HeldMessageRow.author_id, HeldMessageRow.created_at, HeldMessageRow.delivered_at
            ).where(
                HeldMessageRow.workspace_id == workspace_id,
                HeldMessageRow.conversation_id.in_(list(conversations)),
                HeldMessageRow.state == "delivered",
                HeldMessageRow.delivered_at >= start,
                HeldMessageRow.delivered_at < end,
            )
        )
        return [(author, created, delivered) for author, created, delivered in rows.all()]
