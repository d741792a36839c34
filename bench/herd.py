"""Monday herd: N held messages due at one instant over N/20 channels, against Slack-like limits.

    python -m bench.herd            # N = 1k, 10k, 100k (the last takes ~17 minutes)
    python -m bench.herd --quick    # N = 1k, 10k

The sandbox Slack server (its own process) enforces 1 message/s per channel with a burst of 3,
a workspace limit, and answers 429 + Retry-After past them. Each case runs in a fresh process
so its peak RSS is its own: the engine's, with the harness's row inserts, read before the sandbox's
record of what was posted is fetched for checking. One summary line per case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import insert_held, peak_rss_mib, posted, prepared_engine, sandbox, wait_all
from bot.storage.models import HeldMessageRow

PER_CHANNEL = 20
WORKSPACE_RATE = float(__import__("os").environ.get("QH_BENCH_WORKSPACE_RATE", "100"))


async def one_case(n: int, database_url: str | None) -> dict[str, object]:
    channels = max(1, n // PER_CHANNEL)
    args = ["--channel-rate", "1", "--channel-burst", "3", "--workspace-rate", str(WORKSPACE_RATE)]
    with sandbox(args) as url:
        delivery, sessions, cipher = await prepared_engine(url, database_url, WORKSPACE_RATE)
        due = datetime.now(UTC) + timedelta(seconds=3 + n / 5000)
        rows = ((f"C{i % channels:06d}", f"herd message {i}", due) for i in range(n))
        await insert_held(sessions, cipher, rows)
        stop = asyncio.Event()
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        started = time.monotonic()
        task = asyncio.create_task(delivery.run(stop))
        await wait_all(sessions, cipher, n, within=3600)
        stop.set()
        await task
        # The engine's peak, read before the harness checks its work: the sandbox's record of
        # every message (fetched below) is N rows of the harness's own, not the engine's.
        peak_rss = peak_rss_mib()
        async with sessions() as session:
            last = (await session.execute(select(func.max(HeldMessageRow.delivered_at)))).scalar()
            errors = (
                await session.execute(
                    select(HeldMessageRow.last_error, func.count()).group_by(
                        HeldMessageRow.last_error
                    )
                )
            ).all()
        if last is None:
            raise SystemExit(f"nothing delivered: {errors}")
        makespan = (last - due).total_seconds()
        seen = posted(url)
    texts = Counter(text for _channel, text in seen["messages"])
    duplicates = sum(count - 1 for count in texts.values() if count > 1)
    lost = n - len(texts)
    bound = max(PER_CHANNEL * 1.0, n / WORKSPACE_RATE)
    return {
        "n": n,
        "channels": channels,
        "makespan_s": round(makespan, 1),
        "bound_s": bound,
        "ratio": round(makespan / bound, 3),
        "duplicates": duplicates,
        "lost": lost,
        "rate_limited": seen["rate_limited"],
        "peak_rss_mib": round(peak_rss, 1),
        "wall_s": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only 1k and 10k")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per case")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(asyncio.run(one_case(args.case, args.database_url))), flush=True)
        return
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    for n in sizes:
        command = [sys.executable, "-m", "bench.herd", "--case", str(n)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"herd N={r['n']:>6} M={r['channels']:>5}: makespan {r['makespan_s']:>7.1f} s, "
            f"bound {r['bound_s']:>6.1f} s, ratio {r['ratio']:.3f}, duplicates {r['duplicates']}, "
            f"lost {r['lost']}, 429s {r['rate_limited']}, peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
