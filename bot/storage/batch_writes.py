"""Rows of many events written in one statement each (``bot.services.group_commit`` batches).

The same rows the repositories write one at a time — ``SeenEventRepository.first_time``,
``ActivityRepository.record``, ``ExcerptRepository.remember`` — with the same outcome when
the rows of one batch are written together: an event id is new once; a thread keeps its first
line, its opening message's when one was seen, else its first reply's.

Each statement is one round trip to the database driver (``bot.storage.driver_rows``: on
SQLite through aiosqlite's connection, elsewhere SQLAlchemy Core's ``executemany``), compiled
once per dialect; no ORM unit of work, no per-row Python beyond binding the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.driver_rows import Compiled, DriverRows, compile_for
from bot.storage.models import (
    ActivityRow,
    LabelRow,
    SeenEventRow,
    TeamChannelRow,
    TeamRow,
    ThreadExcerptRow,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "LABEL_COLUMNS",
    "TEAM_COLUMNS",
    "ExcerptLine",
    "activity_compiled",
    "channel_team",
    "channel_team_compiled",
    "chosen_excerpts",
    "claim_compiled",
    "claim_events",
    "excerpt_rows",
    "excerpts_compiled",
    "forget_compiled",
    "forget_events",
    "insert_activity",
    "label_claim_compiled",
    "remember_excerpts",
]

_SEEN: Table = SeenEventRow.__table__  # type: ignore[assignment]
_ACTIVITY: Table = ActivityRow.__table__  # type: ignore[assignment]
_EXCERPTS: Table = ThreadExcerptRow.__table__  # type: ignore[assignment]
_LABELS: Table = LabelRow.__table__  # type: ignore[assignment]
#: The fields of a ``labels`` row claimed by :func:`label_claim_compiled` (all but its id and
#: the platform's message id, which comes once the label is posted).
LABEL_COLUMNS = (
    "workspace_id",
    "conversation_id",
    "thread_id",
    "period_end",
    "due_at",
    "labelled_at",
)
#: The fields of an ``off_hours_activity`` row given to :func:`insert_activity` (all of them).
ACTIVITY_COLUMNS = (
    "workspace_id",
    "team_id",
    "conversation_id",
    "thread_id",
    "person_id",
    "occurred_at",
    "is_thread_root",
    "decision_signal",
    "message_id",
    "in_hours",
)
_EXCERPT_COLUMNS = (
    "workspace_id",
    "conversation_id",
    "thread_id",
    "excerpt_enc",
    "created_at",
    "expires_at",
)
_THREAD = ("workspace_id", "conversation_id", "thread_id")
#: The attributes of a ``TeamRow``, in the order :func:`channel_team` gives their values.
TEAM_COLUMNS = tuple(attribute.key for attribute in TeamRow.__mapper__.column_attrs)
_TEAM_SELECTED = tuple(getattr(TeamRow, key) for key in TEAM_COLUMNS)
_CHANNEL_TEAM = (
    select(*_TEAM_SELECTED)
    .join(TeamChannelRow, TeamChannelRow.team_id == TeamRow.id)
    .where(
        TeamChannelRow.workspace_id == bindparam("workspace_id"),
        TeamChannelRow.conversation_id == bindparam("conversation_id"),
    )  # at most one: a channel belongs to one team (unique)
)


def _insert(dialect: Dialect, table: Table) -> Any:
    """``INSERT`` in ``dialect`` (for ``ON CONFLICT``)."""
    return (postgresql if dialect.name == "postgresql" else sqlite).insert(table)


def _claim(dialect: Dialect, rows: int) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING`` the keys of ``rows`` event ids (values
    named ``p<n>``, ``e<n>``, ``s<n>``)."""
    values = [
        {
            "platform": bindparam(f"p{n}", type_=_SEEN.c.platform.type),
            "event_id": bindparam(f"e{n}", type_=_SEEN.c.event_id.type),
            "seen_at": bindparam(f"s{n}", type_=_SEEN.c.seen_at.type),
        }
        for n in range(rows)
    ]
    return (
        _insert(dialect, _SEEN)
        .values(values)
        .on_conflict_do_nothing()
        .returning(_SEEN.c.platform, _SEEN.c.event_id)
    )


@lru_cache(maxsize=512)
def claim_compiled(dialect: Dialect, rows: int) -> Compiled:
    selected = (_SEEN.c.platform, _SEEN.c.event_id)
    return compile_for(_claim(dialect, rows), dialect, selected=selected)


@lru_cache(maxsize=16)
def activity_compiled(dialect: Dialect) -> Compiled:
    return compile_for(insert(_ACTIVITY), dialect, column_keys=ACTIVITY_COLUMNS)


@lru_cache(maxsize=16)
def _excerpts_statement(dialect: Dialect, *, roots: bool) -> Any:
    statement = _insert(dialect, _EXCERPTS)
    if roots:  # an opening message's line replaces a reply's
        return statement.on_conflict_do_update(
            index_elements=_THREAD, set_={"excerpt_enc": statement.excluded.excerpt_enc}
        )
    return statement.on_conflict_do_nothing(index_elements=_THREAD)


@lru_cache(maxsize=16)
def excerpts_compiled(dialect: Dialect, *, roots: bool) -> Compiled:
    statement = _excerpts_statement(dialect, roots=roots)
    return compile_for(statement, dialect, column_keys=_EXCERPT_COLUMNS)


@lru_cache(maxsize=16)
def forget_compiled(dialect: Dialect) -> Compiled:
    """``DELETE`` of one ``seen_events`` row by its key (values ``platform``, ``event_id``):
    :func:`forget_events` as the driver takes it."""
    statement = delete(_SEEN).where(
        _SEEN.c.platform == bindparam("platform", type_=_SEEN.c.platform.type),
        _SEEN.c.event_id == bindparam("event_id", type_=_SEEN.c.event_id.type),
    )
    return compile_for(statement, dialect)


@lru_cache(maxsize=16)
def label_claim_compiled(dialect: Dialect) -> Compiled:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of a ``labels`` row (the fields of
    :data:`LABEL_COLUMNS`): a row back means this claim is the thread's first in its quiet
    period — the statement ``LabelRepository.claim`` runs through the session."""
    statement = _insert(dialect, _LABELS).on_conflict_do_nothing().returning(_LABELS.c.id)
    return compile_for(statement, dialect, column_keys=LABEL_COLUMNS, selected=(_LABELS.c.id,))


@lru_cache(maxsize=16)
def channel_team_compiled(dialect: Dialect) -> Compiled:
    return compile_for(_CHANNEL_TEAM, dialect, selected=_TEAM_SELECTED)


async def channel_team(
    session: AsyncSession, workspace_id: int, conversation: str
) -> tuple[Any, ...] | None:
    """The columns of the team a channel belongs to (:data:`TEAM_COLUMNS`), or None: one read
    in the session's transaction, whose values compare equal to a ``TeamRow``'s."""
    values = {"workspace_id": workspace_id, "conversation_id": conversation}
    driver = await DriverRows.of(session)
    if driver is not None:
        rows = await driver.fetchall(channel_team_compiled(driver.dialect), values)
    else:
        rows = [tuple(row) for row in await session.execute(_CHANNEL_TEAM, values)]
    return tuple(rows[0]) if rows else None


async def claim_events(
    session: AsyncSession, events: Iterable[tuple[tuple[str, str], datetime]]
) -> set[tuple[str, str]]:
    """Record ``((platform, event_id), seen_at)`` pairs as handled, in one statement; returns
    the keys that were not recorded before (a key given twice is new once, with its first
    ``seen_at``)."""
    first_seen: dict[tuple[str, str], datetime] = {}
    for key, at in events:
        first_seen.setdefault(key, at)
    if not first_seen:
        return set()
    values: dict[str, Any] = {}
    for n, ((platform, event_id), at) in enumerate(first_seen.items()):
        values |= {f"p{n}": platform, f"e{n}": event_id, f"s{n}": at}
    driver = await DriverRows.of(session)
    if driver is not None:
        rows = await driver.fetchall(claim_compiled(driver.dialect, len(first_seen)), values)
    else:
        dialect = session.get_bind().dialect
        rows = [
            tuple(row) for row in await session.execute(_claim(dialect, len(first_seen)), values)
        ]
    return {(str(platform), str(event_id)) for platform, event_id in rows}


async def forget_events(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> None:
    """Take back claims of :func:`claim_events` (in the same transaction): the events were not
    handled after all, and their retry must find them new."""
    for platform, event_id in set(keys):
        await session.execute(
            delete(SeenEventRow).where(
                SeenEventRow.platform == platform, SeenEventRow.event_id == event_id
            )
        )


async def insert_activity(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``off_hours_activity`` rows (each with every field of :data:`ACTIVITY_COLUMNS`)."""
    if not rows:
        return
    driver = await DriverRows.of(session)
    if driver is not None:
        await driver.executemany(activity_compiled(driver.dialect), rows)
    else:
        await (await session.connection()).execute(insert(_ACTIVITY), list(rows))


@dataclass(frozen=True)
class ExcerptLine:
    """A thread's first line to keep, encrypted (``Cipher.encrypt``) before it is written."""

    workspace_id: int
    conversation_id: str
    thread_id: str
    encrypted: bytes
    now: datetime
    keep: timedelta
    is_thread_root: bool


def chosen_excerpts(
    lines: Iterable[ExcerptLine],
) -> tuple[list[ExcerptLine], list[ExcerptLine]]:
    """(opening messages' lines, replies' lines) to write for ``lines`` in order: per thread
    the last opening message's line (as one at a time would leave it), and a reply's — its
    first — only where no opening message's line is among them."""
    roots: dict[tuple[int, str, str], ExcerptLine] = {}
    replies: dict[tuple[int, str, str], ExcerptLine] = {}
    for line in lines:
        key = (line.workspace_id, line.conversation_id, line.thread_id)
        if line.is_thread_root:
            roots[key] = line
        else:
            replies.setdefault(key, line)
    fresh = [line for key, line in replies.items() if key not in roots]
    return list(roots.values()), fresh


async def remember_excerpts(session: AsyncSession, lines: Sequence[ExcerptLine]) -> None:
    """Keep the first lines of threads: an opening message's line replaces a reply's kept
    before it (events come out of order), a reply's is kept only when the thread has none. Two
    statements at most, whatever the number of lines."""
    roots, fresh = chosen_excerpts(lines)
    driver = await DriverRows.of(session) if roots or fresh else None
    for is_root, chosen in ((True, roots), (False, fresh)):
        if not chosen:
            continue
        if driver is not None:
            compiled = excerpts_compiled(driver.dialect, roots=is_root)
            await driver.executemany(compiled, excerpt_rows(chosen))
        else:
            connection = await session.connection()
            statement = _excerpts_statement(connection.dialect, roots=is_root)
            await connection.execute(statement, excerpt_rows(chosen))


def excerpt_rows(lines: Iterable[ExcerptLine]) -> list[dict[str, Any]]:
    """The ``thread_excerpts`` rows of ``lines`` (every column of the excerpt statements)."""
    return [
        {
            "workspace_id": line.workspace_id,
            "conversation_id": line.conversation_id,
            "thread_id": line.thread_id,
            "excerpt_enc": line.encrypted,
            "created_at": line.now,
            "expires_at": line.now + line.keep,
        }
        for line in lines
    ]
