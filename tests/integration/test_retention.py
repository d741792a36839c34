"""The daily clean-up (bot.services.retention) on SQLite and PostgreSQL: what is past retention
goes, what is recent or still waiting to be delivered stays, and replicas running it at once
delete each row once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FixedClock
from bot.services.retention import Retention, RetentionJob
from bot.storage.crypto import Cipher
from bot.storage.models import (
    ActivityRow,
    Base,
    HeldMessageRow,
    SeenEventRow,
    ThreadExcerptRow,
    UrgentOverrideRow,
    WorkspaceRow,
)
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ActivityRepository,
    ExcerptRepository,
    SeenEventRepository,
    UrgentOverrideRepository,
)
from tests.conftest import TEST_KEY
from tests.support.cli import clean_env, free_port, run_cli
from tests.support.slack import install_workspace

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


async def count(sessions: Sessions, model: type[Base]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def seed(sessions: Sessions, cipher: Cipher, at: datetime, tag: str) -> list[str]:
    """One of everything a workspace accumulates, written at ``at``; returns the held ids
    (one delivered, one still waiting)."""
    async with sessions() as session, session.begin():
        workspace = await session.scalar(select(WorkspaceRow.id))
        assert workspace is not None
        await ActivityRepository(session).record(
            workspace_id=workspace,
            conversation_id="C_TEAM",
            thread_id=f"{tag}.1",
            person_id="U_OLA",
            occurred_at=at,
        )
        # a daytime message kept for a welcome-back digest ages like the off-hours ones
        await ActivityRepository(session).record(
            workspace_id=workspace,
            conversation_id="C_TEAM",
            thread_id=f"{tag}.2",
            person_id="U_OLA",
            occurred_at=at,
            in_hours=True,
        )
        await UrgentOverrideRepository(session).record(
            workspace_id=workspace, conversation_id="C_TEAM", sender_id="U_OLA", occurred_at=at
        )
        outbox = HeldMessageRepository(session, cipher)
        done = await outbox.add(
            workspace_id=workspace,
            conversation_id="C_TEAM",
            author_id="U_OLA",
            body="delivered long ago",
            deliver_at=at,
            now=at,
        )
        waiting = await outbox.add(
            workspace_id=workspace,
            conversation_id="C_TEAM",
            author_id="U_OLA",
            body="still waiting",
            deliver_at=NOW + timedelta(days=400),
            now=at,
        )
        await session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == done.id)
            .values(state="delivered", body_enc=None, delivered_at=at, updated_at=at)
        )
        await ExcerptRepository(session, cipher).remember(
            workspace, "C_TEAM", f"{tag}.1", "first line", now=at, keep=timedelta(days=14)
        )
        await SeenEventRepository(session).first_time("slack", f"Ev{tag}", at)
        return [done.id, waiting.id]


async def test_old_metadata_goes_recent_and_waiting_stays(
    sessions: Sessions, cipher: Cipher
) -> None:
    await install_workspace(sessions, cipher, token="xoxb-r", now=NOW - timedelta(days=400))
    _, old_waiting = await seed(sessions, cipher, NOW - timedelta(days=91), "old")
    new_done, new_waiting = await seed(sessions, cipher, NOW - timedelta(days=89), "new")
    job = RetentionJob(sessions=sessions, clock=FixedClock(NOW), retention=Retention(90))
    # several replicas run it at the same moment: each row is deleted once, nobody fails
    runs = await asyncio.gather(job.run(), job.run(), job.run())
    assert all(run for run in runs)  # none failed (a failure answers {})
    assert sum(run["off_hours_activity"] for run in runs) == 2  # off-hours and in-hours
    async with sessions() as session:
        left = (await session.execute(select(ActivityRow.thread_id, ActivityRow.in_hours))).all()
    assert sorted(left) == [("new.1", False), ("new.2", True)]
    assert await count(sessions, UrgentOverrideRow) == 1
    async with sessions() as session:
        kept = set((await session.scalars(select(HeldMessageRow.id))).all())
    # a finished row past retention goes; a message still waiting is never touched, however old
    assert kept == {old_waiting, new_done, new_waiting}
    assert await count(sessions, ThreadExcerptRow) == 0  # 14 days at most, both expired
    assert await count(sessions, SeenEventRow) == 0  # a day at most
    assert await job.run() == {table: 0 for table in runs[0]}  # nothing left to do


async def test_retention_days_are_a_setting(sessions: Sessions, cipher: Cipher) -> None:
    await install_workspace(sessions, cipher, token="xoxb-r", now=NOW - timedelta(days=400))
    await seed(sessions, cipher, NOW - timedelta(days=8), "week")
    await RetentionJob(sessions=sessions, clock=FixedClock(NOW), retention=Retention(30)).run()
    assert await count(sessions, ActivityRow) == 2
    await RetentionJob(sessions=sessions, clock=FixedClock(NOW), retention=Retention(7)).run()
    assert await count(sessions, ActivityRow) == 0
    assert await count(sessions, UrgentOverrideRow) == 0


def test_serve_refuses_a_bad_retention_in_one_line(tmp_path: Path) -> None:
    env = clean_env(QUIET_HOURS_SECRET_KEY=TEST_KEY, QUIET_HOURS_ACTIVITY_RETENTION_DAYS="0")
    result = run_cli("serve", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "quiet-hours: QUIET_HOURS_ACTIVITY_RETENTION_DAYS must be a whole number of days "
        "(1 or more), not '0'\n"
    )
