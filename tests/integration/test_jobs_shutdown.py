"""`serve`'s periodic jobs stop with the process: a run in flight is cancelled and said in one
line, never left to be cancelled after the database engine is gone (a traceback from
APScheduler). All of them — the digest tick, the daily clean-up and the platform-defaults
refresh — are scheduled in one place (``bot.jobs.add_jobs``) and stopped together."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FixedClock
from bot.jobs import add_jobs, stop_jobs
from bot.ports import PlatformHours, UserProfile
from bot.services.platform_defaults import PlatformDefaults
from bot.storage.repositories import PersonRepository, WorkspaceRepository

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


class SlowPlatform:
    """A platform that never answers about a person (Graph or Slack hanging)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.cancelled = False

    async def known_profile(self, workspace: str, person: str) -> UserProfile:
        self.asked.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        raise AssertionError("never answers")

    async def platform_hours(
        self, workspace: str, person: str, tz: str | None
    ) -> PlatformHours | None:
        return None


async def _nothing() -> None:
    return None


async def test_a_refresh_in_flight_at_shutdown_is_cancelled_in_one_line(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T1", now=NOW)
        await PersonRepository(session).get_or_create(workspace.id, "U_KARI", now=NOW)
    platform = SlowPlatform()
    defaults = PlatformDefaults(
        sessions=sessions, clock=FixedClock(NOW), sources={"slack": platform}, timeout=60
    )
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs = add_jobs(
        scheduler,
        now=datetime.now(UTC),
        digest=[_nothing],
        retention=_nothing,
        refresh=defaults.refresh_stale,
        refresh_seconds=1,
    )
    assert {job.name for job in jobs} == {"digest", "retention", "platform-defaults refresh"}
    scheduler.start()
    try:
        await asyncio.wait_for(platform.asked.wait(), 10)  # the refresh is reading Kari
    finally:
        scheduler.shutdown(wait=False)
    with caplog.at_level(logging.INFO):
        await asyncio.wait_for(stop_jobs(jobs), 5)
    assert platform.cancelled
    said = [r for r in caplog.records if "interrupted by the shutdown" in r.getMessage()]
    assert [r.getMessage() for r in said] == [
        "a platform-defaults refresh run was interrupted by the shutdown"
    ]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
