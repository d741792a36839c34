"""SQLite's memory in a process stays bounded however many pooled connections read a large file.

Each SQLite connection caches up to 2 MiB of pages by default; a server's pool (20 connections,
and the writer thread's) over a file the size of a 100k herd grew by that much per connection
it used. ``PRAGMA soft_heap_limit`` (set with the other pragmas, ``bot.storage.db``) makes
SQLite recycle cached pages past :data:`~bot.storage.db.SQLITE_SOFT_HEAP_LIMIT` instead.

Measured in a child process (the limit and the counter are the whole process's) through
SQLite's own ``sqlite3_memory_used``, looked up with ctypes through Python's ``_sqlite3`` module
itself (so the very library it runs on); where that symbol is hidden (a static build) or SQLite
keeps no count (built with ``SQLITE_DEFAULT_MEMSTATUS=0``), the test skips.
"""

from __future__ import annotations

import _sqlite3
import ctypes
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import SQLITE_SOFT_HEAP_LIMIT, create_engine

MIB = 1024 * 1024
#: connections reading the file at once: without a limit, 2 MiB of cached pages each
READERS = 8

CHILD = r"""
import _sqlite3, asyncio, ctypes, json, sys
from sqlalchemy import text
from bot.storage.db import create_engine

lib = ctypes.CDLL(_sqlite3.__file__)
lib.sqlite3_memory_used.restype = ctypes.c_int64

async def main(path, readers):
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)"))
        await connection.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
                "INSERT INTO big (b) SELECT randomblob(3000) FROM n"
            )
        )
    together = asyncio.Barrier(readers)

    async def read():
        async with engine.connect() as connection:
            await together.wait()  # all open at once: each its own connection and page cache
            await connection.execute(text("SELECT sum(length(b)) FROM big"))
            await together.wait()

    await asyncio.gather(*(read() for _ in range(readers)))
    used = lib.sqlite3_memory_used()
    await engine.dispose()
    print(json.dumps({"used": used}))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _counts_memory() -> bool:
    """Whether ``sqlite3_memory_used`` can be read through ``_sqlite3`` and counts anything."""
    try:
        lib = ctypes.CDLL(_sqlite3.__file__)
        used = lib.sqlite3_memory_used
    except (OSError, AttributeError):
        return False
    used.restype = ctypes.c_int64
    connection = _sqlite3.connect(":memory:")  # something for SQLite to count
    try:
        return int(used()) > 0
    finally:
        connection.close()


def test_many_connections_reading_a_large_file_keep_sqlites_memory_near_the_limit(
    tmp_path: Path,
) -> None:
    if not _counts_memory():
        pytest.skip("SQLite's memory counter cannot be read here (static build or no count)")
    # the readers' caches without the limit must exceed what the assertion allows
    assert READERS * 2 * MIB > SQLITE_SOFT_HEAP_LIMIT + 2 * MIB
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "big.db"), str(READERS)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    used = json.loads(found.stdout.splitlines()[-1])["used"]
    assert used > MIB, "the child read no memory count: not the library sqlite3 runs on"
    # 17 MiB of rows read by eight connections: 16 MiB of caches without the limit
    assert used <= SQLITE_SOFT_HEAP_LIMIT + 2 * MIB, f"SQLite holds {used / MIB:.1f} MiB"


async def test_a_new_connection_sets_the_limit(tmp_path: Path) -> None:
    """The limit is the process's: cleared first, a connection of the engine sets it again."""
    cleared = _sqlite3.connect(":memory:")
    try:
        cleared.execute("PRAGMA soft_heap_limit=0")
    finally:
        cleared.close()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'limit.db'}")
    try:
        async with engine.connect() as connection:
            limit = (await connection.execute(text("PRAGMA soft_heap_limit"))).scalar_one()
    finally:
        await engine.dispose()
    assert limit == SQLITE_SOFT_HEAP_LIMIT
