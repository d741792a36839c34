"""Race-safe inserts: "the first one wins" in the session's dialect (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from bot.storage.models import Base

__all__ = ["first_insert", "insert_ignoring_duplicates"]


def insert_ignoring_duplicates(session: AsyncSession, table: type[Base]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect (race-safe "first one wins")."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def first_insert(session: AsyncSession, table: type[Base], **values: Any) -> bool:
    """Insert one row of ``table`` unless a row with the same unique key exists; True when
    this call's row is the one stored (the caller won the race)."""
    statement = insert_ignoring_duplicates(session, table).values(**values)
    primary = next(iter(table.__table__.primary_key.columns))  # type: ignore[attr-defined]
    result = await session.execute(statement.returning(primary))
    return result.first() is not None
