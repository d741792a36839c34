"""The daily refresh of people's platform defaults, against the fake Slack Web API over HTTP:
bounded per run, stops when Slack says to slow down, does not ask again about someone Slack
does not know, and leaves uninstalled workspaces alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.platform import SlackPlatform
from bot.clock import FixedClock
from bot.services.platform_defaults import PlatformDefaults
from bot.storage.models import PersonRow
from bot.storage.repositories import PersonRepository, WorkspaceRepository
from tests.support.slack import fake_slack

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKEN = "xoxb-refresh"
PEOPLE = [f"U{n:03d}" for n in range(30)]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = fake_slack(bot_token=TOKEN, team_id="T1")
    for person in PEOPLE:
        fake.add_user(person, person, tz="Europe/Oslo")
        fake.dnd[person] = (
            datetime(2026, 12, 1, 15, tzinfo=UTC).timestamp(),
            datetime(2026, 12, 2, 7, tzinfo=UTC).timestamp(),
        )
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def defaults(slack: FakeSlack, sessions: Sessions) -> AsyncIterator[PlatformDefaults]:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T1", now=NOW)
        for person in [*PEOPLE, "U_GONE"]:  # seen once (e.g. in a member list), never read
            await PersonRepository(session).get_or_create(workspace.id, person, now=NOW)

    async def token_for(workspace: str, person: str | None) -> str | None:
        return TOKEN if workspace == "T1" and person is None else None

    platform = SlackPlatform(token_for=token_for, base_url=slack.url, timeout=5)
    try:
        yield PlatformDefaults(
            sessions=sessions, clock=FixedClock(NOW), sources={"slack": platform}, batch=20
        )
    finally:
        await platform.close()


async def _read(sessions: Sessions) -> dict[str, PersonRow]:
    async with sessions() as session:
        return {row.external_id: row for row in await session.scalars(select(PersonRow))}


async def test_each_run_reads_a_bounded_batch_until_everyone_is_fresh(
    slack: FakeSlack, defaults: PlatformDefaults, sessions: Sessions
) -> None:
    assert await defaults.refresh_stale() == 20
    assert (len(slack.calls_to("users.info")), len(slack.calls_to("dnd.teamInfo"))) == (20, 20)
    assert await defaults.refresh_stale() == 10  # the other ten (and U_GONE, unknown)
    assert await defaults.refresh_stale() == 0  # nobody is due for a day
    assert len(slack.calls_to("users.info")) == 31
    people = await _read(sessions)
    assert all(
        people[p].platform_hours_spec == "mon-sun 08:00-16:00 tz Europe/Oslo" for p in PEOPLE
    )
    assert all(people[p].platform_read_at == NOW for p in PEOPLE)


async def test_slack_saying_slow_down_ends_the_run_and_nobody_is_skipped(
    slack: FakeSlack, defaults: PlatformDefaults, sessions: Sessions
) -> None:
    slack.faults.fail_next["dnd.teamInfo"] = [429]
    assert await defaults.refresh_stale() == 0
    assert len(slack.calls_to("dnd.teamInfo")) == 1  # stopped at once
    people = await _read(sessions)
    assert all(row.platform_read_at is None for row in people.values())  # all still due
    assert await defaults.refresh_stale() == 20  # the next run goes on


async def test_someone_slack_does_not_know_is_not_asked_about_again_for_a_day(
    slack: FakeSlack, defaults: PlatformDefaults, sessions: Sessions
) -> None:
    await defaults.refresh_stale()
    await defaults.refresh_stale()
    gone = (await _read(sessions))["U_GONE"]
    assert gone.platform_read_at == NOW and gone.platform_hours_spec is None
    asked = len([c for c in slack.calls_to("users.info") if "U_GONE" in str(c.params)])
    await defaults.refresh_stale()
    assert len([c for c in slack.calls_to("users.info") if "U_GONE" in str(c.params)]) == asked


async def test_an_uninstalled_workspace_is_left_alone(
    slack: FakeSlack, defaults: PlatformDefaults, sessions: Sessions
) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("slack", "T1")
        assert workspace is not None
        await WorkspaceRepository(session).mark_uninstalled(workspace.id, NOW - timedelta(hours=1))
    assert await defaults.refresh_stale() == 0
    assert slack.calls_to("users.info") == []


async def test_a_burst_of_first_sights_reads_each_person_once(
    slack: FakeSlack, defaults: PlatformDefaults, sessions: Sessions
) -> None:
    """A fresh install's first minute: every event is from someone new, many from the same
    person at once. Each person is read once, not once per event."""
    burst = [defaults.seen("slack", "T1", person) for person in PEOPLE[:10] for _ in range(5)]
    await asyncio.gather(*burst)
    assert len(slack.calls_to("users.info")) == 10
    assert len(slack.calls_to("dnd.teamInfo")) == 10
    people = await _read(sessions)
    assert all(people[p].platform_read_at == NOW for p in PEOPLE[:10])
