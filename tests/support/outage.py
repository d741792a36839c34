"""A database that is really unreachable for a while, then back (SQLite and PostgreSQL).

PostgreSQL: the app's engine talks through a local TCP relay; ``down()`` closes the relay's
port and every connection through it (the app sees "connection refused"), ``up()`` opens the
same port again. SQLite: ``down()`` moves the file away and puts a directory in its place (the
app sees "unable to open database file", even as root), ``up()`` puts it back.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["DatabaseOutage"]


class DatabaseOutage:
    def __init__(self, database_url: str) -> None:
        self._url = make_url(database_url)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._links: set[asyncio.StreamWriter] = set()

    @property
    def sqlite(self) -> bool:
        return self._url.get_backend_name() == "sqlite"

    async def url(self) -> str:
        """The URL the app under test must use (through the relay on PostgreSQL)."""
        if self.sqlite:
            return self._url.render_as_string(hide_password=False)
        await self.up()
        return self._url.set(host="127.0.0.1", port=self._port).render_as_string(
            hide_password=False
        )

    async def down(self, engine: AsyncEngine) -> None:
        if self.sqlite:
            await engine.dispose()
            _move_away(Path(str(self._url.database)))
            return
        assert self._server is not None
        self._server.close()
        for writer in list(self._links):
            writer.close()
        await self._server.wait_closed()
        self._server = None
        await engine.dispose()

    async def up(self) -> None:
        if self.sqlite:
            _move_back(Path(str(self._url.database)))
            return
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self._port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._links):
                writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = self._url.host or "127.0.0.1", self._url.port or 5432
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        self._links |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._links -= {writer, upstream_writer}


def _move_away(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        moved = Path(f"{path}{suffix}")
        if moved.exists():
            moved.rename(f"{path}{suffix}.away")
    path.mkdir()


def _move_back(path: Path) -> None:
    path.rmdir()
    for suffix in ("", "-wal", "-shm"):
        away = Path(f"{path}{suffix}.away")
        if away.exists():
            away.rename(f"{path}{suffix}")
