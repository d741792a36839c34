"""Urgent overrides: each one logged (who, where, when), counted for the team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import UrgentOverrideRow

__all__ = ["UrgentOverrideRepository"]


class UrgentOverrideRepository:
    """The log of urgent overrides (who, where, when), counted per team or sender for insights."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        workspace_id: int,
        conversation_id: str,
        sender_id: str,
        occurred_at: datetime,
        held_message_id: str | None = None,
    ) -> None:
        self._session.add(
            UrgentOverrideRow(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                sender_id=sender_id,
                occurred_at=occurred_at,
                held_message_id=held_message_id,
            )
        )
        await self._session.flush()

    async def count_between(
        self, workspace_id: int, start: datetime, end: datetime, *, sender: str | None = None
    ) -> int:
        """Urgent overrides in ``[start, end)``; only one sender's when ``sender`` is given."""
        query = select(func.count()).where(
            UrgentOverrideRow.workspace_id == workspace_id,
            UrgentOverrideRow.occurred_at >= start,
            UrgentOverrideRow.occurred_at < end,
        )
        if sender is not None:
            query = query.where(UrgentOverrideRow.sender_id == sender)
        return int((await self._session.execute(query)).scalar_one())
