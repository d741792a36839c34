"""Ingest: signed Slack event requests against Quiet Hours and two baselines, in one run.

    python -m bench.ingest            # 15 s per measurement
    python -m bench.ingest --quick    # 6 s per measurement

Targets, each its own server process on this machine: a bare aiohttp handler that only checks
the signature (the web stack's ceiling), a minimal slack-bolt app that only acknowledges (the
floor any bolt-based bot pays), and `quiet-hours serve` (signature check, body check, bolt,
then after the ack the off-hours watcher, with event_id de-duplication for messages that have
an effect). The events are messages in a channel a team watches, in its working hours.
For each: the most requests per second with 16 in flight, then latency at a fixed offered
load of 200 requests/s, then how it answers signed and unsigned garbage. One line per target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from bench.common import sandbox
from bench.slack_server import TOKEN
from bot.storage.crypto import Cipher
from tests.support.signing import slack_headers

SECRET = "bench-signing-secret-0123456789"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        process.terminate()
        process.wait(10)


def event_body(n: int) -> bytes:
    return json.dumps(
        {
            "token": "x",
            "team_id": "T_BENCH",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{n:09d}-{os.getpid()}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": "C_UNWATCHED",
                "user": "U1",
                "text": "hei",
                "ts": f"{time.time():.6f}",
                "channel_type": "channel",
            },
        }
    ).encode()


async def one(http: aiohttp.ClientSession, url: str, n: int) -> tuple[int, float]:
    body = event_body(n)
    started = time.perf_counter()
    async with http.post(url, data=body, headers=slack_headers(SECRET, body)) as response:
        await response.read()
        return response.status, time.perf_counter() - started


async def max_throughput(url: str, seconds: float, concurrency: int = 16) -> float:
    counter = iter(range(10**9))
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status, _ = await one(http, url, next(counter))
            done += status == 200

    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def fixed_load(url: str, seconds: float, rate: float = 200.0) -> tuple[float, float, float]:
    latencies: list[float] = []
    tasks = []
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        n = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            target = n / rate
            if target > elapsed:
                await asyncio.sleep(target - elapsed)
            tasks.append(asyncio.create_task(one(http, url, 10**8 + n)))
            n += 1
        results = await asyncio.gather(*tasks)
        total = time.perf_counter() - started
    latencies = sorted(latency for status, latency in results if status == 200)
    achieved = len(latencies) / total
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return achieved, statistics.median(latencies), p99


GARBAGE = [
    b"\xff\xfe garbage",
    b"[1,2,3]",
    b"{not json",
    b"",
    b'{"type": "event_callback"}',
    b'{"type": "event_callback", "event": "x"}',
    b'{"event": {"type": 5}}',
]


async def garbage(url: str) -> tuple[int, int]:
    """(5xx answers, requests) for signed and unsigned garbage."""
    fives = total = 0
    async with aiohttp.ClientSession() as http:
        for body in GARBAGE:
            for signed in (True, False):
                headers = (
                    slack_headers(SECRET, body) if signed else {"Content-Type": "application/json"}
                )
                async with http.post(url, data=body, headers=headers) as response:
                    total += 1
                    fives += response.status >= 500
    return fives, total


async def measure(name: str, url: str, seconds: float) -> dict[str, float]:
    await max_throughput(url, 1.0)  # warm up
    rps = await max_throughput(url, seconds)
    achieved, p50, p99 = await fixed_load(url, seconds)
    fives, total = await garbage(url)
    print(
        f"ingest {name:>11}: max {rps:7.0f} req/s; at 200 req/s achieved {achieved:5.0f}, "
        f"p50 {p50 * 1000:5.1f} ms, p99 {p99 * 1000:6.1f} ms; garbage -> 5xx {fives}/{total}",
        flush=True,
    )
    return {"rps": rps, "p99": p99}


async def watched_team(database_url: str) -> None:
    """The bench channel is watched by a team that is in working hours (the common case)."""
    from datetime import UTC, datetime

    from bot.storage.db import create_engine, session_factory
    from bot.storage.migrate import upgrade
    from bot.storage.repositories import TeamRepository, WorkspaceRepository

    engine = create_engine(database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    async with session_factory(engine)() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T_BENCH", now=now)
        teams = TeamRepository(session)
        team = await teams.create(workspace.id, "Bench", hours_spec="daily 00:00-24:00", now=now)
        await teams.watch(team, "C_BENCH")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 6.0 if args.quick else 15.0
    results = {}
    for kind in ("bare", "bolt"):
        port = free_port()
        command = [sys.executable, "-m", "bench.ingest_targets", kind, str(port), SECRET]
        with server(command, port) as url:
            results[kind] = asyncio.run(measure(kind, url, seconds))
    with sandbox([]) as api_url:
        port = free_port()
        env = {
            "PYTHONPATH": str(ROOT),
            "PORT": str(port),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": api_url,
            "QUIET_HOURS_SECRET_KEY": Cipher.generate_key(),
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'ingest.db'}",
        }
        command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
        with server(command, port, env) as url:
            results["quiet-hours"] = asyncio.run(measure("quiet-hours", url, seconds))
    ratio = results["quiet-hours"]["rps"] / results["bolt"]["rps"]
    bolt_vs_bare = results["bolt"]["rps"] / results["bare"]["rps"]
    print(
        f"ingest ratios: quiet-hours / minimal bolt = {ratio:.2f}; "
        f"minimal bolt / bare aiohttp = {bolt_vs_bare:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
