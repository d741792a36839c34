"""A writer thread of its own for a SQLite file: a whole transaction in one hand-over.

Through SQLAlchemy's asyncio session on aiosqlite a transaction is many round trips to the
driver's thread — check out a connection, each statement, the commit, the reset — and each is
a thread switch, a GIL hand-over and an event-loop wake-up: measured on this project's 2-core
machines, 0.5 ms of CPU for a transaction of one statement and about 0.1 ms more per statement,
against 0.06 ms for four statements and their commit run in one go on ``sqlite3``
(``bench/ingest.py``'s off-hours case spent most of its time there). :class:`SQLiteWriter`
keeps one ``sqlite3`` connection on one thread of its own and runs a function of it — the
statements of a whole batch of writes — between ``BEGIN IMMEDIATE`` and ``COMMIT``, in one
hand-over; the event loop never blocks on the database.

The connection is opened in that thread with the pragmas every pooled connection gets
(``bot.storage.db``: WAL, ``busy_timeout``, foreign keys, ``secure_delete``), so the two kinds
of connection share one file and its locks as any two SQLite connections do. ``BEGIN
IMMEDIATE`` takes the write lock at the start (waiting up to the busy timeout), so a batch is
never turned away half-way by another writer. The driver's errors are raised as SQLAlchemy's
(``DBAPIError.instance``), as every other statement of the project raises them: a locked file
is retried by ``bot.storage.retry``, an unreachable one makes HTTP answer 503.

The writer opens only a file that is there (``mode=rw``: it never creates an empty database in
place of a missing one) and keeps to the file it first opened (its device and inode, checked
before each transaction). While the path names no file or another one — moved away, deleted,
replaced, a backup put in its place — every transaction fails as the database being
unreachable (HTTP answers 503 and the platform sends the event again) until that very file is
back: the engine's pooled connections still hold the first file, and a second file beside them
would share their ``-wal`` and ``-shm`` files, which corrupts both. To use another file (a
restored backup), stop ``serve`` first.

Only a SQLite *file* opened through aiosqlite gets a writer (:meth:`SQLiteWriter.for_engine`):
an in-memory database is private to its connection, and PostgreSQL has no such cost.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import quote

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import sqlite_pragmas

__all__ = ["SQLiteWriter"]

T = TypeVar("T")


class SQLiteWriter:
    """One ``sqlite3`` connection to ``path`` on a thread of its own (opened at first use).

    ``dialect`` is the engine's: its bind and result processors are what statements run here
    use, so rows are stored exactly as through the engine.
    """

    def __init__(self, path: str, dialect: Dialect) -> None:
        self.path = path
        self.dialect = dialect
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._connection: sqlite3.Connection | None = None  # touched only on that thread
        self._file: tuple[int, int] | None = None  # (device, inode) of what it has open
        self._closed = False
        #: transactions run, for tests and curiosity
        self.transactions = 0

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> SQLiteWriter | None:
        """A writer for the engine's SQLite file, or None: not aiosqlite, an in-memory or URI
        database, or a URL with options this writer would not honour."""
        url, dialect = engine.url, engine.dialect
        if dialect.name != "sqlite" or dialect.driver != "aiosqlite" or url.query:
            return None
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return None
        return cls(database, dialect)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in one transaction on the writer thread; its result once
        committed. ``work`` runs statements only (no commit, no ``await``).

        Raises:
            sqlalchemy.exc.DBAPIError: the database's error (the transaction is rolled back).
            RuntimeError: the writer is closed.
            Exception: ``work``'s own (the transaction is rolled back).
        """
        if self._closed:
            raise RuntimeError("the SQLite writer is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, work)

    async def close(self) -> None:
        """Finish what was handed over, then close the connection and the thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    # -- on the writer thread ----------------------------------------------------------------

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException as error:
            if connection.in_transaction:
                try:
                    connection.execute("ROLLBACK")
                except sqlite3.Error:
                    self._close_connection()  # in doubt: the next batch opens a new one
            if isinstance(error, sqlite3.Error):
                raise self._wrapped(error) from error
            raise
        self.transactions += 1
        return result

    def _connect(self) -> sqlite3.Connection:
        found = self._identity()
        if self._file is not None and found != self._file:
            self._close_connection()  # never write beside another file, nor to an unlinked one
            what = "moved away or deleted" if found is None else "replaced by another file"
            raise self._wrapped(
                sqlite3.OperationalError(
                    f"the database file {self.path} was {what}; writes wait until it is back "
                    "(restart to use another file)"
                )
            )
        if self._connection is None:
            uri = f"file:{quote(os.path.abspath(self.path))}?mode=rw"
            try:
                connection = sqlite3.connect(uri, uri=True, isolation_level=None)
                try:
                    sqlite_pragmas(connection, None)
                except BaseException:
                    connection.close()
                    raise
            except sqlite3.Error as error:
                raise self._wrapped(error) from error
            self._connection = connection
            if self._file is None:
                self._file = self._identity()  # the file this writer keeps to
        return self._connection

    def _identity(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _wrapped(self, error: sqlite3.Error) -> DBAPIError:
        wrapped = DBAPIError.instance(
            None,
            None,
            error,
            sqlite3.Error,
            hide_parameters=True,  # ids and encrypted lines need not be in logs
            dialect=self.dialect,
        )
        assert isinstance(wrapped, DBAPIError)
        return wrapped
