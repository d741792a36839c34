"""Statements shaped so the databases plan them by key and prepare each shape once.

**Plans.** SQLite plans without statistics (nobody runs ``ANALYZE`` on a bot's database, and a
herd's table goes from 0 to 100,000 rows in a second). It then takes an equality on an indexed
column for very selective, so for ``id IN (…200 ids…) AND state = 'held'`` it walked the
``(state, deliver_at, seq)`` index — every held row, each looked up in the table to read its
id — instead of making 200 primary-key lookups: a claim, a fence or a record of deliveries
cost in proportion to the whole outbox. :func:`unindexed` renders a column ``+state`` on SQLite
(a no-op its query planner documents as the way to keep a term off every index) and plain
``state`` elsewhere (PostgreSQL plans from statistics).

**Shapes.** Every length of an ``IN`` list is a statement of its own text, and each database
connection prepares and keeps (SQLite: 128 per connection; asyncpg: 100) each text it sees: a
herd's claims, fences, buckets and records of every length from 1 to 500 filled every pooled
connection's cache with large statements, prepared once and rarely used again. :func:`padded`
rounds a list up to a power of two by repeating its last item (``IN`` ignores repeats), so a
statement has a dozen shapes at most, each prepared once.

``tests/integration/test_outbox_plans.py`` holds both to account.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnExpressionArgument
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["padded", "unindexed"]

T = TypeVar("T")


class _Sortable(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


S = TypeVar("S", bound=_Sortable)


class _Unindexed(FunctionElement[Any]):
    """``column`` as a value SQLite will not look up through an index."""

    name = "unindexed"
    inherit_cache = True


@compiles(_Unindexed)
def _plain(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_Unindexed, "sqlite")
def _plus(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def unindexed(column: ColumnExpressionArgument[T]) -> ColumnElement[T]:
    """``column`` in a WHERE clause that must be checked row by row, never searched by index
    (on SQLite; unchanged elsewhere)."""
    element = _Unindexed(column)
    element.type = next(iter(element.clauses)).type  # compared and bound as the column is
    return element


def padded(items: Iterable[S]) -> list[S]:
    """``items`` sorted and lengthened to the next power of two by repeating the last one, for
    an ``IN`` list (or a ``CASE``) whose length is then one of a few."""
    values = sorted(items)
    if not values:
        return values
    size = 1 << (len(values) - 1).bit_length()
    return values + [values[-1]] * (size - len(values))
