"""Shared pieces of the delivery benchmarks: a sandbox server process, a database, an engine."""

from __future__ import annotations

import asyncio
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens, install_single_workspace
from bench.slack_server import TOKEN
from bot.clock import SystemClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import SLACK_CHANNEL, Bucket
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import HeldMessageRow

KEY = Cipher.generate_key()


@contextmanager
def sandbox(args: Sequence[str]) -> Iterator[str]:
    """Start bench.slack_server in a subprocess; yield its API URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.slack_server", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)


def posted(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.replace("/api/", "/_sandbox/messages"), timeout=60) as r:
        return dict(json.loads(r.read()))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def prepared_engine(
    url: str, database_url: str | None, workspace_rate: float | None
) -> tuple[DeliveryEngine, Any, Cipher]:
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    cipher = Cipher.from_secret(KEY)
    await install_single_workspace(
        sessions, cipher, bot_token=TOKEN, api_url=url, now=datetime.now(UTC)
    )
    workspace_limits: dict[str, tuple[Bucket, ...]] = {}
    if workspace_rate:
        # the server's own bucket: 20 at once, refilled at `rate` per second
        workspace_limits["slack"] = (Bucket(workspace_rate, 20),)
    delivery = DeliveryEngine(
        sessions=sessions,
        cipher=cipher,
        platforms={"slack": SlackPlatform(token_for=StoredTokens(sessions, cipher), base_url=url)},
        clock=SystemClock(),
        owner="bench",
        config=EngineConfig(
            conversation_limits={"slack": SLACK_CHANNEL}, workspace_limits=workspace_limits
        ),
    )
    return delivery, sessions, cipher


async def insert_held(
    sessions: Any, cipher: Cipher, rows: Iterable[tuple[str, str, datetime]], chunk: int = 2000
) -> None:
    """Bulk-insert held messages (channel, text, deliver_at) for workspace 1, chunk by chunk.

    ``rows`` may be a generator: the harness must not hold N messages in memory, or the peak
    RSS it reports would be its own, not the engine's. Each row's ``seq`` is its place in its
    channel's backlog, as ``HeldMessageRepository.add`` numbers it (the database starts empty).
    """
    now = datetime.now(UTC)
    iterator = iter(rows)
    seq: Counter[str] = Counter()  # each channel's backlog, numbered as the hold path does

    def place(channel: str) -> int:
        seq[channel] += 1
        return seq[channel]

    while batch := list(itertools.islice(iterator, chunk)):
        values = [
            {
                "id": str(uuid.uuid4()),
                "workspace_id": 1,
                "conversation_id": channel,
                "author_id": "U_BENCH",
                "body_enc": cipher.encrypt(text),
                "kind": "later",
                "as_author": False,
                "urgent": False,
                "created_at": now,
                "deliver_at": due,
                "seq": place(channel),
                "state": "held",
                "attempts": 0,
                "updated_at": now,
            }
            for channel, text, due in batch
        ]
        async with sessions() as session, session.begin():
            await session.execute(insert(HeldMessageRow), values)


async def wait_all(sessions: Any, cipher: Cipher, total: int, within: float) -> None:
    from bot.storage.outbox import HeldMessageRepository

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        async with sessions() as session:
            counts = await HeldMessageRepository(session, cipher).count_by_state()
        if counts.get("delivered", 0) + counts.get("failed", 0) >= total:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("not everything was delivered in time")
