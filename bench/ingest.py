"""Ingest: signed Slack requests against Quiet Hours and the minimal bolt app, in one run.

    python -m bench.ingest            # 15 s per measurement (about 5 minutes)
    python -m bench.ingest --quick    # 5 s per measurement

Targets, each its own server process on this machine: a bare aiohttp handler that only checks
the signature (the web stack's ceiling), a minimal slack-bolt app that only acknowledges (the
floor any bolt-based bot pays), and `quiet-hours serve` on a SQLite file. Quiet Hours is
measured with message events in three channels: one no team watches, one watched by a team
in its hours (``daily 00:00-24:00``), and one watched by a team out of its hours (a half-hour
window twelve hours away): those events are off-hours messages in a watched channel, written
to the database (the activity and the event's id) before the 200. For each: the most requests
per second with 16 in flight, then latency at fixed offered loads of 100 and 200 requests/s.
Then ``/quiet later TEXT`` in the off-hours channel (the message is held: a database write and
the answer with its buttons) at 20 commands/s, next to the minimal bolt app acknowledging the
same command. Then how each answers signed and unsigned garbage. One line per case.
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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bench.common import sandbox
from bench.slack_server import TOKEN
from bot.storage.crypto import Cipher
from tests.support.signing import slack_headers

SECRET = "bench-signing-secret-0123456789"
ROOT = Path(__file__).resolve().parents[1]
UNWATCHED, IN_HOURS, OFF_HOURS = "C_UNWATCHED", "C_IN_HOURS", "C_OFF_HOURS"
RATES = (100.0, 200.0)
COMMAND_RATE = 20.0
#: the people writing (the sandbox knows them, as Slack would)
USERS = 50

Body = Callable[[int], tuple[bytes, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    command: list[str], port: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """Run a server process (its stderr to ``log``); yield its events URL once it listens."""
    stderr = subprocess.DEVNULL if log is None else log.open("ab")
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
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


def event(channel: str) -> Body:
    """Signed-to-be message events in ``channel``, each with its own event id and ts."""

    def body(n: int) -> tuple[bytes, str]:
        now = time.time()
        data = {
            "token": "x",
            "team_id": "T_BENCH",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{n:09d}-{os.getpid()}-{channel}",
            "event_time": int(now),
            "event": {
                "type": "message",
                "channel": channel,
                "user": f"U{n % USERS:03d}",
                "text": "hei",
                "ts": f"{now:.6f}",
                "channel_type": "channel",
            },
        }
        return json.dumps(data).encode(), "application/json"

    return body


def later_command(response_url: str) -> Body:
    """``/quiet later …`` in the off-hours channel, as Slack posts a slash command."""

    def body(n: int) -> tuple[bytes, str]:
        return urlencode(_command_fields(n, response_url)).encode(), FORM

    return body


FORM = "application/x-www-form-urlencoded"


def _command_fields(n: int, response_url: str) -> dict[str, str]:
    return {
        "token": "x",
        "team_id": "T_BENCH",
        "team_domain": "bench",
        "channel_id": OFF_HOURS,
        "channel_name": "off-hours",
        "user_id": f"U{n % USERS:03d}",
        "user_name": "someone",
        "command": "/quiet",
        "text": f"later Can we talk on Monday? ({n})",
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{time.time():.3f}.{n}.trigger",
    }


async def one(http: aiohttp.ClientSession, url: str, body: Body, n: int) -> tuple[int, float]:
    data, content_type = body(n)
    headers = {**slack_headers(SECRET, data), "Content-Type": content_type}
    started = time.perf_counter()
    async with http.post(url, data=data, headers=headers) as response:
        await response.read()
        return response.status, time.perf_counter() - started


async def max_throughput(url: str, body: Body, seconds: float, concurrency: int = 16) -> float:
    counter = iter(range(10**9))
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status, _ = await one(http, url, body, next(counter))
            done += status == 200

    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def fixed_load(
    url: str, body: Body, seconds: float, rate: float, offset: int
) -> tuple[float, float, float, dict[int, int]]:
    """(achieved 200s per second, p50 s, p99 s, answers other than 200 by status) at ``rate``
    requests per second offered."""
    tasks = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        started = time.perf_counter()
        n = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            target = n / rate
            if target > elapsed:
                await asyncio.sleep(target - elapsed)
            tasks.append(asyncio.create_task(one(http, url, body, offset + n)))
            n += 1
        results = await asyncio.gather(*tasks)
        total = time.perf_counter() - started
    latencies = sorted(latency for status, latency in results if status == 200)
    others = dict(Counter(status for status, _ in results if status != 200))
    if not latencies:
        return 0.0, float("nan"), float("nan"), others
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / total, statistics.median(latencies), p99, others


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


async def measure(
    target: str, case: str, url: str, body: Body, seconds: float, rates: tuple[float, ...]
) -> dict[str, float]:
    await max_throughput(url, body, 1.0)  # warm up
    rps = await max_throughput(url, body, seconds)
    result = {"rps": rps}
    parts = [f"max {rps:6.0f} req/s"]
    for number, rate in enumerate(rates):
        achieved, p50, p99, others = await fixed_load(
            url, body, seconds, rate, offset=(number + 1) * 10**7
        )
        result[f"p99@{rate:.0f}"] = p99
        parts.append(
            f"at {rate:.0f}/s: achieved {achieved:4.0f}, p50 {p50 * 1000:6.1f} ms, "
            f"p99 {p99 * 1000:7.1f} ms, non-200 {others or 0}"
        )
    print(f"ingest {target:>11} {case:<17}: " + "; ".join(parts), flush=True)
    return result


async def command_latency(
    target: str, url: str, seconds: float, response_url: str
) -> dict[str, float]:
    body = later_command(response_url)
    await fixed_load(url, body, 1.0, COMMAND_RATE, offset=9 * 10**8)  # warm up
    achieved, p50, p99, others = await fixed_load(
        url, body, seconds, COMMAND_RATE, offset=8 * 10**8
    )
    print(
        f"ingest {target:>11} {'/quiet later':<17}: at {COMMAND_RATE:.0f}/s achieved "
        f"{achieved:4.1f}, ack p50 {p50 * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms, "
        f"non-200 {others or 0}",
        flush=True,
    )
    return {"p50": p50, "p99": p99}


async def report_garbage(target: str, url: str) -> None:
    fives, total = await garbage(url)
    print(f"ingest {target:>11} {'garbage':<17}: answered 5xx {fives} of {total}", flush=True)


def off_hours_spec(now: datetime) -> str:
    """A daily half hour twelve hours from ``now`` (UTC): closed for the whole run."""
    start = (now.hour + 12) % 24
    return f"daily {start:02d}:00-{start:02d}:30 tz UTC"


async def watched_teams(database_url: str) -> None:
    """One team in its hours watching IN_HOURS, one out of them watching OFF_HOURS."""
    from bot.storage.db import create_engine, session_factory
    from bot.storage.migrate import upgrade
    from bot.storage.repositories import TeamRepository, WorkspaceRepository

    engine = create_engine(database_url)
    await upgrade(engine)
    now = datetime.now(UTC)
    async with session_factory(engine)() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T_BENCH", now=now)
        teams = TeamRepository(session)
        open_team = await teams.create(
            workspace.id, "Always in", hours_spec="daily 00:00-24:00", now=now
        )
        await teams.watch(open_team, IN_HOURS)
        closed = await teams.create(workspace.id, "Away", hours_spec=off_hours_spec(now), now=now)
        await teams.watch(closed, OFF_HOURS)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 5.0 if args.quick else 15.0
    results: dict[str, dict[str, float]] = {}
    for kind in ("bare", "bolt"):
        port = free_port()
        command = [sys.executable, "-m", "bench.ingest_targets", kind, str(port), SECRET]
        with server(command, port) as url:
            rates = () if kind == "bare" else RATES
            results[kind] = asyncio.run(
                measure(kind, "events", url, event(UNWATCHED), seconds, rates)
            )
            if kind == "bolt":
                hook = "http://127.0.0.1:9/unused"  # bolt only acknowledges
                results["bolt command"] = asyncio.run(command_latency(kind, url, seconds, hook))
            asyncio.run(report_garbage(kind, url))
    with sandbox(["--users", str(USERS)]) as api_url:
        port = free_port()
        database_url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'ingest.db'}"
        asyncio.run(watched_teams(database_url))
        env = {
            "PYTHONPATH": str(ROOT),
            "PORT": str(port),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": api_url,
            "QUIET_HOURS_SECRET_KEY": Cipher.generate_key(),
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
        }
        command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
        log = Path(tempfile.mkdtemp(prefix="qh-ingest-")) / "serve.log"
        print(f"ingest quiet-hours logs to {log}", flush=True)
        with server(command, port, env, log) as url:
            for case, channel in (
                ("unwatched", UNWATCHED),
                ("watched in hours", IN_HOURS),
                ("watched off hours", OFF_HOURS),
            ):
                results[case] = asyncio.run(
                    measure("quiet-hours", case, url, event(channel), seconds, RATES)
                )
            hook = api_url.replace("/api/", "/_sandbox/respond/bench")
            results["command"] = asyncio.run(command_latency("quiet-hours", url, seconds, hook))
            asyncio.run(report_garbage("quiet-hours", url))
    bolt = results["bolt"]["rps"]
    ratios = ", ".join(
        f"{case} {results[case]['rps'] / bolt:.2f}"
        for case in ("unwatched", "watched in hours", "watched off hours")
    )
    print(
        f"ingest ratios to the minimal bolt app (max req/s): {ratios}; "
        f"minimal bolt / bare aiohttp = {bolt / results['bare']['rps']:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
