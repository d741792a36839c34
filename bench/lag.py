"""On-time lag: messages due at random instants over a window, no rate pressure.

    python -m bench.lag            # 1,000 messages over 2 minutes
    python -m bench.lag --quick    # 200 messages over 20 seconds

Lag is delivered_at minus deliver_at as recorded in the outbox (it includes the Web API call).
One summary line.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench.common import insert_held, posted, prepared_engine, sandbox, wait_all
from bot.storage.models import HeldMessageRow


async def run(count: int, window: float, database_url: str | None) -> str:
    with sandbox([]) as url:
        delivery, sessions, cipher = await prepared_engine(url, database_url, None)
        start = datetime.now(UTC) + timedelta(seconds=3)
        rng = random.Random(42)
        rows = [
            (f"C{i:05d}", f"lag message {i}", start + timedelta(seconds=rng.uniform(0, window)))
            for i in range(count)
        ]
        await insert_held(sessions, cipher, rows)
        stop = asyncio.Event()
        task = asyncio.create_task(delivery.run(stop))
        await wait_all(sessions, cipher, count, within=window + 120)
        stop.set()
        await task
        async with sessions() as session:
            pairs = (
                await session.execute(
                    select(HeldMessageRow.deliver_at, HeldMessageRow.delivered_at)
                )
            ).all()
        seen = posted(url)
    lags = sorted((done - due).total_seconds() for due, done in pairs if done is not None)
    p50 = statistics.median(lags)
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    return (
        f"lag n={count} over {window:.0f} s: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {lags[-1] * 1000:.0f} ms, delivered {len(lags)}, posted {len(seen['messages'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    count, window = (200, 20.0) if args.quick else (1000, 120.0)
    print(asyncio.run(run(count, window, args.database_url)), flush=True)


if __name__ == "__main__":
    main()
