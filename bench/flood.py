"""Flood: 300 concurrent unsigned 1 MiB posts to /slack/events; what it costs `serve` in memory.

    python -m bench.flood            # 300 posts of 1 MiB, unsigned then stale-signed
    python -m bench.flood --posts 100

An unsigned or stale request is refused from its headers, before its body is read, so the
process should stay near its idle size. Prints the resident set size (VmRSS, MiB) idle, at its
peak while the posts are in flight, and 5 s after; and the statuses it answered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench.common import sandbox
from bench.ingest import ROOT, SECRET, free_port
from bench.slack_server import TOKEN
from bot.storage.crypto import Cipher
from tests.support.signing import slack_headers

MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def flood(url: str, pid: int, posts: int, stale: bool) -> tuple[float, Counter[int]]:
    body = b"x" * MIB
    headers = {"Content-Type": "application/json"}
    if stale:
        headers.update(slack_headers(SECRET, body, timestamp=int(time.time()) - 3600))
    peak = rss_mib(pid)
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one() -> None:
            try:
                async with http.post(url, data=body, headers=headers) as response:
                    statuses[response.status] += 1
            except aiohttp.ClientError:
                statuses[0] += 1  # the server answered and closed before the body was sent

        running = asyncio.gather(*(one() for _ in range(posts)))
        while not running.done():
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.05)
        await running
    return peak, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    with sandbox([]) as api_url:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PORT": str(port),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": api_url,
            "QUIET_HOURS_SECRET_KEY": Cipher.generate_key(),
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'flood.db'}",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            asyncio.run(_ready(url))
            time.sleep(1)
            idle = rss_mib(process.pid)
            for stale in (False, True):
                peak, statuses = asyncio.run(flood(url, process.pid, args.posts, stale))
                time.sleep(5)
                after = rss_mib(process.pid)
                kind = "stale-signed" if stale else "unsigned"
                print(
                    f"flood {args.posts} x 1 MiB {kind}: RSS idle {idle:.0f} MiB, "
                    f"peak {peak:.0f} MiB, after 5 s {after:.0f} MiB; statuses {dict(statuses)}",
                    flush=True,
                )
        finally:
            process.terminate()
            process.wait(15)


async def _ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url.replace("/slack/events", "/healthz")) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("serve did not come up")


if __name__ == "__main__":
    main()
