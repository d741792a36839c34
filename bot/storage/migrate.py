"""Schema migrations with Alembic, run from code so they work from any directory and install."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ConfigError
from bot.storage.db import create_engine
from bot.storage.reachable import require_database
from bot.storage.retry import retrying

__all__ = [
    "MIGRATION_LOCK_ID",
    "SchemaNotCurrent",
    "alembic_config",
    "current_revision",
    "head_revision",
    "require_schema",
    "upgrade",
    "upgrade_url",
]

#: Key of the PostgreSQL advisory lock that serialises concurrent migrations ("QHMIGRAT").
MIGRATION_LOCK_ID = 0x5148_4D49_4752_4154


class SchemaNotCurrent(ConfigError):
    """The database has no Quiet Hours schema, or another version's: run ``quiet-hours migrate``
    (exit 2, like a setting to change before starting again)."""


def _script_location() -> Path:
    spec = importlib.util.find_spec("migrations")
    if spec is None or spec.origin is None:
        raise RuntimeError("the `migrations` package is not installed alongside `bot`")
    return Path(spec.origin).parent


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """An Alembic config without an ini file: the scripts of the installed ``migrations`` package.

    ``connection`` (a sync connection, already in a transaction) is used by ``migrations/env.py``
    instead of opening its own; otherwise env.py connects to ``url``.
    """
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    if url is not None:
        # ConfigParser interpolation: a literal % (URL-encoded passwords) must be doubled
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    # Lock before Alembic reads the version table: a second migrator waits, then finds nothing
    # to do. PostgreSQL: an advisory lock held until this transaction ends. SQLite: the database
    # write lock (the driver would otherwise start the transaction lazily, after the read).
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    command.upgrade(alembic_config(connection=connection), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` in one transaction (PostgreSQL: DDL is transactional).

    Two processes may start at once (replicas, ``migrate`` next to ``serve``). PostgreSQL makes
    the second wait on an advisory lock; SQLite makes it wait at most its busy timeout (5 s) and
    then answers "database is locked", so the whole upgrade is tried again (up to 8 times,
    about 30 s of back-off in all) and then finds nothing left to do.

    Raises ``sqlalchemy.exc.DBAPIError`` when the database stays locked or refuses the DDL.
    """

    async def once() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)

    await retrying(once, what="schema upgrade", attempts=8, base_delay=0.25)


def upgrade_url(url: str) -> None:
    """Upgrade the database at ``url`` to the newest revision (for the command line)."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            await require_database(engine)
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; ``None`` for a database never migrated."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision() -> str:
    """The newest revision shipped with this version of Quiet Hours."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in the `migrations` package")
    return head


async def require_schema(engine: AsyncEngine) -> None:
    """Raise unless the database can be reached and is at ``head_revision()``.

    For commands that work on stored data without migrating first (``serve --no-migrate``,
    ``export``, ``erase``, ``rotate-keys``). A SQLite file that is not there is not created.

    Raises:
        SchemaNotCurrent: no such SQLite file, no Quiet Hours schema, or another revision
            (exit 2: ``the database schema is not current (…): run `quiet-hours migrate```).
        StartupError: the database cannot be reached (exit 1).
    """
    where = engine.url.render_as_string(hide_password=True)
    file = engine.url.database if engine.dialect.name == "sqlite" else None
    if file and file != ":memory:" and not await asyncio.to_thread(Path(file).exists):
        raise SchemaNotCurrent(
            f"the database schema is not current ({where} does not exist): "
            "run `quiet-hours migrate`"
        )
    await require_database(engine)
    revision = await current_revision(engine)
    expected = head_revision()
    if revision != expected:
        if revision is None:
            state, newer = "has no Quiet Hours schema", ""
        else:
            state, newer = f"is at {revision}", " (or upgrade Quiet Hours if the database is newer)"
        raise SchemaNotCurrent(
            f"the database schema is not current ({where} {state}, this version expects "
            f"{expected}): run `quiet-hours migrate`{newer}"
        )
