"""Shared pacing state: one row per rate-limit bucket, read and compare-and-set by every replica.

The rows hold plain numbers (Unix seconds); the bucket arithmetic lives in
``bot/delivery/ratelimit.py``. A write is a compare-and-set on ``tat``, so two replicas taking
the same slot at once cannot both succeed: the loser sees 0 rows and tries again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import SendSlotRow
from bot.storage.statements import padded

__all__ = ["SendSlotRepository", "SlotState"]


@dataclass(frozen=True)
class SlotState:
    """A bucket's stored state: ``tat`` (``None`` when never used) and ``blocked_until``."""

    tat: float | None
    blocked_until: float


class SendSlotRepository:
    """Reads and writes ``send_slots`` rows inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def read(self, keys: Sequence[str], *, lock: bool = False) -> dict[str, SlotState]:
        """Each key's state (never used: ``tat`` None); ``lock``: the rows that exist are locked
        until the transaction ends, in key order (PostgreSQL; SQLite has one writer anyway)."""
        query = select(SendSlotRow.key, SendSlotRow.tat, SendSlotRow.blocked_until).where(
            SendSlotRow.key.in_(padded(keys))
        )
        if lock:
            query = query.order_by(SendSlotRow.key).with_for_update()
        rows = await self._session.execute(query)
        found = {row.key: SlotState(row.tat, row.blocked_until) for row in rows}
        return {key: found.get(key, SlotState(None, 0.0)) for key in keys}

    async def compare_and_set(self, key: str, old: float | None, new: float) -> bool:
        """Store ``new`` as the bucket's ``tat`` if it is still ``old``; ``False`` if it moved."""
        if old is None:
            return await self._insert(key, tat=new, blocked_until=0.0)
        result = await self._session.execute(
            update(SendSlotRow)
            .where(SendSlotRow.key == key, SendSlotRow.tat == old)
            .values(tat=new)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def compare_and_set_many(
        self, old: Mapping[str, float | None], new: Mapping[str, float]
    ) -> bool:
        """:meth:`compare_and_set` for many keys in one statement (plus one insert per key never
        used before); ``False`` if any of them moved (roll back: some may have been written)."""
        for key in sorted(key for key in new if old[key] is None):
            if not await self._insert(key, tat=new[key], blocked_until=0.0):
                return False
        stored = {key: value for key, value in old.items() if value is not None}
        if not stored:
            return True
        pairs = padded(stored.items())  # (key, old tat), a few lengths only (``statements.py``)
        result = await self._session.execute(
            update(SendSlotRow)
            .where(
                # the key alone first: SQLite finds the rows by their key, not by reading every
                # bucket (one per conversation) to match (key, tat) pairs
                SendSlotRow.key.in_([key for key, _ in pairs]),
                tuple_(SendSlotRow.key, SendSlotRow.tat).in_(pairs),
            )
            .values(tat=case(*[(SendSlotRow.key == key, new[key]) for key, _ in pairs]))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == len(stored)  # type: ignore[attr-defined]

    async def block(self, key: str, until: float, now: float) -> None:
        """Honour a ``Retry-After``: nothing is sent on ``key`` before ``until`` (Unix s)."""
        result = await self._session.execute(
            update(SendSlotRow)
            .where(SendSlotRow.key == key)
            .values(
                blocked_until=case(
                    (SendSlotRow.blocked_until < until, until), else_=SendSlotRow.blocked_until
                )
            )
        )
        if not result.rowcount and not await self._insert(  # type: ignore[attr-defined]
            key, tat=now, blocked_until=until
        ):
            await self.block(key, until, now)

    async def forget_idle(self, before: float) -> int:
        """Delete buckets idle since ``before``: memory and rows follow *active* conversations."""
        result = await self._session.execute(
            delete(SendSlotRow).where(SendSlotRow.tat < before, SendSlotRow.blocked_until < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _insert(self, key: str, *, tat: float, blocked_until: float) -> bool:
        """Insert a new bucket; ``False`` if another replica inserted it first."""
        dialect = self._session.get_bind().dialect.name
        values = {"key": key, "tat": tat, "blocked_until": blocked_until}
        statement = (
            pg_insert(SendSlotRow).values(**values).on_conflict_do_nothing()
            if dialect == "postgresql"
            else sqlite_insert(SendSlotRow).values(**values).on_conflict_do_nothing()
        )
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]
