"""A real `quiet-hours serve` subprocess for tests, its stderr (the log) kept line by line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Json = dict[str, object]


@dataclass
class Served:
    base: str
    http: aiohttp.ClientSession
    stderr: list[str]

    async def post(self, activity: object, path: str = "/api/messages") -> int:
        """POST JSON (by default a Teams activity to ``/api/messages``); the status."""
        async with self.http.post(self.base + path, json=activity) as response:
            await response.read()
            return response.status

    async def ready(self) -> Json:
        """What /readyz says (503 too: with no platform on, the process is of no use)."""
        async with self.http.get(self.base + "/readyz") as response:
            return dict(await response.json())


@contextlib.asynccontextmanager
async def serve(tmp_path: Path, **extra: str) -> AsyncIterator[Served]:
    """``quiet-hours serve`` on a free port with ``extra`` environment (no platform unless
    ``extra`` names one); stopped with SIGTERM, which must exit 0."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "QUIET_HOURS_SECRET_KEY": TEST_KEY,
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        **extra,
    }
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
    ):
        if name not in extra:
            env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def drain() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            lines.append(line.decode(errors="replace"))

    draining = asyncio.create_task(drain())
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("serve did not come up:\n" + "".join(lines))
            yield Served(base, http, lines)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
        await draining
