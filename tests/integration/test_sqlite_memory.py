"""SQLite's memory in a process stays bounded however many pooled connections read a large file.

Each SQLite connection caches up to 2 MiB of pages by default; a server's pool (20 connections,
and the writer thread's) over a file the size of a 100k herd grew by that much per connection
it used. ``PRAGMA soft_heap_limit`` (set with the other pragmas, ``bot.storage.db``) makes
SQLite recycle cached pages past :data:`~bot.storage.db.SQLITE_SOFT_HEAP_LIMIT` instead.

Measured in a child process (the limit and the counter are the whole process's) through
SQLite's own ``sqlite3_memory_used``, read with ctypes from the library Python's ``sqlite3``
module uses; where that library cannot be found (a statically linked build), the test skips.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.db import SQLITE_SOFT_HEAP_LIMIT

MIB = 1024 * 1024
#: connections reading the file at once: without a limit, 2 MiB of cached pages each
READERS = 8

CHILD = r"""
import asyncio, ctypes, ctypes.util, json, sys
from sqlalchemy import text
from bot.storage.db import create_engine

lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
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


def _shared_library() -> str | None:
    """The SQLite library ``sqlite3`` runs on, when ctypes can load the same one."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.sqlite3_libversion.restype = ctypes.c_char_p
    version = lib.sqlite3_libversion().decode()
    return name if version == sqlite3.sqlite_version else None


def test_many_connections_reading_a_large_file_keep_sqlites_memory_near_the_limit(
    tmp_path: Path,
) -> None:
    if _shared_library() is None:
        pytest.skip("Python's sqlite3 does not use a SQLite library ctypes can load here")
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "big.db"), str(READERS)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=True,
    )
    used = json.loads(found.stdout.splitlines()[-1])["used"]
    # 18 MiB of rows read by eight connections: 16 MiB of caches without the limit
    assert used <= SQLITE_SOFT_HEAP_LIMIT + 2 * MIB, f"SQLite holds {used / MIB:.1f} MiB"
