"""`quiet-hours doctor` run as an operator runs it, on SQLite and PostgreSQL, against the sandbox
Slack Web API and a local Microsoft token endpoint: one ✓/✗ line per check, exit 0 or 1."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sandbox.slack_api import FakeSlack
from bot.storage.crypto import Cipher
from bot.storage.db import session_factory
from tests.conftest import TEST_KEY
from tests.support.cli import clean_env, run_cli
from tests.support.slack import fake_slack, install_workspace

TOKEN = "xoxb-doctor-token"
APP_ID = "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098"
APP_PASSWORD = "the-current-client-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = fake_slack(bot_token=TOKEN, team_id="T_DOC")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def microsoft() -> AsyncIterator[str]:
    """Microsoft's token endpoint as the client-credentials grant answers it (RFC 6749 §5)."""

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        good = (
            request.match_info["tenant"] == "botframework.com"
            and form.get("grant_type") == "client_credentials"
            and form.get("client_id") == APP_ID
            and form.get("client_secret") == APP_PASSWORD
            and form.get("scope") == "https://api.botframework.com/.default"
        )
        if good:
            return web.json_response({"token_type": "Bearer", "access_token": "ey.x.y"})
        return web.json_response({"error": "invalid_client"}, status=401)

    app = web.Application()
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def doctor(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``quiet-hours doctor`` beside the fakes' event loop."""
    return await asyncio.to_thread(
        run_cli, "doctor", cwd=tmp_path, env=clean_env(**settings), timeout=60
    )


async def migrate(tmp_path: Path, database_url: str) -> None:
    env = clean_env(QUIET_HOURS_SECRET_KEY=TEST_KEY, DATABASE_URL=database_url)
    done = await asyncio.to_thread(run_cli, "migrate", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr


def lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each check's line by its name; every line is one ✓ or ✗."""
    found = {}
    for line in result.stdout.splitlines():
        assert line[:2] in ("✓ ", "✗ "), result.stdout
        found[line[2:].split(":", 1)[0]] = line
    return found


async def test_all_good_is_exit_0(
    database_url: str, slack: FakeSlack, microsoft: str, tmp_path: Path
) -> None:
    await migrate(tmp_path, database_url)
    result = await doctor(
        tmp_path,
        QUIET_HOURS_SECRET_KEY=TEST_KEY,
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD=APP_PASSWORD,
        MICROSOFT_LOGIN_URL=microsoft,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = lines(result)
    assert list(found) == ["settings", "secret key", "database", "schema", "keys", "Slack", "Teams"]
    assert all(line.startswith("✓") for line in found.values())
    assert "T_DOC" in found["Slack"]
    assert TOKEN not in result.stdout and APP_PASSWORD not in result.stdout


async def test_revoked_slack_token_and_wrong_teams_secret_say_what_to_do(
    database_url: str, slack: FakeSlack, microsoft: str, tmp_path: Path
) -> None:
    await migrate(tmp_path, database_url)
    slack.revoked.add(TOKEN)
    result = await doctor(
        tmp_path,
        QUIET_HOURS_SECRET_KEY=TEST_KEY,
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=slack.url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="an-expired-secret",
        MICROSOFT_LOGIN_URL=microsoft,
    )
    assert result.returncode == 1
    found = lines(result)
    assert found["database"].startswith("✓") and found["keys"].startswith("✓")
    assert found["Slack"].startswith("✗ Slack: Slack refused SLACK_BOT_TOKEN (token_revoked)")
    assert "api.slack.com/apps" in found["Slack"]
    assert found["Teams"].startswith("✗ Teams: Microsoft refused")
    assert "(invalid_client)" in found["Teams"] and "Certificates & secrets" in found["Teams"]
    assert TOKEN not in result.stdout and "an-expired-secret" not in result.stdout


async def test_unmigrated_database_and_missing_key(
    database_url: str, slack: FakeSlack, tmp_path: Path
) -> None:
    result = await doctor(
        tmp_path, DATABASE_URL=database_url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.url
    )
    assert result.returncode == 1
    found = lines(result)
    assert found["secret key"].startswith("✗ secret key: QUIET_HOURS_SECRET_KEY is not set")
    assert "quiet-hours init" in found["secret key"]
    assert found["schema"].startswith("✗")
    # SQLite: the file is not there yet; PostgreSQL: the database is there, without tables
    assert "run `quiet-hours migrate`" in found["database"] + found["schema"]
    assert found["keys"] == "✗ keys: not checked: no usable QUIET_HOURS_SECRET_KEY"
    assert found["Slack"].startswith("✓")


async def test_a_key_that_cannot_read_the_stored_data(
    engine: AsyncEngine, database_url: str, slack: FakeSlack, tmp_path: Path
) -> None:
    other = Cipher.from_secret(Cipher.generate_key())  # what the data was written with
    await install_workspace(session_factory(engine), other, token=TOKEN, now=datetime.now(UTC))
    result = await doctor(
        tmp_path,
        QUIET_HOURS_SECRET_KEY=TEST_KEY,
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=slack.url,
    )
    assert result.returncode == 1
    found = lines(result)
    assert found["schema"].startswith("✓")
    assert found["keys"].startswith("✗ keys: QUIET_HOURS_SECRET_KEY cannot read the stored data")
    assert "NEW,OLD" in found["keys"]


async def test_unreachable_database_and_no_platform(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:hunter2@127.0.0.1:9/qh"
    result = await doctor(tmp_path, QUIET_HOURS_SECRET_KEY=TEST_KEY, DATABASE_URL=url)
    assert result.returncode == 1
    found = lines(result)
    assert "cannot reach the database" in found["database"] and "hunter2" not in result.stdout
    assert found["schema"] == "✗ schema: not checked: no database"
    assert found["platforms"].startswith("✗ platforms: no chat platform configured")


async def test_settings_that_do_not_parse_are_one_line(tmp_path: Path) -> None:
    result = await doctor(tmp_path, QUIET_HOURS_SECRET_KEY=TEST_KEY, PORT="eighty")
    assert result.returncode == 1
    assert result.stdout == "✗ settings: PORT must be a number, not 'eighty'\n"
