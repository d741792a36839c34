"""Settings from ``.env`` and typed instants: what the command line does with them."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from tests.conftest import TEST_KEY
from tests.support.cli import clean_env, run_cli


def test_log_level_and_format_from_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\nLOG_FORMAT=json\n", encoding="utf-8")
    result = run_cli("migrate", cwd=tmp_path, env=clean_env(QUIET_HOURS_SECRET_KEY=TEST_KEY))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records and all(set(record) >= {"level", "logger", "message"} for record in records)
    assert any(record["level"] == "DEBUG" for record in records)
    # a real variable wins over .env, as for every setting
    again = run_cli("migrate", cwd=tmp_path, env=clean_env(LOG_FORMAT="text", LOG_LEVEL="INFO"))
    assert again.returncode == 0, again.stderr
    assert not again.stderr.startswith("{") and " DEBUG " not in again.stderr


def test_doctor_reports_a_passphrase_as_its_secret_key_check(tmp_path: Path) -> None:
    env = clean_env(QUIET_HOURS_SECRET_KEY="correct horse battery staple")
    result = run_cli("doctor", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "✓ settings: parsed"
    assert lines[1].startswith("✗ secret key: key #1 in QUIET_HOURS_SECRET_KEY is not a key")
    assert "✗ keys: not checked: no usable QUIET_HOURS_SECRET_KEY" in lines
    assert any(line.startswith("✗ database: ") for line in lines)  # the other checks ran
    assert result.stderr == ""


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
    ],
)
def test_hours_check_far_from_now_is_one_friendly_line(
    capsys: pytest.CaptureFixture[str], at: str
) -> None:
    assert main(["hours", "check", "mon-fri 8-16", "--at", at]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"quiet-hours: --at {at!r} is outside the years 1970 to 2099 that hours are checked for\n"
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda value: value.isoformat()),
        st.datetimes().map(lambda value: value.isoformat()),
        # the edges of datetime's range, where a day before or two years after overflows
        st.datetimes(max_value=datetime(1, 1, 3)).map(lambda value: value.isoformat()),
        st.datetimes(min_value=datetime(9999, 12, 29)).map(lambda value: value.isoformat()),
        st.datetimes(min_value=datetime(2099, 12, 1), max_value=datetime(2100, 1, 2)).map(
            lambda value: value.isoformat() + "Z"
        ),
        st.text(max_size=40),
    ),
    spec=st.sampled_from(["mon-fri 8-16", "fri-mon 22-06 tz Pacific/Kiritimati", "man 0-24"]),
    tz=st.sampled_from([[], ["--tz", "America/St_Johns"], ["--tz", "Etc/GMT+12"]]),
)
def test_hours_check_answers_or_refuses_any_instant(
    capsys: pytest.CaptureFixture[str], at: str, spec: str, tz: list[str]
) -> None:
    if at.startswith("-"):
        at = " " + at  # argparse would read it as an option
    code = main(["hours", "check", spec, "--at", at, *tz])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    if code == 0:
        assert out and not err
    else:
        assert err.startswith("quiet-hours: --at ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["serve", "--port", "70000"],
            "quiet-hours: --port must be between 1 and 65535, not 70000",
        ),
        (
            ["init", "--env-file", "folder"],
            "quiet-hours: --env-file folder is a directory; name a file to write",
        ),
        (
            [
                "teams",
                "package",
                "--domain",
                "bot.example.org",
                "--app-id",
                "a1",
                "--out",
                "folder",
            ],
            "quiet-hours: --out folder is a directory; name a file to write",
        ),
        (
            ["export", "--workspace", "T1", "--out", "nowhere/x.json"],
            "quiet-hours: --out nowhere/x.json: the folder nowhere does not exist",
        ),
        (
            [
                "teams",
                "package",
                "--domain",
                "bot.example.org",
                "--app-id",
                "a1",
                "--out",
                "live.db",
            ],
            "quiet-hours: --out live.db is the database (live.db): writing there would replace it; "
            "name another file",
        ),
    ],
)
def test_other_typed_arguments_are_one_friendly_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./live.db")
    (tmp_path / "folder").mkdir()
    (tmp_path / "live.db").write_bytes(b"SQLite format 3\x00")
    assert main(args) == 2
    assert capsys.readouterr().err == expected + "\n"
    assert (tmp_path / "live.db").read_bytes() == b"SQLite format 3\x00"


def test_init_writes_a_new_env_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    result = run_cli("init", "--env-file", "fresh.env", cwd=tmp_path, env=clean_env())
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "fresh.env").stat().st_mode) == 0o600
