"""Workspaces (a Slack workspace, a Teams tenant) and their installations (bot tokens,
encrypted at rest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher
from bot.storage.inserts import first_insert
from bot.storage.models import (
    InstallationRow,
    PersonRow,
    WorkspaceRow,
)

__all__ = ["InstallationRepository", "WorkspaceRepository"]


class WorkspaceRepository:
    """A workspace row per (platform, external id): a Slack team id or a Teams tenant id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(
        self, platform: str, external_id: str, *, now: datetime, name: str | None = None
    ) -> WorkspaceRow:
        await first_insert(
            self._session,
            WorkspaceRow,
            platform=platform,
            external_id=external_id,
            name=name,
            default_locale="en",
            installed_at=now,
        )
        row = await self.find(platform, external_id)
        assert row is not None  # inserted or already there
        return row

    async def find(self, platform: str, external_id: str) -> WorkspaceRow | None:
        query = select(WorkspaceRow).where(
            WorkspaceRow.platform == platform, WorkspaceRow.external_id == external_id
        )
        return (await self._session.scalars(query)).first()

    async def mark_uninstalled(self, workspace_id: int, now: datetime) -> None:
        await self._session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(uninstalled_at=now)
        )


class InstallationRepository:
    """Bot tokens, encrypted at rest."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def save(
        self,
        workspace_id: int,
        *,
        bot_token: str,
        now: datetime,
        bot_user_id: str | None = None,
        app_id: str | None = None,
        scopes: str = "",
        installed_by: str | None = None,
    ) -> InstallationRow:
        row = InstallationRow(
            workspace_id=workspace_id,
            bot_token_enc=self._cipher.encrypt(bot_token),
            bot_user_id=bot_user_id,
            app_id=app_id,
            scopes=scopes,
            installed_by=installed_by,
            installed_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def bot_token(self, workspace_id: int) -> str | None:
        query = (
            select(InstallationRow)
            .where(
                InstallationRow.workspace_id == workspace_id, InstallationRow.revoked_at.is_(None)
            )
            .order_by(InstallationRow.installed_at.desc(), InstallationRow.id.desc())
        )
        row = (await self._session.scalars(query)).first()
        if row is None or row.bot_token_enc is None:
            return None
        return self._cipher.decrypt(row.bot_token_enc)

    async def revoke(self, workspace_id: int, now: datetime) -> None:
        """Delete the tokens (not just mark them): a revoked token must not linger at rest."""
        await self._session.execute(
            update(InstallationRow)
            .where(InstallationRow.workspace_id == workspace_id)
            .values(bot_token_enc=None, revoked_at=now)
        )
        await self._session.execute(
            update(PersonRow)
            .where(PersonRow.workspace_id == workspace_id)
            .values(user_token_enc=None)
        )
