"""The rows of one off-hours message, as data, and a batch of them written on ``sqlite3``.

An off-hours message in a watched channel stores: a check that its channel's team is still the
one it was planned from, its activity row, its thread's first line (encrypted) and, where the
team labels, the claim of its thread's label. :class:`MessageRows` holds them as plain values,
so a group commit (``bot.services.group_commit``) can write a whole batch of them in one
hand-over to a SQLite writer thread (:func:`write_batch`, run by
``bot.storage.sqlite_writer.SQLiteWriter``). Elsewhere the same rows are written through the
batch's session (``bot.services.watch_record.store_rows``) with the same statements
(``bot.storage.batch_writes``): both paths leave the same rows and give the same outcomes, and
a test holds them to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.engine import Dialect

from bot.storage.batch_writes import (
    ExcerptLine,
    activity_compiled,
    channel_team_compiled,
    chosen_excerpts,
    claim_compiled,
    excerpt_rows,
    excerpts_compiled,
    forget_compiled,
    label_claim_compiled,
)
from bot.storage.driver_rows import Compiled

__all__ = ["BatchItem", "MessageRows", "Skipped", "TeamCheck", "write_batch"]

EventKey = tuple[str, str]


@dataclass(frozen=True)
class TeamCheck:
    """The channel's team must still be ``team`` (its columns, ``batch_writes.TEAM_COLUMNS``;
    None: the channel must belong to no team)."""

    workspace_id: int
    conversation_id: str
    team: tuple[Any, ...] | None


@dataclass(frozen=True)
class MessageRows:
    """What one message stores; each part optional (none at all: only its event id is claimed)."""

    check: TeamCheck | None = None
    activity: Mapping[str, Any] | None = None  # every field of ``ACTIVITY_COLUMNS``
    excerpt: ExcerptLine | None = None
    label: Mapping[str, Any] | None = None  # every field of ``LABEL_COLUMNS``: first one wins


@dataclass(frozen=True)
class BatchItem:
    """One write of a batch: its rows, and its event's key and when it was seen (UTC), if any."""

    rows: MessageRows
    key: EventKey | None = None
    at: datetime | None = None


class Skipped(Enum):
    """Why a write of a batch wrote nothing."""

    STALE = "stale"  # its channel's team is not the one it was planned from
    DUPLICATE = "duplicate"  # its event id was stored before, or is earlier in the batch


#: A write's outcome: skipped, or written (True when it claimed its thread's label).
Outcome = Skipped | bool


def write_batch(
    connection: sqlite3.Connection, dialect: Dialect, items: Sequence[BatchItem]
) -> list[Outcome]:
    """Write ``items`` in the connection's open transaction (the caller commits); one outcome
    per item, in order.

    In order, as the session path does it: the writes' event ids are claimed in one
    statement, and a write whose id was stored before, or is earlier in the batch, is
    :attr:`Skipped.DUPLICATE`; each channel's team is read once, and every other write planned
    from another team is :attr:`Skipped.STALE` and its id's claim taken back; the rest write
    their activity rows (one statement), their first lines (two at most) and their label
    claims.

    Raises:
        sqlite3.Error: the database's (the caller rolls back).
    """
    outcomes: list[Outcome | None] = [None] * len(items)
    _claim_keys(connection, dialect, items, outcomes)
    _check_teams(connection, dialect, items, outcomes)
    forgotten = [  # a stale write handled nothing: its retry must find its id new
        {"platform": item.key[0], "event_id": item.key[1]}
        for item, outcome in zip(items, outcomes, strict=True)
        if outcome is Skipped.STALE and item.key is not None
    ]
    if forgotten:
        _executemany(connection, forget_compiled(dialect), forgotten)
    going = [item.rows for item, outcome in zip(items, outcomes, strict=True) if outcome is None]
    activity = [rows.activity for rows in going if rows.activity is not None]
    if activity:
        _executemany(connection, activity_compiled(dialect), activity)
    roots, replies = chosen_excerpts(rows.excerpt for rows in going if rows.excerpt is not None)
    for is_root, chosen in ((True, roots), (False, replies)):
        if chosen:
            compiled = excerpts_compiled(dialect, roots=is_root)
            _executemany(connection, compiled, excerpt_rows(chosen))
    label = label_claim_compiled(dialect)
    written: list[Outcome] = []
    for item, outcome in zip(items, outcomes, strict=True):
        if outcome is None:
            claim = item.rows.label
            outcome = claim is not None and bool(_fetchall(connection, label, claim))
        written.append(outcome)
    return written


def _check_teams(
    connection: sqlite3.Connection,
    dialect: Dialect,
    items: Sequence[BatchItem],
    outcomes: list[Outcome | None],
) -> None:
    compiled = channel_team_compiled(dialect)
    teams: dict[tuple[int, str], tuple[Any, ...] | None] = {}
    for n, item in enumerate(items):
        check = item.rows.check
        if check is None or outcomes[n] is not None:
            continue
        channel = (check.workspace_id, check.conversation_id)
        if channel not in teams:
            values = {"workspace_id": check.workspace_id, "conversation_id": check.conversation_id}
            found = _fetchall(connection, compiled, values)
            teams[channel] = found[0] if found else None
        if teams[channel] != check.team:
            outcomes[n] = Skipped.STALE


def _claim_keys(
    connection: sqlite3.Connection,
    dialect: Dialect,
    items: Sequence[BatchItem],
    outcomes: list[Outcome | None],
) -> None:
    first: dict[EventKey, tuple[int, datetime]] = {}
    for n, item in enumerate(items):
        if item.key is not None:
            if item.at is None:
                raise ValueError("an event's claim needs the instant it was seen")
            first.setdefault(item.key, (n, item.at))
    if not first:
        return
    values: dict[str, Any] = {}
    for n, ((platform, event_id), (_, at)) in enumerate(first.items()):
        values |= {f"p{n}": platform, f"e{n}": event_id, f"s{n}": at}
    rows = _fetchall(connection, claim_compiled(dialect, len(first)), values)
    fresh = {(str(platform), str(event_id)) for platform, event_id in rows}
    for n, item in enumerate(items):
        key = item.key
        if key is not None and (key not in fresh or first[key][0] != n):
            outcomes[n] = Skipped.DUPLICATE


def _executemany(
    connection: sqlite3.Connection, compiled: Compiled, rows: Sequence[Mapping[str, Any]]
) -> None:
    connection.executemany(compiled.sql, [compiled.row(row) for row in rows])


def _fetchall(
    connection: sqlite3.Connection, compiled: Compiled, values: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    rows = connection.execute(compiled.sql, compiled.row(values)).fetchall()
    return [compiled.result(row) for row in rows]
