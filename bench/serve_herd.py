"""The Monday herd through what admins run: `quiet-hours serve` processes on one database.

Per case: a fresh database (a SQLite file, or a new PostgreSQL database), the sandbox Slack Web
API in its own process with Slack-like limits, N held messages over M channels, and 1 or 2
``quiet-hours serve`` processes (``--no-migrate``, their own ports, so their own lease owners).
The rows are written due in 2100 while the processes start, then moved to one instant 2 s
ahead (1 s per 10k rows past 20k) in a single UPDATE, so every process is up and polling when
they fall due. The sandbox judges: makespan is from the due instant to the arrival of the last
accepted post; duplicates are posts of a text already posted; lost are rows never posted. Peak
RSS is each server process's own high-water mark (``VmHWM``), CPU its user + system time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from adapters.slack.tokens import install_single_workspace
from bench.bounds import Limit, herd_bound, lower_bound
from bench.common import KEY, insert_held, sandbox
from bench.slack_server import TOKEN
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import HeldMessageRow

ROOT = Path(__file__).resolve().parents[1]
#: The sandbox's limits (the issue's): 1/s per channel with bursts of 3; 100/s per workspace,
#: bursts of 20. The servers are told the workspace's figures (an admin's settings).
CHANNEL = Limit(1.0, 3)
WORKSPACE = Limit(100.0, 20)
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    n: int
    channels: int
    replicas: int
    db: str  # "sqlite" or "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A URL to a brand-new database, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'herd.db'}"
        return
    import asyncpg

    base = os.environ.get("QH_BENCH_DATABASE_URL") or os.environ.get("QH_TEST_DATABASE_URL")
    base = base or PG_DEFAULT
    name = f"qh_bench_{uuid.uuid4().hex[:12]}"
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def proc_status(pid: int) -> dict[str, float]:
    """Peak and current RSS (MiB) and CPU seconds of a live process, from /proc."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    fields["cpu"] = (int(stat[11]) + int(stat[12])) / ticks  # utime + stime
    return fields


class ServeProcess:
    """One `quiet-hours serve`, logging warnings and errors to a file."""

    def __init__(self, database_url: str, api_url: str, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"serve-{self.port}.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PORT": str(self.port),
            "DATABASE_URL": database_url,
            "QUIET_HOURS_SECRET_KEY": KEY,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": api_url,
            "QUIET_HOURS_SLACK_WORKSPACE_RATE": str(WORKSPACE.rate),
            "QUIET_HOURS_SLACK_WORKSPACE_BURST": str(WORKSPACE.burst),
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--no-migrate"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    async def ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited: see {self.log_path}")
            try:
                await asyncio.to_thread(urllib.request.urlopen, url, None, 1)
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise SystemExit(f"serve did not come up: see {self.log_path}")

    def counter(self, name: str) -> int:
        """This process's counter ``name`` (e.g. ``quiet_hours_delivered_total``)."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(f"{name} "):
                    return int(float(line.split()[1]))
        return 0

    def status(self) -> dict[str, float]:
        assert self.process is not None
        return proc_status(self.process.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@asynccontextmanager
async def servers(count: int, database_url: str, api_url: str) -> AsyncIterator[list[ServeProcess]]:
    log_dir = Path(tempfile.mkdtemp(prefix="qh-herd-"))
    processes = [ServeProcess(database_url, api_url, log_dir) for _ in range(count)]
    try:
        for process in processes:
            process.start()
        await asyncio.gather(*(process.ready() for process in processes))
        yield processes
    finally:
        for process in processes:
            process.stop()


def summary(api_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(api_url.replace("/api/", "/_sandbox/summary"), timeout=60) as r:
        return dict(json.loads(r.read()))


def save_posts(api_url: str, path: Path) -> None:
    """Write every post's [arrival, status, channel] (``QH_BENCH_POSTS``, diagnosis)."""
    url = api_url.replace("/api/", "/_sandbox/posts")
    with urllib.request.urlopen(url, timeout=60) as response:
        path.write_bytes(response.read())


async def finished_rows(sessions: Any) -> int:
    async with sessions() as session:
        query = select(func.count()).where(HeldMessageRow.state.in_(("delivered", "failed")))
        return int((await session.execute(query)).scalar_one())


async def run_case(case: Case, database_url: str) -> dict[str, Any]:
    args = [
        "--channel-rate",
        str(CHANNEL.rate),
        "--channel-burst",
        str(CHANNEL.burst),
        "--workspace-rate",
        str(WORKSPACE.rate),
        "--workspace-burst",
        str(WORKSPACE.burst),
    ]
    bound = herd_bound(case.n, case.channels, CHANNEL, WORKSPACE)
    with sandbox(args) as api_url:
        engine = create_engine(database_url)
        await upgrade(engine)
        sessions = session_factory(engine)
        cipher = Cipher.from_secret(KEY)
        await install_single_workspace(
            sessions, cipher, bot_token=TOKEN, api_url=api_url, now=datetime.now(UTC)
        )
        rows = (
            (f"C{i % case.channels:06d}", f"herd message {i}", FAR_FUTURE) for i in range(case.n)
        )
        await insert_held(sessions, cipher, rows)
        async with servers(case.replicas, database_url, api_url) as processes:
            # the UPDATE of every row must be done before they fall due: 100k rows on a
            # loaded PostgreSQL took more than 2 s
            due = datetime.now(UTC) + timedelta(seconds=max(2.0, case.n / 10_000))
            async with sessions() as session, session.begin():
                await session.execute(
                    update(HeldMessageRow)
                    .where(HeldMessageRow.state == "held")
                    .values(deliver_at=due)
                )
            behind = (datetime.now(UTC) - due).total_seconds()
            if behind > 0:
                raise SystemExit(f"the due instant passed {behind:.1f} s before it was written")
            deadline = time.monotonic() + 60 + 3 * bound
            while await finished_rows(sessions) < case.n:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(1.0)
            await asyncio.sleep(2.0)  # time for a duplicate to show up
            statuses = [process.status() for process in processes]
            split = [process.counter("quiet_hours_delivered_total") for process in processes]
            late = [process.counter("quiet_hours_late_slots_total") for process in processes]
            seen = summary(api_url)
            if os.environ.get("QH_BENCH_POSTS"):  # every post's arrival and status, to study
                save_posts(api_url, Path(os.environ["QH_BENCH_POSTS"]))
        await engine.dispose()
    last_at = seen["last_at"] or due.timestamp()
    makespan = last_at - due.timestamp()
    posts = seen["posted"]
    return {
        "n": case.n,
        "channels": case.channels,
        "replicas": case.replicas,
        "db": case.db,
        "makespan_s": round(makespan, 2),
        "bound_s": round(bound, 2),
        "lower_bound_s": round(lower_bound(case.n, case.channels, CHANNEL, WORKSPACE), 2),
        "ratio": round(makespan / bound, 3),
        "duplicates": seen["duplicates"],
        "lost": case.n - seen["distinct"],
        "posts": posts,
        "rate_limited": seen["rate_limited"],
        "rate_limited_pct": round(100 * seen["rate_limited"] / max(1, posts), 2),
        "peak_rss_mib": [round(s["VmHWM"], 1) for s in statuses],
        "cpu_s": [round(s["cpu"], 1) for s in statuses],
        "split": split,
        "late_slots": late,
    }


def line(r: dict[str, Any]) -> str:
    rss = "/".join(f"{value:.0f}" for value in r["peak_rss_mib"])
    cpu = "/".join(f"{value:.0f}" for value in r["cpu_s"])
    split = "/".join(str(value) for value in r["split"])
    late = "/".join(str(value) for value in r["late_slots"])
    return (
        f"herd serve x{r['replicas']} {r['db']:<8} N={r['n']:>6} M={r['channels']:>4}: "
        f"makespan {r['makespan_s']:7.1f} s, bound {r['bound_s']:6.1f} s, "
        f"ratio {r['ratio']:.3f}, duplicates {r['duplicates']}, lost {r['lost']}, "
        f"429s {r['rate_limited']} ({r['rate_limited_pct']:.2f} % of posts), "
        f"peak RSS {rss} MiB, CPU {cpu} s, delivered by each {split}, late slots given back {late}"
    )


def measure(case: Case) -> dict[str, Any]:
    with database(case.db) as url:
        return asyncio.run(run_case(case, url))
