"""A command that cannot start says why in one line on stderr, exits non-zero, no traceback.

Each case runs the real command line in a process of its own, as an operator would meet it.
Exit codes: 2 for a wrong setting (change it), 1 for something outside that is not there.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sandbox.slack_api import FakeSlack
from tests.conftest import TEST_KEY
from tests.support.cli import SUBPROCESS_ENV, clean_env, free_port, run_cli
from tests.support.slack import check_call_with_socket_mode, fake_slack

TOKEN = "xoxb-the-right-one"


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The single stderr line of a command that failed with ``code``."""
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("quiet-hours: ")
    return lines[0]


def env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A key and a SQLite database in ``tmp_path``, unless ``settings`` say otherwise."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'qh.db'}"
    return clean_env(**{"QUIET_HOURS_SECRET_KEY": TEST_KEY, "DATABASE_URL": database, **settings})


def migrated(tmp_path: Path, **settings: str) -> dict[str, str]:
    """``env``, with the database already migrated (so start prints no migration lines)."""
    ready = env(tmp_path, **settings)
    assert run_cli("migrate", cwd=tmp_path, env=ready).returncode == 0
    return ready


def nowhere() -> str:
    """A PostgreSQL URL where no server listens."""
    return f"postgresql+asyncpg://postgres:hunter2@127.0.0.1:{free_port()}/qh"


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["demo"], ["rotate-keys"]])
def test_an_unreachable_database_is_one_line(command: list[str], tmp_path: Path) -> None:
    url = nowhere()
    argv = [*command, "--database-url", url] if command == ["demo"] else command
    result = run_cli(*argv, cwd=tmp_path, env=env(tmp_path, DATABASE_URL=url))
    line = one_line_error(result, 1)
    assert "cannot reach the database" in line
    assert url.split("@")[1] in line  # where it looked
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("mysql://qh:hunter2@db.example.org/qh", "uses mysql"),
        ("postgresql://qh:hunter2@db.example.org/qh", "uses postgresql"),  # no async driver
        ("sqlite:///qh.db", "uses sqlite"),
        ("not a url at all", "is not a database URL"),
        ("postgresql+asyncpg://qh:hunter2@db.example.org:port/qh", "is not a database URL"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_an_unsupported_or_malformed_database_url_is_a_configuration_error(
    command: str, url: str, cause: str, tmp_path: Path
) -> None:
    result = run_cli(command, cwd=tmp_path, env=env(tmp_path, DATABASE_URL=url))
    line = one_line_error(result, 2)
    assert cause in line
    assert "postgresql+asyncpg://" in line  # what to use instead
    assert "hunter2" not in result.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    settings = migrated(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path, env=settings
        )
    line = one_line_error(result, 1)
    assert f"127.0.0.1:{port}" in line
    assert "already in use" in line


def test_unreachable_slack_is_one_line(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{free_port()}/api/"
    settings = migrated(
        tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="s", SLACK_API_URL=api
    )
    result = run_cli("serve", "--port", str(free_port()), cwd=tmp_path, env=settings)
    line = one_line_error(result, 1)
    assert f"cannot reach Slack at {api}" in line
    assert TOKEN not in result.stderr


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = fake_slack(bot_token=TOKEN, team_id="T_START", validator=check_call_with_socket_mode)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_wrong_slack_token_is_a_configuration_error(
    slack: FakeSlack, tmp_path: Path
) -> None:
    wrong = "xoxb-revoked-long-ago"
    settings = await asyncio.to_thread(
        migrated, tmp_path, SLACK_BOT_TOKEN=wrong, SLACK_SIGNING_SECRET="s", SLACK_API_URL=slack.url
    )
    # the fake Slack answers on this event loop: run the command beside it
    result = await asyncio.to_thread(
        run_cli, "serve", "--port", str(free_port()), cwd=tmp_path, env=settings
    )
    line = one_line_error(result, 2)
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line
    assert wrong not in result.stderr


async def test_a_wrong_socket_mode_token_is_a_configuration_error(
    slack: FakeSlack, tmp_path: Path
) -> None:
    wrong = "xapp-1-revoked-long-ago"
    settings = await asyncio.to_thread(
        migrated, tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=wrong, SLACK_API_URL=slack.url
    )
    result = await asyncio.to_thread(
        run_cli, "serve", "--port", str(free_port()), cwd=tmp_path, env=settings
    )
    # slack-sdk and bolt log their own view of the refusal first (their loggers, at INFO and
    # above); what Quiet Hours says is the last line, and there is no traceback
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("quiet-hours: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert wrong not in result.stderr


def test_any_other_failure_is_one_line_and_debug_shows_where(tmp_path: Path) -> None:
    # a broken install: a `migrations` package without its scripts comes first on the path
    shadow = tmp_path / "shadow"
    (shadow / "migrations").mkdir(parents=True)
    (shadow / "migrations" / "__init__.py").write_text("")
    path = {"PYTHONPATH": f"{shadow}:{SUBPROCESS_ENV['PYTHONPATH']}"}
    result = run_cli("migrate", cwd=tmp_path, env=env(tmp_path, **path))
    line = one_line_error(result, 1)
    assert "unexpected ImportError" in line and "env.py" in line
    assert "--debug" in line
    for debug in (["--debug"], []):
        settings = env(tmp_path, **path) if debug else env(tmp_path, LOG_LEVEL="debug", **path)
        shown = run_cli(*debug, "migrate", cwd=tmp_path, env=settings)
        assert shown.returncode == 1
        assert "Traceback (most recent call last)" in shown.stderr
        assert shown.stderr.splitlines()[-1].startswith("quiet-hours: unexpected ImportError")


def test_a_schema_that_was_never_migrated_says_to_migrate(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "qh.db").close()  # a database, with no tables
    result = run_cli("rotate-keys", cwd=tmp_path, env=env(tmp_path))
    line = one_line_error(result, 2)  # as a setting to change: run migrate, then again
    assert line.startswith("quiet-hours: the database schema is not current (")
    assert "has no Quiet Hours schema" in line
    assert "quiet-hours migrate" in line
