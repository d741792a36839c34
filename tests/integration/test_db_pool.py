"""The connection pool: after a burst, a steady load keeps to the connection it needs, so the
connections opened for the burst stay idle and small (each keeps its own page cache and
prepared statements: handed out in turn, every one of them grew, and a herd's server with them).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

BURST = 5


async def test_after_a_burst_a_steady_load_keeps_to_one_connection(engine: AsyncEngine) -> None:
    together = asyncio.Barrier(BURST + 1)
    done = asyncio.Event()

    async def hold() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await together.wait()
            await done.wait()

    burst = [asyncio.create_task(hold()) for _ in range(BURST)]
    await together.wait()  # five connections open at once, all pooled when returned
    done.set()
    await asyncio.gather(*burst)
    assert engine.pool.checkedin() == BURST  # type: ignore[attr-defined]

    used = set()
    for _ in range(4 * BURST):  # one transaction after another
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            raw = await connection.get_raw_connection()
            used.add(id(raw.driver_connection))
    assert len(used) == 1
