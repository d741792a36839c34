"""A delivery round costs the same however big the outbox: claim, fence, pace and record read
the rows they name by key, never every held row, every delivered row or every conversation's
bucket; and rounds of every size use a few statement texts, each prepared once by each
connection (``bot/storage/statements.py``).

SQLite only: it plans without statistics, so it is where a statement could walk the wrong
index. The cost is counted in SQLite virtual-machine instructions (its progress handler), which
do not depend on the machine's speed or load.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.delivery.jobs import Job
from bot.delivery.pacing import SharedPacer, Taken
from bot.delivery.ratelimit import SLACK_CHANNEL, slack_workspace
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import HeldMessageRow, SendSlotRow
from bot.storage.outbox import ClaimLimits, HeldMessageRepository, Outcome, WorkspaceRef
from tests.integration.test_storage import MONDAY, NOW, workspace

#: A round: this many conversations' first messages claimed, fenced, paced and recorded.
ROUND = 100
#: Held messages per conversation (two rounds take two different conversations' first).
PER_CONVERSATION = 5
LIMITS = ClaimLimits(per_conversation={"slack": 33}, per_workspace={"slack": 3020})


class Outbox:
    """A SQLite outbox of held (due) and delivered rows, on one connection whose SQLite
    instructions are counted."""

    def __init__(self, engine: AsyncEngine, cipher: Cipher) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.cipher = cipher
        self.steps = 0
        self.wall = 1e9

    def count(self) -> int:
        self.steps += 1
        return 0  # go on

    async def fill(self, held: int, delivered: int) -> WorkspaceRef:
        ws = await workspace(self.sessions)
        body = self.cipher.encrypt("hello")
        conversations = held // PER_CONVERSATION
        rows = [
            {
                "id": str(uuid.uuid4()),
                "workspace_id": ws,
                "conversation_id": f"C{n % conversations:06d}",
                "author_id": "U_KARI",
                "body_enc": body if state == "held" else None,
                "kind": "later",
                "as_author": False,
                "created_at": NOW,
                "deliver_at": MONDAY if state == "held" else NOW,
                "seq": 1 + n // conversations,
                "state": state,
                "attempts": 0,
                "updated_at": NOW,
            }
            for state, count in (("delivered", delivered), ("held", held))
            for n in range(count)
        ]
        # every conversation has sent before (the delivered rows): its bucket is stored
        buckets = [
            {"key": f"c:slack:T1:C{n:06d}#0", "tat": 0.0, "blocked_until": 0.0}
            for n in range(conversations)
        ]
        async with self.sessions() as session, session.begin():
            await session.execute(insert(HeldMessageRow), rows)
            await session.execute(insert(SendSlotRow), buckets)
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.set_progress_handler(self.count, 100)  # type: ignore[union-attr]
        return WorkspaceRef(ws, "slack", "T1")

    async def round(self, ws: WorkspaceRef, size: int = ROUND) -> None:
        """What the engine does for ``size`` sends: one claim, one batch of send slots (the
        fences and the buckets), one record of the deliveries."""
        async with self.sessions() as session, session.begin():
            rows = await HeldMessageRepository(session, self.cipher).claim_due(
                now=MONDAY, owner="a", limit=size, lease_seconds=60, limits=LIMITS
            )
        assert len({row.conversation_id for row in rows}) == size
        jobs = [Job.from_row(row, ws) for row in rows]

        async def fence(session: AsyncSession, batch: Sequence[Job]) -> set[str]:
            return await HeldMessageRepository(session, self.cipher).take_send_slots(
                [(job.id, job.generation) for job in batch],
                owner="a",
                now=MONDAY,
                lease_seconds=60,
            )

        pacer = SharedPacer(
            sessions=self.sessions,
            conversation_limits={"slack": SLACK_CHANNEL},
            workspace_limits={"slack": slack_workspace(1000.0, 1000)},
            wall=lambda: self.wall,
        )
        self.wall += 60.0  # every conversation may send again next round
        results = await pacer.take_batch(jobs, fence)
        assert all(isinstance(result, Taken) for result in results)
        async with self.sessions() as session, session.begin():
            recorded = await HeldMessageRepository(session, self.cipher).record_delivered(
                [Outcome(job.id, job.generation, f"p{job.id}") for job in jobs],
                owner="a",
                at=MONDAY + timedelta(seconds=1),
            )
        assert len(recorded) == size


@pytest.fixture
async def outboxes(tmp_path: Path, cipher: Cipher) -> AsyncIterator[Callable[[], Outbox]]:
    engines: list[AsyncEngine] = []

    def make() -> Outbox:
        path = tmp_path / f"outbox-{len(engines)}.db"
        # one connection, so the counter sees every statement
        engine = create_engine(f"sqlite+aiosqlite:///{path}", pool_size=1, max_overflow=0)
        engines.append(engine)
        return Outbox(engine, cipher)

    yield make
    for engine in engines:
        await engine.dispose()


async def steps_of_a_round(make: Callable[[], Outbox], held: int, delivered: int) -> int:
    outbox = make()
    await upgrade(outbox.engine)
    ws = await outbox.fill(held, delivered)
    await outbox.round(ws)  # the first round warms the statement caches
    outbox.steps = 0
    await outbox.round(ws)
    return outbox.steps


async def test_a_delivery_round_costs_the_same_in_a_small_and_a_big_outbox(
    outboxes: Callable[[], Outbox],
) -> None:
    # 1,000 and 20,000 held rows (and as many delivered), 200 and 4,000 conversations' buckets;
    # the old plans walked every held row per claim and per record, every bucket per batch
    small = await steps_of_a_round(outboxes, 1_000, 1_000)
    big = await steps_of_a_round(outboxes, 20_000, 20_000)
    assert big < 1.5 * small, (small, big)


async def test_the_outbox_gauge_reads_the_open_rows_not_the_delivered_history(
    outboxes: Callable[[], Outbox],
) -> None:
    costs = []
    for delivered in (1_000, 40_000):
        outbox = outboxes()
        await upgrade(outbox.engine)
        await outbox.fill(1_000, delivered)
        async with outbox.sessions() as session:
            outbox.steps = 0
            assert await HeldMessageRepository(session, outbox.cipher).count_open() == 1_000
            costs.append(outbox.steps)
    small, big = costs
    assert big < 1.5 * small, (small, big)


async def test_rounds_of_every_size_use_a_few_statement_texts(
    outboxes: Callable[[], Outbox],
) -> None:
    outbox = outboxes()
    await upgrade(outbox.engine)
    ws = await outbox.fill(64 * PER_CONVERSATION * 8, 0)
    texts: set[str] = set()

    def seen(_c: object, _cursor: object, statement: str, *_: object) -> None:
        texts.add(statement)

    event.listen(outbox.engine.sync_engine, "before_cursor_execute", seen)
    counts = []
    for sizes in (range(1, 9), range(9, 65)):
        for size in sizes:
            await outbox.round(ws, size)
        counts.append(len(texts))
    small, all_sizes = counts
    # rounds of 1 to 8 messages, then of 9 to 64 as well: each length its own text would be
    # eight times as many; a power of two each, not twice as many
    assert all_sizes < 2 * small, (small, all_sizes)


async def test_recording_a_batch_of_deliveries_is_a_few_statements_whatever_its_size(
    outboxes: Callable[[], Outbox],
) -> None:
    """The recorder writes up to 500 outcomes at once: one UPDATE for them all, not one per
    row (each a statement and a round trip to the driver), and a row re-claimed since (another
    generation) is still left alone."""
    outbox = outboxes()
    await upgrade(outbox.engine)
    ws = await outbox.fill(64 * PER_CONVERSATION, 0)
    statements: list[str] = []

    def seen(_c: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    counts = []
    for size in (2, 64):
        async with outbox.sessions() as session, session.begin():
            rows = await HeldMessageRepository(session, outbox.cipher).claim_due(
                now=MONDAY, owner="a", limit=size, lease_seconds=60, limits=LIMITS
            )
        jobs = [Job.from_row(row, ws) for row in rows]
        stale = jobs[0]  # its claim has moved on: another generation holds it
        event.listen(outbox.engine.sync_engine, "before_cursor_execute", seen)
        async with outbox.sessions() as session, session.begin():
            recorded = await HeldMessageRepository(session, outbox.cipher).record_delivered(
                [Outcome(stale.id, stale.generation + 1, "p-stale")]
                + [Outcome(job.id, job.generation, f"p{job.id}") for job in jobs[1:]],
                owner="a",
                at=MONDAY + timedelta(seconds=1),
            )
        event.remove(outbox.engine.sync_engine, "before_cursor_execute", seen)
        assert recorded == {job.id for job in jobs[1:]}
        counts.append(len(statements))
        statements.clear()
        async with outbox.sessions() as session:
            for job in jobs[1:]:
                row = await session.get(HeldMessageRow, job.id)
                assert row is not None
                assert (row.state, row.platform_message_id) == ("delivered", f"p{job.id}")
                assert row.body_enc is None
            row = await session.get(HeldMessageRow, stale.id)
            assert row is not None and row.state == "delivering"
    assert counts[1] == counts[0], counts
