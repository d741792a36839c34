"""The claim of a welcome-back digest: one row per (workspace, person, return instant)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.inserts import first_insert
from bot.storage.models import ReturnDigestRow

__all__ = ["ReturnDigestRepository"]

Row = ReturnDigestRow


def _key(workspace_id: int, person: str, period_end: datetime) -> ColumnElement[bool]:
    return and_(
        Row.workspace_id == workspace_id, Row.person_id == person, Row.period_end == period_end
    )


class ReturnDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        workspace_id: int,
        person: str,
        *,
        period_start: datetime,
        period_end: datetime,
        owner: str,
        now: datetime,
        stale: timedelta = timedelta(minutes=10),
        retry: timedelta = timedelta(minutes=5),
    ) -> bool:
        """True for exactly one claimer, however many replicas try; as
        :meth:`~bot.storage.repositories.DigestRepository.claim`, a run that died (still
        ``claimed`` after ``stale``) or posted nothing (``failed``, after ``retry``) may be
        claimed again, a posted or empty one never."""
        if await first_insert(
            self._session,
            Row,
            workspace_id=workspace_id,
            person_id=person,
            period_start=period_start,
            period_end=period_end,
            state="claimed",
            claimed_by=owner,
            claimed_at=now,
        ):
            return True
        result = await self._session.execute(
            update(Row)
            .where(
                _key(workspace_id, person, period_end),
                or_(
                    and_(Row.state == "claimed", Row.claimed_at <= now - stale),
                    and_(Row.state == "failed", Row.claimed_at <= now - retry),
                ),
            )
            .values(state="claimed", claimed_by=owner, claimed_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(
        self, workspace_id: int, person: str, period_end: datetime, *, state: str, now: datetime
    ) -> None:
        """Record the outcome: ``posted``, ``empty`` (nothing to tell) or ``failed``."""
        await self._session.execute(
            update(Row)
            .where(_key(workspace_id, person, period_end))
            .values(state=state, posted_at=now if state == "posted" else None)
        )
