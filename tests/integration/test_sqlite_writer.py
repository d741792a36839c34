"""The group commit's SQLite writer thread (``bot.storage.sqlite_writer``) on real files: a
batch commits whole or not at all; while its file is moved away or replaced nothing is written
(the database is away: 503) until that file is back; a missing file is never created."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool

from bot.storage.db import create_engine
from bot.storage.sqlite_writer import SQLiteWriter
from bot.webio import database_unavailable


def _database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (body TEXT NOT NULL)")
    connection.commit()
    connection.close()


def _notes(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT body FROM notes ORDER BY body")]
    finally:
        connection.close()


@asynccontextmanager
async def _writer(path: Path) -> AsyncIterator[SQLiteWriter]:
    """The writer an engine on ``path`` gets; closed afterwards."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    writer = SQLiteWriter.for_engine(engine)
    assert writer is not None
    try:
        yield writer
    finally:
        await writer.close()
        await engine.dispose()


def _add(*bodies: str | None) -> Callable[[sqlite3.Connection], int]:
    def work(connection: sqlite3.Connection) -> int:
        connection.executemany("INSERT INTO notes VALUES (?)", [(body,) for body in bodies])
        return len(bodies)

    return work


async def test_a_batch_commits_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _database(path)
    async with _writer(path) as writer:
        assert await writer.run(_add("one", "two")) == 2
        with pytest.raises(DBAPIError):  # NOT NULL: the row before it is rolled back too
            await writer.run(_add("three", None))

        def failing(connection: sqlite3.Connection) -> None:
            connection.execute("INSERT INTO notes VALUES ('four')")
            raise KeyError("bug")

        with pytest.raises(KeyError):  # the work's own error: rolled back, raised as is
            await writer.run(failing)
        assert await writer.run(_add("five")) == 1
    assert _notes(path) == ["five", "one", "two"]
    assert writer.transactions == 2


async def test_a_replaced_file_is_not_written_until_the_first_is_back(tmp_path: Path) -> None:
    """Another file put in the path's place (a backup, junk): nothing is written to it or to
    the first, every batch fails as the database being away (503), until the first is back.
    A second file beside the engine's pooled connections would share their WAL."""
    path = tmp_path / "b.db"
    _database(path)
    async with _writer(path) as writer:
        await writer.run(_add("before"))
        checkpoint = sqlite3.connect(path)  # its WAL into the file, so the file moves whole
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        path.rename(tmp_path / "first.db")
        _database(path)  # another database in its place
        with pytest.raises(OperationalError, match="replaced by another file") as caught:
            await writer.run(_add("during"))
        assert database_unavailable(caught.value)
        path.write_bytes(b"not a database at all" * 100)  # junk in its place
        with pytest.raises(OperationalError, match="replaced by another file"):
            await writer.run(_add("during"))
        path.unlink()
        (tmp_path / "first.db").rename(path)  # the first file back
        await writer.run(_add("after"))
    assert _notes(path) == ["after", "before"]


def test_a_file_that_is_no_database_counts_as_the_database_away(tmp_path: Path) -> None:
    """SQLite's "file is not a database" (and corrupt, read-only, I/O, full, cannot open) is
    the file being unusable, not our query being wrong: HTTP answers 503, and the platform
    sends the event again, instead of 200 with nothing stored."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    connection = sqlite3.connect(junk)
    try:
        with pytest.raises(sqlite3.DatabaseError) as caught:
            connection.execute("SELECT 1 FROM sqlite_master")
    finally:
        connection.close()
    wrapped = DBAPIError.instance(None, None, caught.value, sqlite3.Error)
    assert not isinstance(wrapped, OperationalError)  # SQLAlchemy's DatabaseError
    assert database_unavailable(wrapped)
    wrong = DBAPIError.instance(None, None, sqlite3.IntegrityError("NOT NULL"), sqlite3.Error)
    assert not database_unavailable(wrong)


async def test_a_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _database(path)
    async with _writer(path) as writer:
        await writer.run(_add("kept"))
        path.rename(tmp_path / "away.db")
        with pytest.raises(OperationalError, match="moved away or deleted"):
            await writer.run(_add("lost"))
        assert not path.exists()  # no empty database in its place
        (tmp_path / "away.db").rename(path)  # back: writes go on
        await writer.run(_add("again"))
    assert _notes(path) == ["again", "kept"]
    with pytest.raises(RuntimeError):
        await writer.run(_add("closed"))


def test_only_a_sqlite_file_through_aiosqlite_gets_a_writer(tmp_path: Path) -> None:
    assert SQLiteWriter.for_engine(create_engine(f"sqlite+aiosqlite:///{tmp_path}/d.db"))
    assert SQLiteWriter.for_engine(create_async_engine("sqlite+aiosqlite:///:memory:")) is None
    memory = "sqlite+aiosqlite:///file:x?mode=memory&cache=shared&uri=true"
    assert SQLiteWriter.for_engine(create_async_engine(memory, poolclass=StaticPool)) is None
    postgres = create_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    assert SQLiteWriter.for_engine(postgres) is None
