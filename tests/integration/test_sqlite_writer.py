"""The group commit's SQLite writer thread (``bot.storage.sqlite_writer``) on real files: a
batch commits whole or not at all, a file moved away or replaced is never written through a
stale handle, and a missing file is an error, never a new empty database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool

from bot.storage.db import create_engine
from bot.storage.sqlite_writer import SQLiteWriter


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


def _add(*bodies: str | None) -> Callable[[sqlite3.Connection], int]:
    def work(connection: sqlite3.Connection) -> int:
        connection.executemany("INSERT INTO notes VALUES (?)", [(body,) for body in bodies])
        return len(bodies)

    return work


async def test_a_batch_commits_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _database(path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    writer = SQLiteWriter.for_engine(engine)
    assert writer is not None
    try:
        assert await writer.run(_add("one", "two")) == 2
        with pytest.raises(DBAPIError):  # NOT NULL: the row before it is rolled back too
            await writer.run(_add("three", None))

        def failing(connection: sqlite3.Connection) -> None:
            connection.execute("INSERT INTO notes VALUES ('four')")
            raise KeyError("bug")

        with pytest.raises(KeyError):  # the work's own error: rolled back, raised as is
            await writer.run(failing)
        assert await writer.run(_add("five")) == 1
    finally:
        await writer.close()
        await engine.dispose()
    assert _notes(path) == ["five", "one", "two"]
    assert writer.transactions == 2


async def test_a_replaced_file_is_written_not_the_old_one(tmp_path: Path) -> None:
    """A file moved away and another put in its place (a restore from a backup): the next
    batch goes into the file the path names now."""
    path = tmp_path / "b.db"
    _database(path)
    writer = SQLiteWriter.for_engine(create_engine(f"sqlite+aiosqlite:///{path}"))
    assert writer is not None
    try:
        await writer.run(_add("before"))
        checkpoint = sqlite3.connect(path)  # its WAL into the file, as a backup tool would
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        path.rename(tmp_path / "moved.db")
        _database(path)
        await writer.run(_add("after"))
    finally:
        await writer.close()
    assert _notes(path) == ["after"]
    assert _notes(tmp_path / "moved.db") == ["before"]


async def test_a_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _database(path)
    writer = SQLiteWriter.for_engine(create_engine(f"sqlite+aiosqlite:///{path}"))
    assert writer is not None
    try:
        await writer.run(_add("kept"))
        path.rename(tmp_path / "away.db")
        with pytest.raises(OperationalError, match="unable to open database file"):
            await writer.run(_add("lost"))
        assert not path.exists()  # no empty database in its place
        (tmp_path / "away.db").rename(path)  # back: writes go on
        await writer.run(_add("again"))
    finally:
        await writer.close()
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
