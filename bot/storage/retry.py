"""Retry a transaction the database aborted to break a deadlock or a serialization conflict.

PostgreSQL picks a victim when two transactions deadlock (SQLSTATE ``40P01``) or conflict
(``40001``), and says to retry it (https://www.postgresql.org/docs/current/mvcc-serialization-failure-handling.html);
SQLite answers "database is locked" when its one writer lock stays taken past the busy timeout.
Each retry runs the whole transaction again, so ``operation`` must open its own.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

__all__ = ["RETRYABLE_SQLSTATES", "is_retryable", "retrying"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: deadlock_detected, serialization_failure
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(error: BaseException) -> bool:
    """True for a deadlock, a serialization failure or a locked SQLite database."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code in RETRYABLE_SQLSTATES or "database is locked" in str(original)


async def retrying(
    operation: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = 6,
    base_delay: float = 0.02,
) -> T:
    """Run ``operation`` (one whole transaction), again after a retryable failure.

    Waits ``base_delay * 2**n`` with jitter between tries; after ``attempts`` tries, or on any
    other error, the error is raised to the caller.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            log.info("%s: %s, retrying (%d of %d)", what, _reason(error), attempt, attempts)
            await asyncio.sleep(random.uniform(0.5, 1.0) * base_delay * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _reason(error: DBAPIError) -> str:
    code = getattr(error.orig, "sqlstate", None)
    return {"40P01": "deadlock", "40001": "serialization failure"}.get(code or "", "locked")
