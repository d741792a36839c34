"""A batch of off-hours messages' rows leaves the same database and the same answers whichever
way it is written: in one hand-over to the group's SQLite writer thread
(``bot.storage.message_rows.write_batch``) or through the batch's session
(``bot.services.watch_record.store_rows``), on real SQLite files.

Generated batches mix what a burst brings: retries of one event (duplicates in the batch and
of events stored before), messages planned from a team that has changed since (stale), opening
messages and replies of the same threads (the first line an opening message's, else the first
reply's), label claims of threads claimed before and twice in the batch, messages with no
first line.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.group_commit import GroupCommit, StaleSnapshot
from bot.services.once import Duplicate
from bot.services.watch_record import store_rows
from bot.storage.batch_writes import ExcerptLine, channel_team
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.message_rows import MessageRows, TeamCheck
from bot.storage.migrate import upgrade
from bot.storage.models import WorkspaceRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
OPENING = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
CHANNELS = ("C1", "C2")
TABLES = {
    "seen_events": "platform, event_id, seen_at",
    "off_hours_activity": "workspace_id, team_id, conversation_id, thread_id, person_id, "
    "occurred_at, is_thread_root, decision_signal, message_id, in_hours",
    "thread_excerpts": "workspace_id, conversation_id, thread_id, excerpt_enc, created_at, "
    "expires_at",
    "labels": "workspace_id, conversation_id, thread_id, period_end, due_at, labelled_at",
}

Sessions = async_sessionmaker[AsyncSession]
Fixture = tuple[Path, int, dict[str, tuple[int, tuple[Any, ...] | None]]]


async def _template(path: Path) -> Fixture:
    """A database with two teams watching a channel each, an event stored before, a thread's
    first line and a label claimed before; (its file, the workspace id, per channel (team id,
    team columns))."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    sessions = session_factory(engine)
    teams: dict[str, tuple[int, tuple[Any, ...] | None]] = {}
    async with sessions() as session, session.begin():
        workspace: WorkspaceRow = await WorkspaceRepository(session).get_or_create(
            "slack", "T1", now=NOW
        )
        repository = TeamRepository(session)
        for n, channel in enumerate(CHANNELS):
            team = await repository.create(
                workspace.id, f"Team {n}", hours_spec="mon-fri 08-16 tz Europe/Oslo", now=NOW
            )
            await repository.watch(team, channel)
    async with sessions() as session, session.begin():
        for channel in CHANNELS:
            columns = await channel_team(session, workspace.id, channel)
            assert columns is not None
            teams[channel] = (int(columns[0]), columns)
        await session.execute(
            text("INSERT INTO seen_events VALUES ('slack', 'E0', '2026-11-28 21:00:00.000000')")
        )
    await engine.dispose()
    return path, workspace.id, teams


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return asyncio.run(_template(tmp_path_factory.mktemp("rows") / "template.db"))


CIPHER = Cipher.from_secret(Cipher.generate_key())

items = st.lists(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["E0", "E1", "E2", "E3", "E4", "E5", None]),
            "channel": st.sampled_from(CHANNELS),
            "stale": st.sampled_from([False, False, False, "changed", "gone"]),
            "thread": st.sampled_from(["1.0", "2.0", "3.0"]),
            "root": st.booleans(),
            "line": st.sampled_from(["", "first line", "another"]),
            "label": st.sampled_from([None, OPENING, OPENING + timedelta(days=1)]),
        }
    ),
    min_size=1,
    max_size=12,
)


def _rows(item: dict[str, Any], workspace_id: int, teams: Fixture) -> MessageRows:
    channel = item["channel"]
    team_id, columns = teams[2][channel]
    if item["stale"] == "changed":
        assert columns is not None
        columns = (*columns[:-1], "something else")
    elif item["stale"] == "gone":
        columns = None
    at = NOW + timedelta(minutes=len(item["thread"]))
    line = None
    if item["line"]:
        line = ExcerptLine(
            workspace_id=workspace_id,
            conversation_id=channel,
            thread_id=item["thread"],
            encrypted=item["line"].encode(),  # as stored; what encrypts it is not in question
            now=at,
            keep=timedelta(days=14),
            is_thread_root=item["root"],
        )
    label = None
    if item["label"] is not None:
        label = {
            "workspace_id": workspace_id,
            "conversation_id": channel,
            "thread_id": item["thread"],
            "period_end": item["label"],
            "due_at": item["label"],
            "labelled_at": at,
        }
    return MessageRows(
        check=TeamCheck(workspace_id, channel, columns),
        activity={
            "workspace_id": workspace_id,
            "team_id": team_id,
            "conversation_id": channel,
            "thread_id": item["thread"],
            "person_id": "U1",
            "occurred_at": at,
            "is_thread_root": item["root"],
            "decision_signal": False,
            "message_id": item["thread"],
            "in_hours": False,
        },
        excerpt=line,
        label=label,
    )


async def _write(
    path: Path, batch: list[dict[str, Any]], fixture: Fixture, *, thread: bool
) -> tuple[list[object], dict[str, list[tuple[Any, ...]]]]:
    """(each write's answer, every table's rows) after ``batch`` is written as one batch."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():  # a thread and a label claimed before
        await session.execute(
            text(
                "INSERT INTO thread_excerpts (workspace_id, conversation_id, thread_id, "
                "excerpt_enc, created_at, expires_at) VALUES (:w, 'C1', '2.0', X'6f6c64', "
                "'2026-11-28 20:00:00.000000', '2026-12-12 20:00:00.000000')"
            ),
            {"w": fixture[1]},
        )
        await session.execute(
            text(
                "INSERT INTO labels (workspace_id, conversation_id, thread_id, period_end, "
                "due_at, labelled_at) VALUES (:w, 'C2', '3.0', '2026-11-30 07:00:00.000000', "
                "'2026-11-30 07:00:00.000000', '2026-11-28 20:00:00.000000')"
            ),
            {"w": fixture[1]},
        )
    group = GroupCommit(sessions, rows_thread=thread)
    assert (group.rows_writer is not None) is thread

    async def one(item: dict[str, Any]) -> object:
        rows = _rows(item, fixture[1], fixture)
        key = None if item["event"] is None else ("slack", item["event"])
        try:
            return await group.run_rows(
                rows, in_session=lambda session: store_rows(session, rows), event=key, at=NOW
            )
        except Duplicate:
            return "duplicate"
        except StaleSnapshot:
            return "stale"

    answers = await asyncio.gather(*(one(item) for item in batch))
    assert group.commits == 1  # the whole batch in one transaction, either way
    await group.close()
    tables = {}
    async with sessions() as session:
        for table, columns in TABLES.items():
            result = await session.execute(
                text(f"SELECT {columns} FROM {table} ORDER BY {columns}")
            )
            tables[table] = [tuple(row) for row in result]
    await engine.dispose()
    return answers, tables


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=items)
def test_the_writer_thread_and_the_session_write_a_batch_alike(
    batch: list[dict[str, Any]], template: Fixture, tmp_path: Path
) -> None:
    results = []
    for thread in (True, False):
        path = tmp_path / f"{thread}.db"
        shutil.copy(template[0], path)
        results.append(asyncio.run(_write(path, batch, template, thread=thread)))
        path.unlink()
    (thread_answers, thread_tables), (session_answers, session_tables) = results
    assert thread_answers == session_answers
    assert thread_tables == session_tables


def test_a_batch_on_the_writer_thread_answers_as_expected(
    template: Fixture, tmp_path: Path
) -> None:
    """Worked by hand: a fresh event, its retry in the same batch, an event stored before, a
    message planned from a changed team, and a label claimed before."""
    path = tmp_path / "hand.db"
    shutil.copy(template[0], path)
    base = {"channel": "C1", "stale": False, "thread": "1.0", "root": True, "line": "x"}
    batch = [
        {**base, "event": "E1", "label": OPENING},  # new: writes, claims the label
        {**base, "event": "E1", "label": OPENING},  # its retry: a duplicate
        {**base, "event": "E0", "label": None},  # stored before: a duplicate
        {**base, "event": "E2", "stale": "changed", "label": None},  # stale: nothing
        {**base, "event": "E3", "channel": "C2", "thread": "3.0", "label": OPENING},  # taken
        {**base, "event": None, "label": None},  # no event id: written, no label
    ]
    answers, tables = asyncio.run(_write(path, batch, template, thread=True))
    assert answers == [True, "duplicate", "duplicate", "stale", False, False]
    assert [row[1] for row in tables["seen_events"]] == ["E0", "E1", "E3"]  # E2 not claimed
    assert len(tables["off_hours_activity"]) == 3
    assert len(tables["labels"]) == 2


def test_rows_and_session_writes_commit_in_the_order_they_came(
    template: Fixture, tmp_path: Path
) -> None:
    """Rows, a function of a session, rows again, all waiting at once: three transactions in
    that order (a batch is of one kind), never the second rows before the session's write."""
    path = tmp_path / "order.db"
    shutil.copy(template[0], path)
    base = {"channel": "C1", "stale": False, "root": True, "line": "", "label": None}

    async def run() -> tuple[list[str], int]:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        group = GroupCommit(session_factory(engine))
        done: list[str] = []

        async def rows(name: str, thread: str) -> None:
            item = {**base, "event": name, "thread": thread}
            written = _rows(item, template[1], template)
            await group.run_rows(
                written,
                in_session=lambda session: store_rows(session, written),
                event=("slack", name),
                at=NOW,
            )
            done.append(name)

        async def session_write() -> None:
            async def nothing(session: AsyncSession) -> None:
                await session.execute(text("SELECT 1"))

            await group.run(nothing, event=("slack", "S"), at=NOW)
            done.append("S")

        await asyncio.gather(rows("E1", "1.0"), session_write(), rows("E2", "2.0"))
        commits = group.commits
        await group.close()
        await engine.dispose()
        return done, commits

    assert asyncio.run(run()) == (["E1", "S", "E2"], 3)
