"""The workspace default policy's row: made once per workspace, changed by admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.workspace_default import DefaultSettings
from bot.storage.inserts import first_insert
from bot.storage.models import WorkspaceDefaultRow

__all__ = ["WorkspaceDefaultRepository"]


class WorkspaceDefaultRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, workspace_id: int) -> WorkspaceDefaultRow | None:
        return await self._session.get(WorkspaceDefaultRow, workspace_id, populate_existing=True)

    async def create_if_missing(
        self,
        workspace_id: int,
        settings: DefaultSettings,
        *,
        source: str,
        now: datetime,
        installed_by: str | None = None,
    ) -> tuple[WorkspaceDefaultRow, bool]:
        """The workspace's default, made from ``settings`` unless one exists (a reinstall
        keeps what admins chose). Safe against two installs racing: one insert wins.
        Returns the row and whether this call made it."""
        created = await first_insert(
            self._session,
            WorkspaceDefaultRow,
            workspace_id=workspace_id,
            preset=settings.preset,
            tz=settings.tz,
            country=settings.country,
            mode=settings.mode.value,
            source=source,
            installed_by=installed_by,
            changed_by=None,
            onboarded_at=None,
            created_at=now,
            updated_at=now,
        )
        row = await self.find(workspace_id)
        assert row is not None  # inserted or already there
        return row, created

    async def change(
        self, row: WorkspaceDefaultRow, *, now: datetime, changed_by: str, **fields: object
    ) -> None:
        """An admin's change: ``preset``, ``tz``, ``country`` or ``mode``."""
        for name, value in fields.items():
            if name not in ("preset", "tz", "country", "mode"):
                raise AttributeError(name)
            setattr(row, name, value)
        row.source, row.changed_by, row.updated_at = "admin", changed_by, now
        await self._session.flush()

    async def claim_onboarding(self, workspace_id: int, now: datetime) -> bool:
        """True exactly once per workspace: whoever gets it sends the welcome (a reinstall,
        a retried install or a second replica gets False)."""
        result = await self._session.execute(
            update(WorkspaceDefaultRow)
            .where(
                WorkspaceDefaultRow.workspace_id == workspace_id,
                WorkspaceDefaultRow.onboarded_at.is_(None),
            )
            .values(onboarded_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
