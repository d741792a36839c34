"""Real PostgreSQL failures on demand: triggers that raise ``deadlock_detected`` (40P01) or
``serialization_failure`` (40001) inside the statements the delivery engine runs.

The database itself raises them, through the real driver, exactly as a deadlock between two
replicas reaches the victim; nothing of ours is replaced. A transaction fails or not as a whole
(the choice hashes its transaction id), as when the database picks a deadlock victim; a retry
is a new transaction with its own chance.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

__all__ = ["fail_lease_renewals", "fail_recording"]


async def _install(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    when: str,
    errcode: str,
    share: float,
    limit: int,
) -> None:
    per_mille = int(share * 1000)
    async with sessions() as session, session.begin():
        await session.execute(text(f"CREATE SEQUENCE qh_fault_{name}_seq"))
        await session.execute(
            text(
                f"""
                CREATE OR REPLACE FUNCTION qh_fault_{name}() RETURNS trigger AS $$
                BEGIN
                    IF ({when})
                       AND abs(hashtext(txid_current()::text)) % 1000 < {per_mille} THEN
                        IF nextval('qh_fault_{name}_seq') <= {limit} THEN
                            RAISE EXCEPTION 'injected {name}' USING ERRCODE = '{errcode}';
                        END IF;
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql
                """
            )
        )
        await session.execute(
            text(
                f"CREATE TRIGGER qh_fault_{name} BEFORE UPDATE ON held_messages "
                f"FOR EACH ROW EXECUTE FUNCTION qh_fault_{name}()"
            )
        )


async def fail_lease_renewals(
    sessions: async_sessionmaker[AsyncSession], share: float = 0.7, limit: int = 10**9
) -> None:
    """Make ``share`` of the transactions that renew leases die of a deadlock (40P01)."""
    await _install(
        sessions,
        "renewal",
        # a renewal extends the lease and nothing else (claims and send slots stamp updated_at)
        "OLD.state = 'delivering' AND NEW.state = 'delivering' "
        "AND NEW.lease_owner = OLD.lease_owner AND NEW.lease_until > OLD.lease_until "
        "AND NEW.updated_at = OLD.updated_at",
        "40P01",
        share,
        limit,
    )


async def fail_recording(
    sessions: async_sessionmaker[AsyncSession],
    share: float = 0.5,
    errcode: str = "40001",
    limit: int = 10**9,
) -> None:
    """Make ``share`` of the transactions that record deliveries fail with ``errcode``, at most
    ``limit`` times."""
    await _install(
        sessions,
        "record",
        "OLD.state = 'delivering' AND NEW.state = 'delivered'",
        errcode,
        share,
        limit,
    )
