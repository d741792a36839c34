"""Monday herd: N held messages due at one instant over N/20 channels, against Slack-like limits.

    python -m bench.herd                       # through `quiet-hours serve`: 1 and 2 replicas,
                                               # SQLite and PostgreSQL, N = 1k, 10k, 100k
    python -m bench.herd --quick               # the same with N = 1k, 10k
    python -m bench.herd --sizes 1000 --replicas 2 --db postgres
    python -m bench.herd --through engine      # the engine built by hand (the old harness)

The sandbox Slack server (its own process) enforces 1 message/s per channel with a burst of 3,
100/s per workspace with a burst of 20, and answers 429 + Retry-After past them. Through
``serve`` (``bench/serve_herd.py``) the cases run side by side in one run, one summary line
each; the bound is computed with the bursts (``bench/bounds.py``). ``--through engine`` runs
each case in a fresh process so its peak RSS is its own.
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
from pathlib import Path

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
    parser.add_argument("--sizes", type=int, nargs="+", help="N of each case (default 1k 10k 100k)")
    parser.add_argument("--through", choices=("serve", "engine"), default="serve")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="serve only")
    parser.add_argument(
        "--db",
        nargs="+",
        choices=("sqlite", "postgres"),
        default=["sqlite", "postgres"],
        help="serve only; PostgreSQL from QH_BENCH_DATABASE_URL or QH_TEST_DATABASE_URL",
    )
    parser.add_argument("--json", help="serve only: also write every result to this file")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help="engine only: default a fresh SQLite file per case")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(asyncio.run(one_case(args.case, args.database_url))), flush=True)
        return
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    if args.through == "serve":
        through_serve(sizes, args.replicas, args.db, args.json)
        return
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


def through_serve(
    sizes: list[int], replicas: list[int], databases: list[str], out: str | None
) -> None:
    from bench.serve_herd import Case, line, measure

    results = []
    for n in sizes:
        for db in databases:
            for count in replicas:
                result = measure(Case(n, max(1, n // PER_CHANNEL), count, db))
                results.append(result)
                print(line(result), flush=True)
                if out:
                    Path(out).write_text(json.dumps(results, indent=1))
    for db in databases:
        for count in replicas:
            peaks = {
                r["n"]: max(r["peak_rss_mib"])
                for r in results
                if r["db"] == db and r["replicas"] == count
            }
            if len(peaks) > 1:
                smallest, largest = min(peaks), max(peaks)
                print(
                    f"herd serve x{count} {db:<8} peak RSS at N={largest} is "
                    f"{peaks[largest] / peaks[smallest]:.2f} x that at N={smallest}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
