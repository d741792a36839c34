"""Off-hours events arriving together are stored together, each exactly once, acknowledged only
once durable — over real HTTP into ``POST /slack/events`` (SQLite and PostgreSQL).

The database's own write lock is held for a moment by another connection while the events
arrive, as a slow commit would: the first event's transaction waits on it, and the others
queue behind it. Transactions are counted by a SQLAlchemy ``commit`` listener on the app's
engine, plus those of the group's SQLite writer thread (``bot.storage.sqlite_writer``, which
writes a batch's rows on SQLite): one per event before group commit, two for the whole burst
now. On SQLite the round trips to aiosqlite's driver thread are counted too, from the driver's
own log of what it runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.slack.events import SlackEvents
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ActivityRow, SeenEventRow, TeamChannelRow
from bot.storage.repositories import TeamRepository
from bot.storage.sqlite_writer import SQLiteWriter
from bot.web import build_app
from tests.support.outage import DatabaseOutage
from tests.support.signing import slack_headers
from tests.support.slack import fake_slack, install_workspace

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-group-commit"
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # the team's hours are Mon-Fri

Sessions = async_sessionmaker[AsyncSession]


def message(n: int) -> bytes:
    """An off-hours message in the watched channel, each its own event and thread."""
    ts = f"{SATURDAY.timestamp() + n:.6f}"
    return json.dumps(
        {
            "token": "x",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"EvBurst{n:04d}",
            "event_time": int(SATURDAY.timestamp()),
            "event": {
                "type": "message",
                "channel": "C_TEAM",
                "user": f"U{n % 7}",
                "text": f"note {n}",
                "ts": ts,
                "channel_type": "channel",
            },
        }
    ).encode()


class Commits:
    """Transactions committed on an engine, counted by SQLAlchemy's ``commit`` event, and by
    the SQLite writer threads of the group commits :meth:`watch` is given."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = 0
        self._writers: list[SQLiteWriter] = []

        def count(connection: Any) -> None:
            self._engine += 1

        event.listen(engine.sync_engine, "commit", count)

    def watch(self, watcher: OffHoursWatcher) -> None:
        if watcher.writes.rows_writer is not None:
            self._writers.append(watcher.writes.rows_writer)

    @property
    def count(self) -> int:
        return self._engine + sum(writer.transactions for writer in self._writers)


class DriverRoundTrips(logging.Handler):
    """Calls run on aiosqlite's driver thread (it logs "executing …" at DEBUG for each): on
    SQLite every one is a thread switch and an event-loop wake-up, which waits for a core when
    the machine is busy."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.msg == "executing %s"


@contextmanager
def driver_round_trips() -> Iterator[DriverRoundTrips]:
    logger = logging.getLogger("aiosqlite")
    handler, level, propagate = DriverRoundTrips(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # counted here, not printed
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@asynccontextmanager
async def events_app(
    app_engine: AsyncEngine, cipher: Cipher, commits: Commits | None = None
) -> AsyncIterator[str]:
    """``POST /slack/events`` of an app on ``app_engine``; yields its URL. ``commits`` also
    counts the transactions of the app's SQLite writer thread, if it has one."""
    slack = fake_slack(bot_token=TOKEN, team_id="T1")
    slack.add_channel("C_TEAM")
    await slack.start()
    app_sessions = session_factory(app_engine)
    tokens = StoredTokens(app_sessions, cipher)
    platform = SlackPlatform(token_for=tokens, base_url=slack.url)
    watcher = OffHoursWatcher(sessions=app_sessions, platforms={"slack": platform}, cipher=cipher)
    if commits is not None:
        commits.watch(watcher)
    app = build_app(engine=app_engine, delivery_metrics=DeliveryMetrics())
    SlackEvents(
        signing_secret=SECRET,
        sessions=app_sessions,
        cipher=cipher,
        tokens=tokens,
        watcher=watcher,
        clock=FixedClock(SATURDAY),
        api_url=slack.url,
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/slack/events"))
    finally:
        await server.close()
        await watcher.writes.close()
        await platform.close()
        await slack.stop()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, *, retry: int = 0
) -> tuple[int, str | None]:
    headers = slack_headers(SECRET, body)
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status, response.headers.get("Retry-After")


@asynccontextmanager
async def write_lock(database_url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    """Another connection holds the lock the events' writes need, until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with _sqlite_lock(str(url.database)):
            yield
        return
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("LOCK TABLE seen_events IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await transaction.commit()


@contextmanager
def _sqlite_lock(path: str) -> Iterator[None]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")  # SQLite's one writer lock
        yield
        connection.execute("COMMIT")
    finally:
        connection.close()


async def stored(sessions: Sessions) -> tuple[int, int]:
    """(activity rows, event ids kept)."""
    async with sessions() as session:
        activity = await session.scalar(select(func.count()).select_from(ActivityRow))
        seen = await session.scalar(select(func.count()).select_from(SeenEventRow))
    return int(activity or 0), int(seen or 0)


async def test_a_burst_of_off_hours_events_is_stored_together_each_once(
    database_url: str, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """51 events and a retry of one of them arrive while the first waits on the database: all
    are acknowledged, each is stored once, in two transactions (not 51)."""
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="hold")
    app_engine = create_engine(database_url)
    commits = Commits(app_engine)
    try:
        async with events_app(app_engine, cipher, commits) as url, aiohttp.ClientSession() as http:
            async with write_lock(database_url, engine):
                first = asyncio.create_task(post(http, url, message(0)))
                await asyncio.sleep(0.3)  # its transaction now waits for the lock
                before = commits.count
                burst = [asyncio.create_task(post(http, url, message(n))) for n in range(1, 51)]
                burst.append(asyncio.create_task(post(http, url, message(7), retry=1)))
                await asyncio.sleep(0.5)
            answers = await asyncio.gather(first, *burst)
    finally:
        await app_engine.dispose()
    assert [status for status, _ in answers] == [200] * 52
    assert await stored(sessions) == (51, 51)
    assert commits.count - before <= 2  # the first event's batch, then the other fifty


async def test_a_batch_is_one_hand_over_to_the_sqlite_writer_thread_whatever_its_size(
    database_url: str, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """On SQLite a batch of off-hours events — claiming their ids, checking the channel's team,
    their activity rows and first lines, the commit — is one transaction on the group's
    writer thread, whether it holds one event or fifty, and no round trip to aiosqlite's
    driver thread (it was sixteen round trips, then five: SQLAlchemy's adapter makes a
    statement four, and each is a thread switch and an event-loop wake-up)."""
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("a driver thread is SQLite's (aiosqlite); asyncpg has none")
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="hold")
    app_engine = create_engine(database_url)
    commits = Commits(app_engine)
    try:
        async with events_app(app_engine, cipher, commits) as url, aiohttp.ClientSession() as http:
            assert (await post(http, url, message(0)))[0] == 200  # teams and tokens read
            with driver_round_trips() as trips:
                async with write_lock(database_url, engine):
                    first = asyncio.create_task(post(http, url, message(1)))
                    await asyncio.sleep(0.3)  # its batch waits for the lock
                    before = commits.count
                    burst = [asyncio.create_task(post(http, url, message(n))) for n in range(2, 52)]
                    await asyncio.sleep(0.5)
                answers = await asyncio.gather(first, *burst)
    finally:
        await app_engine.dispose()
    assert [status for status, _ in answers] == [200] * 51
    assert await stored(sessions) == (52, 52)
    assert commits.count - before <= 2  # a batch of one, then one of fifty
    assert trips.count == 0, trips.count  # the session is not used at all


def command(text: str) -> bytes:
    """A slash command (no event id: its signed bytes are its replay key)."""
    fields = {
        "token": "x",
        "team_id": "T1",
        "channel_id": "C_TEAM",
        "user_id": "U1",
        "command": "/quiet",
        "text": text,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2.trigger",
    }
    return urlencode(fields).encode()


async def test_a_commands_replay_check_is_stored_with_the_events_of_the_moment(
    database_url: str, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """A slash command's replay key (``adapters.slack.replay``) is committed before the
    command goes on, in the batch of the events arriving with it — no transaction of its own
    (it had one) — and the very same bytes sent again still have no effect."""
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="hold")
    app_engine = create_engine(database_url)
    commits = Commits(app_engine)
    form = "application/x-www-form-urlencoded"
    body = command("later see you on Monday")
    headers = slack_headers(SECRET, body, content_type=form)
    try:
        async with events_app(app_engine, cipher, commits) as url, aiohttp.ClientSession() as http:
            assert (await post(http, url, message(0)))[0] == 200  # teams and tokens read
            async with write_lock(database_url, engine):
                first = asyncio.create_task(post(http, url, message(1)))
                await asyncio.sleep(0.3)  # its batch waits for the lock
                before = commits.count
                burst = [asyncio.create_task(post(http, url, message(n))) for n in range(2, 22)]
                ask = asyncio.create_task(http.post(url, data=body, headers=headers))
                # the command's way to its claim (signature, parsing) is longer than an
                # event's: under a loaded test run 0.5 s was once not enough (the first
                # event must still be stored within its 2 s budget)
                await asyncio.sleep(1.0)
            answers = await asyncio.gather(first, *burst)
            async with await ask as response:
                assert response.status < 500
            kept = commits.count - before
            async with http.post(url, data=body, headers=headers) as again:
                assert again.status == 200
                assert "already" in (await again.text()).lower()  # cmd.replayed, no effect
    finally:
        await app_engine.dispose()
    assert [status for status, _ in answers] == [200] * 21
    assert kept <= 2, kept  # the first event's batch, then the others' with the command's key
    async with sessions() as session:
        keys = await session.scalars(select(SeenEventRow.event_id))
        assert sum(key.startswith("req:") for key in keys) == 1


async def test_when_the_database_is_away_every_waiting_event_is_answered_503(
    database_url: str, engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> None:
    """Never acknowledge what is not durable: the events waiting in a batch whose database
    goes away all get 503 + Retry-After (Slack sends each again), nothing of them is stored;
    their retries are stored once each."""
    await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="hold")
    outage = DatabaseOutage(database_url)
    app_engine = create_engine(await outage.url())
    try:
        async with events_app(app_engine, cipher) as url, aiohttp.ClientSession() as http:
            assert (await post(http, url, message(0)))[0] == 200  # the app has read its teams
            if outage.sqlite:  # an open SQLite file cannot be taken away: before the burst
                await outage.down(app_engine)
                answers = await asyncio.gather(*(post(http, url, message(n)) for n in range(1, 21)))
            else:  # PostgreSQL: the connection of the batch waiting for the lock is cut
                async with write_lock(database_url, engine):
                    tasks = [asyncio.create_task(post(http, url, message(n))) for n in range(1, 21)]
                    await asyncio.sleep(0.5)
                    await outage.down(app_engine)
                    answers = await asyncio.gather(*tasks)
            assert all(status == 503 and int(wait or 0) > 0 for status, wait in answers), answers
            assert await stored(sessions) == (1, 1)
            await outage.up()
            for retry in (1, 2):
                answers = await asyncio.gather(
                    *(post(http, url, message(n), retry=retry) for n in range(1, 21))
                )
                assert [status for status, _ in answers] == [200] * 20
    finally:
        await app_engine.dispose()
        await outage.close()
    assert await stored(sessions) == (21, 21)


@pytest.mark.parametrize("change", ["unwatched", "mode off", "hours now"])
async def test_a_team_changed_elsewhere_is_seen_by_the_next_event(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher, change: str
) -> None:
    """The app plans events from its few-seconds-old picture of the watched channels; a change
    made meanwhile (by another replica, or an admin's command there) counts from the next
    event on: it is acknowledged and not recorded."""
    team_id = await install_workspace(sessions, cipher, token=TOKEN, now=SATURDAY, mode="hold")
    async with events_app(engine, cipher) as url, aiohttp.ClientSession() as http:
        assert (await post(http, url, message(1)))[0] == 200
        async with sessions() as session, session.begin():
            teams = TeamRepository(session)
            team = await teams.get(team_id)
            assert team is not None
            if change == "unwatched":
                await session.execute(delete(TeamChannelRow))
            elif change == "mode off":
                await teams.update(team, now=SATURDAY, mode="off")
            else:
                await teams.update(team, now=SATURDAY, hours_spec="daily 00:00-24:00 tz UTC")
        assert (await post(http, url, message(2)))[0] == 200
        assert (await post(http, url, message(2), retry=1))[0] == 200
    async with sessions() as session:
        threads = (await session.scalars(select(ActivityRow.thread_id))).all()
    assert threads == [f"{SATURDAY.timestamp() + 1:.6f}"]
