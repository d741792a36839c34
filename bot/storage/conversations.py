"""Conversations the bot may post to, with each platform's conversation reference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ConversationRow

__all__ = ["ConversationRepository"]


class ConversationRepository:
    """Conversations the bot may post to, each with the platform's reference (Teams needs one)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        workspace_id: int,
        conversation_id: str,
        *,
        kind: str,
        service_url: str | None,
        reference: str | None,
        now: datetime,
    ) -> None:
        """Insert or refresh (the platform may move a conversation to another service URL)."""
        values: dict[str, Any] = {
            "kind": kind,
            "service_url": service_url,
            "reference": reference,
            "updated_at": now,
        }
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(ConversationRow)
            .values(
                workspace_id=workspace_id, conversation_id=conversation_id, created_at=now, **values
            )
            .on_conflict_do_update(index_elements=["workspace_id", "conversation_id"], set_=values)
        )
        await self._session.execute(statement)

    async def find(self, workspace_id: int, conversation_id: str) -> ConversationRow | None:
        query = select(ConversationRow).where(
            ConversationRow.workspace_id == workspace_id,
            ConversationRow.conversation_id == conversation_id,
        )
        return (await self._session.scalars(query)).first()

    async def mentioning(
        self, workspace_id: int, text: str, *, kinds: tuple[str, ...] | None = None
    ) -> list[ConversationRow]:
        """Rows whose reference contains ``text`` (a cheap filter; callers parse to be sure)."""
        query = select(ConversationRow).where(
            ConversationRow.workspace_id == workspace_id,
            ConversationRow.reference.contains(text, autoescape=True),
        )
        if kinds is not None:
            query = query.where(ConversationRow.kind.in_(kinds))
        return list((await self._session.scalars(query.order_by(ConversationRow.id))).all())

    async def for_workspace(
        self, workspace_id: int, *, kinds: tuple[str, ...] | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        query = select(ConversationRow).where(ConversationRow.workspace_id == workspace_id)
        if kinds is not None:
            query = query.where(ConversationRow.kind.in_(kinds))
        query = query.order_by(ConversationRow.updated_at.desc()).limit(limit)
        return list((await self._session.scalars(query)).all())

    async def forget(self, workspace_id: int, conversation_id: str) -> bool:
        result = await self._session.execute(
            delete(ConversationRow).where(
                ConversationRow.workspace_id == workspace_id,
                ConversationRow.conversation_id == conversation_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
