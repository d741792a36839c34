"""Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine
from bot.storage.migrate import current_revision, head_revision, upgrade
from bot.storage.models import Base

TABLES = {
    "workspaces",
    "installations",
    "people",
    "teams",
    "team_channels",
    "team_leaders",
    "conversations",
    "held_messages",
    "labels",
    "seen_events",
    "send_slots",
    "off_hours_activity",
    "digests",
    "urgent_overrides",
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
    "thread_excerpts",
    "workspace_defaults",
    "decision_guards",
    "decision_reactions",
    "return_digests",
    "alembic_version",
}


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        differences = await connection.run_sync(_diff)
    assert tables == TABLES
    assert differences == []


async def test_upgrade_is_idempotent_and_reaches_head(engine: AsyncEngine) -> None:
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()


async def test_concurrent_upgrades_do_not_collide(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.parametrize("table", ["off_hours_activity", "seen_events", "labels", "digests"])
async def test_metadata_tables_have_no_text_columns(engine: AsyncEngine, table: str) -> None:
    """Privacy by design: nothing but the outbox can hold what people wrote."""
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns(table)}
        )
    assert not columns & {"text", "body", "body_enc", "message", "content"}


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    from sqlalchemy import text

    async with engine.connect() as connection:
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
    assert (mode, timeout, foreign_keys) == ("wal", 5000, 1)


async def test_sqlite_overwrites_what_it_deletes_whatever_the_build_default(
    database_url: str,
) -> None:
    """Erased bodies and tokens must not stay readable in free pages of the file.

    This build of SQLite happens to default to ``secure_delete=ON``; many do not. The connection
    here starts with it OFF, as on such a build: our engine must switch it on itself.
    """
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite settings")
    import aiosqlite
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    path = make_url(database_url).database
    assert path is not None

    async def connect_like_a_build_without_secure_delete() -> Any:
        connection = await aiosqlite.connect(path)
        await connection.execute("PRAGMA secure_delete=OFF")
        return connection

    engine = create_engine(database_url, async_creator=connect_like_a_build_without_secure_delete)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 1
    finally:
        await engine.dispose()
