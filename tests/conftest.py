"""Shared fixtures: a fresh database per test on SQLite and (when configured) PostgreSQL.

Tests that check against the published Slack/Microsoft specs and payloads read them through
``tests/support/shared.py``, which skips them (or, in CI, fails them) where they are absent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from tests.support.shared import REQUIRE_ENV, shared_dir

PG_ENV = "QH_TEST_DATABASE_URL"
TEST_KEY = "dGVzdC1vbmx5LWtleS1ub3QtYS1zZWNyZXQtMTIzNDU="  # 32 bytes, tests only


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, at the end, why the spec checks were skipped (if they were)."""
    where = shared_dir()
    if not where.is_dir() and os.environ.get(REQUIRE_ENV) != "1":
        terminalreporter.write_line(
            f"The published specs and payloads ({where}) are absent: the tests that check "
            "against them were skipped. Put shared/ beside the checkout or set QH_SHARED_DIR."
        )


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"{PG_ENV} is not set (CI sets it; see README)")
    yield from _postgres_database(base)


def _postgres_database(base: str) -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    import asyncio

    import asyncpg

    name = f"qh_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def cipher() -> Cipher:
    return Cipher.from_secret(TEST_KEY)


@pytest.fixture
def dialect(engine: AsyncEngine) -> str:
    return engine.dialect.name
