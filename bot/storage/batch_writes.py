"""Rows of many events written in one statement each (``bot.services.group_commit`` batches).

The same rows the repositories write one at a time — ``SeenEventRepository.first_time``,
``ActivityRepository.record``, ``ExcerptRepository.remember`` — with the same outcome when
the rows of one batch are written together: an event id is new once; a thread keeps its first
line, its opening message's when one was seen, else its first reply's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, SeenEventRow, ThreadExcerptRow

__all__ = [
    "ExcerptLine",
    "claim_events",
    "forget_events",
    "insert_activity",
    "remember_excerpts",
]


def _insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` in the session's dialect (for ``ON CONFLICT``)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


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
    statement = (
        _insert(session, SeenEventRow)
        .on_conflict_do_nothing()
        .returning(SeenEventRow.platform, SeenEventRow.event_id)
    )
    params = [
        {"platform": platform, "event_id": event_id, "seen_at": at}
        for (platform, event_id), at in first_seen.items()
    ]
    # one statement shape whatever the count (compiled once): SQLAlchemy sends the rows as
    # multi-row VALUES ("insertmanyvalues"), RETURNING the ones inserted
    result = await session.execute(statement, params)
    return {(platform, event_id) for platform, event_id in result.all()}


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
    """Insert ``off_hours_activity`` rows (``ActivityRepository.record``'s fields, by name)."""
    if rows:
        await session.execute(insert(ActivityRow), list(rows))


@dataclass(frozen=True)
class ExcerptLine:
    """A thread's first line to keep (plain text; encrypted when written)."""

    workspace_id: int
    conversation_id: str
    thread_id: str
    text: str
    now: datetime
    keep: timedelta
    is_thread_root: bool


async def remember_excerpts(
    session: AsyncSession, lines: Sequence[ExcerptLine], *, cipher: Cipher
) -> None:
    """Keep the first lines of threads, encrypted: an opening message's line replaces a reply's
    kept before it (events come out of order), a reply's is kept only when the thread has
    none. Two statements at most, whatever the number of lines."""
    roots: dict[tuple[int, str, str], ExcerptLine] = {}
    replies: dict[tuple[int, str, str], ExcerptLine] = {}
    for line in lines:
        key = (line.workspace_id, line.conversation_id, line.thread_id)
        if line.is_thread_root:
            roots[key] = line  # the last root's line, as one at a time would leave it
        else:
            replies.setdefault(key, line)
    columns = ("workspace_id", "conversation_id", "thread_id")
    if roots:
        statement = _insert(session, ThreadExcerptRow)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=columns, set_={"excerpt_enc": statement.excluded.excerpt_enc}
            ),
            _rows(cipher, roots.values()),
        )
    if fresh := [line for key, line in replies.items() if key not in roots]:
        statement = _insert(session, ThreadExcerptRow).on_conflict_do_nothing(
            index_elements=columns
        )
        await session.execute(statement, _rows(cipher, fresh))


def _rows(cipher: Cipher, lines: Iterable[ExcerptLine]) -> list[dict[str, Any]]:
    return [
        {
            "workspace_id": line.workspace_id,
            "conversation_id": line.conversation_id,
            "thread_id": line.thread_id,
            "excerpt_enc": cipher.encrypt(line.text),
            "created_at": line.now,
            "expires_at": line.now + line.keep,
        }
        for line in lines
    ]
