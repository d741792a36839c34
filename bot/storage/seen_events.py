"""Platform event ids already handled: a retry of one is acknowledged and nothing more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.inserts import first_insert
from bot.storage.models import SeenEventRow

__all__ = ["SeenEventRepository"]


class SeenEventRepository:
    """Platform events already handled, so a retried delivery has one effect."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, platform: str, event_id: str, now: datetime) -> bool:
        return await first_insert(
            self._session, SeenEventRow, platform=platform, event_id=event_id, seen_at=now
        )

    async def purge_older_than(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(SeenEventRow).where(SeenEventRow.seen_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
