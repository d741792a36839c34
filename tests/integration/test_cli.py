"""The `quiet-hours` command line as an operator or a leader uses it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
# Subprocesses run the source under test, whether or not the package is installed.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

COMMANDS = [
    [],
    ["migrate"],
    ["serve"],
    ["init"],
    ["keygen"],
    ["demo"],
    ["rotate-keys"],
    ["policy"],
    ["policy", "list"],
    ["policy", "validate"],
    ["policy", "show"],
    ["hours"],
    ["hours", "check"],
    ["slack"],
    ["slack", "manifest"],
]


def test_slack_manifest_for_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--url", "https://qh.agency.no"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["oauth_config"]["redirect_urls"] == ["https://qh.agency.no/slack/oauth_redirect"]
    assert main(["slack", "manifest"]) == 2
    assert "--socket-mode" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: quiet-hours" in capsys.readouterr().out


def test_hours_check_says_closed_and_when_it_opens(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "hours",
            "check",
            "man-fre 8-16 tz Europe/Oslo holidays NO",
            "--at",
            "2026-11-27T17:30:00+01:00",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "closed at Fri 27 Nov 17:30 Europe/Oslo",
        "next opening: Mon 30 Nov 08:00 Europe/Oslo (2026-11-30T07:00:00Z)",
    ]


def test_hours_check_in_norwegian_when_open(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "hours",
            "check",
            "mon-fri 08:00-16:00 tz Europe/Oslo",
            "--at",
            "2026-12-01T09:00",
            "--locale",
            "nb",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "åpen tir. 1. des. 09:00 (Europe/Oslo)",
        "stenger: tir. 1. des. 16:00 (Europe/Oslo) (2026-12-01T15:00:00Z)",
    ]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["hours", "check", "mon-fri 8-16 tz Mars/Base"], "Mars/Base"),
        (["hours", "check", "mon-fri 8-16", "--at", "friday"], "--at 'friday'"),
        (["hours", "check", "mon-fri 8-16", "--tz", "Nowhere/Town"], "Nowhere/Town"),
    ],
)
def test_bad_input_gets_a_friendly_error_and_exit_2(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**SUBPROCESS_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_creates_a_new_sqlite_database_from_any_directory(tmp_path: Path) -> None:
    env = {"DATABASE_URL": ""}  # the default: ./quiet-hours.db in the working directory
    result = run_cli("migrate", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "quiet-hours.db").stat().st_size > 0
    again = run_cli("migrate", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr


def test_init_writes_a_key_once(tmp_path: Path) -> None:
    assert run_cli("init", cwd=tmp_path).returncode == 0
    first = (tmp_path / ".env").read_text()
    assert first.startswith("QUIET_HOURS_SECRET_KEY=")
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == "0o600"
    assert run_cli("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".env").read_text() == first


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"QUIET_HOURS_SECRET_KEY": ""})
    assert result.returncode == 2
    assert "QUIET_HOURS_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_answers_health_and_readiness_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    key = run_cli("keygen", cwd=tmp_path).stdout.strip()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env={**SUBPROCESS_ENV, "QUIET_HOURS_SECRET_KEY": key, "DATABASE_URL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        assert body == b'{"status": "ok"}'
        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        assert b'"status": "ready"' in body
        assert get(f"http://127.0.0.1:{port}/nope")[0] == 404
        started = time.monotonic()
        process.terminate()
        process.wait(timeout=10)
        assert time.monotonic() - started < 10
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_demo_runs_a_week_in_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # every step went through the real app over signed HTTP, and did what a user would see
    assert "→ Held. It will be delivered Mon 08:00 Europe/Oslo." in out
    assert (
        "[Sun 20:14 Europe/Oslo]     Quiet Hours replies in the thread: “No reply expected" in out
    )
    assert "(Slack delivers it twice): labels in the thread = 1" in out
    assert "posted in #platform now, marked urgent: True" in out
    assert "messages delivered to her: 0" in out
    assert "[Mon 08:00 Europe/Oslo] Kari's hours begin: delivered to Kari “Kan du se på" in out
    assert "Digest for Platform: 2 thread(s), posted in 1 channel(s)" in out
    assert "2 message(s) from 2 person(s) — it looks like something was decided" in out
    assert "“Skal vi bytte leverandør før nyttår?”" in out
