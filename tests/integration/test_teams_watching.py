"""Teams channel messages through the off-hours watcher, on a real database."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.watching import channel_message as channel_message_of
from adapters.teams.watching import watch_channel_message
from bot.clock import FixedClock
from bot.ports import ChatPlatform
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ActivityRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from bot.webio import database_unavailable
from tests.support.outage import DatabaseOutage
from tests.support.teams import CHANNEL, GENERAL, OLA, TENANT, channel_message

Sessions = async_sessionmaker[AsyncSession]
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SERVICE = "https://smba.trafficmanager.net/emea/"


class Labels:
    """A stand-in platform that only records the labels it is asked for."""

    def __init__(self) -> None:
        self.labels: list[tuple[str, str, str]] = []

    async def add_label(self, workspace: str, conversation: str, thread: str, text: str) -> str:
        self.labels.append((workspace, conversation, thread))
        return f"label-{len(self.labels)}"


async def watched(sessions: Sessions, *channels: str) -> None:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("teams", TENANT, now=SATURDAY)
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=SATURDAY,
            mode="label",
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        for channel in channels:
            await teams.watch(team, channel)


def saturday(activity: dict[str, Any]) -> dict[str, Any]:
    activity["timestamp"] = "2026-11-28T10:00:00.000Z"
    return activity


async def test_the_same_message_id_in_two_channels_is_two_messages(
    sessions: Sessions, cipher: Cipher
) -> None:
    await watched(sessions, CHANNEL, GENERAL)
    platform = Labels()
    platforms: dict[str, ChatPlatform] = {"teams": platform}  # type: ignore[dict-item]
    watcher = OffHoursWatcher(sessions=sessions, platforms=platforms, cipher=cipher)
    clock = FixedClock(SATURDAY)
    here = saturday(channel_message(SERVICE, "<p>Hei</p>", sender=OLA))
    there = saturday(channel_message(SERVICE, "<p>Hei</p>", channel=GENERAL, sender=OLA))
    there["id"] = here["id"]  # Teams message ids are unique within a channel only
    there["conversation"]["id"] = f"{GENERAL};messageid={here['id']}"
    for activity in (here, there, here, there):  # and each is sent twice
        await watch_channel_message(watcher, sessions, activity, clock)
    async with sessions() as session:
        rows = (await session.scalars(select(ActivityRow))).all()
    assert sorted((row.conversation_id, row.thread_id) for row in rows) == sorted(
        [(CHANNEL, here["id"]), (GENERAL, here["id"])]
    )
    assert sorted(platform.labels) == sorted(
        [(TENANT, CHANNEL, here["id"]), (TENANT, GENERAL, here["id"])]
    )


async def test_working_hours_and_unwatched_channels_cost_nothing(
    sessions: Sessions, cipher: Cipher
) -> None:
    await watched(sessions, CHANNEL)
    platform = Labels()
    platforms: dict[str, ChatPlatform] = {"teams": platform}  # type: ignore[dict-item]
    watcher = OffHoursWatcher(sessions=sessions, platforms=platforms, cipher=cipher)
    monday_10 = channel_message(SERVICE, "hei")
    monday_10["timestamp"] = "2026-11-30T09:00:00Z"
    elsewhere = saturday(channel_message(SERVICE, "hei", channel="19:other@thread.tacv2"))
    for activity in (monday_10, elsewhere):
        assert (
            await watch_channel_message(watcher, sessions, activity, FixedClock(SATURDAY)) is None
        )
    assert platform.labels == []


async def test_a_failing_watcher_never_costs_the_turn(sessions: Sessions) -> None:
    class Broken(OffHoursWatcher):
        async def relevant(self, message: ChannelMessage) -> bool:
            raise RuntimeError("database down")

    broken = Broken(sessions=sessions, platforms={})
    activity = saturday(channel_message(SERVICE))
    assert await watch_channel_message(broken, sessions, activity, FixedClock(SATURDAY)) is None
    assert await watch_channel_message(None, sessions, activity, FixedClock(SATURDAY)) is None


async def test_a_message_handled_after_hours_began_counts_but_gets_no_label(
    sessions: Sessions, cipher: Cipher
) -> None:
    await watched(sessions, CHANNEL)
    platform = Labels()
    platforms: dict[str, ChatPlatform] = {"teams": platform}  # type: ignore[dict-item]
    handled = FixedClock(datetime(2026, 11, 30, 7, 4, tzinfo=UTC))  # Mon 08:04 in Oslo
    watcher = OffHoursWatcher(sessions=sessions, platforms=platforms, cipher=cipher, clock=handled)
    written = channel_message(SERVICE, "<p>Kjapt spørsmål</p>", sender=OLA)
    written["timestamp"] = "2026-11-30T06:58:00Z"  # Mon 07:58 in Oslo, before the hours began
    await watch_channel_message(watcher, sessions, written, handled)
    async with sessions() as session:
        assert len((await session.scalars(select(ActivityRow))).all()) == 1  # for the digest
    assert platform.labels == []  # not "no reply expected until Mon 08:00", already past
    handled.set(datetime(2026, 11, 30, 6, 59, tzinfo=UTC))  # the same, handled at 07:59
    again = channel_message(SERVICE, "<p>Et til</p>", sender=OLA)
    again["timestamp"] = "2026-11-30T06:58:00Z"
    await watch_channel_message(watcher, sessions, again, handled)
    assert platform.labels == [(TENANT, CHANNEL, again["id"])]


async def raised(call: Awaitable[object]) -> Exception | None:
    """What ``call`` raised (whatever the driver raises for "cannot connect"), or None."""
    try:
        await call
    except Exception as error:
        return error
    return None


async def test_a_database_outage_is_raised_so_the_turn_is_retried_and_counted_once(
    database_url: str, sessions: Sessions, cipher: Cipher
) -> None:
    """Not swallowed: the turn answers 503, Teams retries, and the retry is recorded once."""
    await watched(sessions, CHANNEL)
    outage = DatabaseOutage(database_url)
    app_engine = create_engine(await outage.url())
    platform = Labels()
    platforms: dict[str, ChatPlatform] = {"teams": platform}  # type: ignore[dict-item]
    watcher = OffHoursWatcher(
        sessions=session_factory(app_engine), platforms=platforms, cipher=cipher
    )
    clock = FixedClock(SATURDAY)
    activity = saturday(channel_message(SERVICE, "Vi tar det mandag", sender=OLA))
    try:
        message = channel_message_of(activity, now=SATURDAY)
        assert message is not None and await watcher.relevant(message)  # the snapshot is warm
        await outage.down(app_engine)
        error = await raised(watch_channel_message(watcher, sessions, activity, clock))
        assert error is not None, "the outage was swallowed: the turn would answer 202"
        assert database_unavailable(error)
        await outage.up()
        for _ in range(2):  # the Bot Connector's retry, and one more
            await watch_channel_message(watcher, sessions, activity, clock)
    finally:
        await app_engine.dispose()
        await outage.close()
    async with sessions() as session:
        rows = (await session.scalars(select(ActivityRow))).all()
    assert [(row.conversation_id, row.thread_id) for row in rows] == [(CHANNEL, activity["id"])]
    assert platform.labels == [(TENANT, CHANNEL, activity["id"])]
