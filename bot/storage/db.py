"""Async engines and sessions: SQLite tuned for one process, PostgreSQL for several replicas."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_SOFT_HEAP_LIMIT",
    "create_engine",
    "session_factory",
    "sqlite_pragmas",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./quiet-hours.db"

#: Connections kept open per engine (SQLAlchemy's ``max_overflow`` of 10 more come and go).
SQLITE_POOL_SIZE = 20
POSTGRES_POOL_SIZE = 10
#: How long a SQLite writer waits for the lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000
#: SQLite's memory in one process (all its connections: page caches, prepared statements),
#: bytes; past it SQLite recycles cached pages instead of growing (``PRAGMA soft_heap_limit``,
#: https://sqlite.org/pragma.html#pragma_soft_heap_limit). Each connection may otherwise cache
#: 2 MiB of pages (``cache_size`` -2000), pages the OS's file cache holds anyway: in a 30k herd
#: on two replicas SQLite's memory in each server reached 16-17 MiB (8.7 with the limit). It has
#: no effect on a SQLite built without memory accounting (``SQLITE_DEFAULT_MEMSTATUS=0``) or with
#: a page cache of its own; an in-memory database's pages cannot be recycled.
SQLITE_SOFT_HEAP_LIMIT = 8 * 1024 * 1024


def sqlite_pragmas(dbapi_connection: Any, connection_record: ConnectionPoolEntry | None) -> None:
    """Set the project's pragmas on a new SQLite DB-API connection (a ``connect`` listener;
    also used by ``bot.storage.sqlite_writer`` for its own connection)."""
    # Per connection: WAL lets readers run while the delivery loop writes; NORMAL sync is safe
    # with WAL; SQLite leaves foreign keys (and so ON DELETE CASCADE) off unless asked;
    # secure_delete overwrites what is deleted or erased (bodies, excerpts, tokens) with zeros
    # instead of leaving it readable in free pages: many builds have it off by default. For the
    # whole process (set again by each connection, to the same value): the soft heap limit.
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching to WAL itself needs a lock another process may hold
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA soft_heap_limit={SQLITE_SOFT_HEAP_LIMIT}")
    finally:
        cursor.close()


def _sqlite_reset(
    dbapi_connection: Any, connection_record: ConnectionPoolEntry, reset_state: PoolResetState
) -> None:
    # SQLAlchemy's own reset rolls back at every return to the pool, even after a commit; on
    # aiosqlite that is one more round trip to the driver's thread per transaction (each a
    # thread switch and an event-loop wake-up). Roll back only a transaction still open: the
    # driver knows without a round trip. (SQLAlchemy's documented pattern: a "reset" listener
    # with ``pool_reset_on_return=None``.)
    if reset_state.terminate_only or not reset_state.asyncio_safe:
        return
    driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    if driver.in_transaction:
        dbapi_connection.rollback()


def _private_sqlite_file(database: str) -> Callable[..., None]:
    """A ``do_connect`` hook that creates the SQLite file readable by its owner only (0600,
    like ``.env`` and exports) before SQLite opens it; SQLite gives its ``-wal`` and ``-shm``
    files the database file's mode. An existing file is left as it is."""

    def create(*_: Any) -> None:
        # there already, or a missing folder (which SQLite then reports): nothing to do
        with contextlib.suppress(OSError):
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    return create


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for ``url``; ``options`` go to SQLAlchemy's ``create_async_engine``.

    Nothing connects until the engine is first used.
    """
    parsed = make_url(url)
    # Connections are kept for reuse up to ``pool_size``; past it SQLAlchemy opens overflow
    # connections and closes each as soon as it is returned. Its default (5) is below what a
    # burst of events holds at once (each its reads, plus the durable writes), and a new
    # connection is costly: SQLite starts a thread and sets the pragmas below, PostgreSQL
    # opens a TCP session. Keep more.
    options.setdefault(
        "pool_size",
        SQLITE_POOL_SIZE if parsed.get_backend_name() == "sqlite" else POSTGRES_POOL_SIZE,
    )
    # The most recently returned connection is handed out next (SQLAlchemy's default is the
    # oldest): a steady load then keeps to the few connections it needs, and the others,
    # there for bursts, stay idle and small. Handed out in turn, every pooled connection grew
    # its own page cache and prepared-statement cache (each distinct IN-list length is a
    # statement of its own), and a herd's server grew with it.
    options.setdefault("pool_use_lifo", True)
    if parsed.get_backend_name() == "sqlite":
        options.setdefault("pool_reset_on_return", None)  # _sqlite_reset does it
        engine = create_async_engine(parsed, **options)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        if parsed.database and parsed.database != ":memory:" and "mode=memory" not in url:
            event.listen(engine.sync_engine, "do_connect", _private_sqlite_file(parsed.database))
        return engine
    # replicas outlive database restarts and idle timeouts: test connections before use
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **options)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)
