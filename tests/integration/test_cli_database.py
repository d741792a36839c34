"""Commands that use stored data on a database without the schema, and the SQLite file's mode."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.cli import TEAMS, clean_env, free_port, run_cli

NOT_CURRENT = "quiet-hours: the database schema is not current ("


def _env(database: Path) -> dict[str, str]:
    return clean_env(
        QUIET_HOURS_SECRET_KEY=TEST_KEY,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        PORT=str(free_port()),
        **TEAMS,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("serve", "--no-migrate", "--host", "127.0.0.1"),
        ("export", "--workspace", "T_TEST"),
        ("erase", "--workspace", "T_TEST", "--yes"),
        ("rotate-keys",),
    ],
    ids=lambda command: command[0],
)
@pytest.mark.parametrize("database", ["unmigrated", "missing"])
def test_a_command_needing_the_schema_says_run_migrate(
    tmp_path: Path, command: tuple[str, ...], database: str
) -> None:
    path = tmp_path / "quiet-hours.db"
    if database == "unmigrated":
        sqlite3.connect(path).close()  # an empty SQLite file: no tables
    result = run_cli(*command, cwd=tmp_path, env=_env(path), timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(NOT_CURRENT), result.stderr
    assert lines[0].endswith("run `quiet-hours migrate`")
    assert "OperationalError" not in result.stderr and "Traceback" not in result.stderr
    assert path.exists() == (database == "unmigrated")  # a missing file is not made


def test_doctor_says_the_schema_is_not_current(tmp_path: Path) -> None:
    path = tmp_path / "quiet-hours.db"
    sqlite3.connect(path).close()
    result = run_cli("doctor", cwd=tmp_path, env=_env(path))
    assert result.returncode == 1
    assert "✗ schema: the database has no Quiet Hours schema" in result.stdout
    assert "run `quiet-hours migrate`" in result.stdout


def test_the_database_and_its_wal_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "quiet-hours.db"
    result = run_cli("migrate", cwd=tmp_path, env=_env(path))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # SQLite gives the write-ahead log and shared memory the database file's mode
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
        connection.execute("INSERT INTO scratch VALUES (1)")
        connection.commit()
        for companion in ("-wal", "-shm"):
            file = Path(f"{path}{companion}")
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, companion


def test_migrate_narrows_an_older_database_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "quiet-hours.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)  # as databases were made before
    result = run_cli("migrate", cwd=tmp_path, env=_env(path))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"{path} was readable by others: now by its owner only (mode 600)" in result.stdout
