"""The `quiet-hours` command line as an operator or a leader uses it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.support.cli import run_cli, serving

COMMANDS = [
    [],
    ["migrate"],
    ["serve"],
    ["init"],
    ["keygen"],
    ["demo"],
    ["rotate-keys"],
    ["erase"],
    ["policy"],
    ["policy", "list"],
    ["policy", "validate"],
    ["policy", "show"],
    ["hours"],
    ["hours", "check"],
    ["slack"],
    ["slack", "manifest"],
]

ROOT = Path(__file__).resolve().parents[2]


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


def test_init_fills_the_empty_key_line_of_a_copied_env_example(tmp_path: Path) -> None:
    example = (ROOT / "deploy" / ".env.example").read_text(encoding="utf-8")
    assert "\nQUIET_HOURS_SECRET_KEY=\n" in example
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0
    assert "wrote a new QUIET_HOURS_SECRET_KEY" in result.stdout
    written = (tmp_path / ".env").read_text(encoding="utf-8")
    keys = [line for line in written.splitlines() if line.startswith("QUIET_HOURS_SECRET_KEY=")]
    assert len(keys) == 1 and len(keys[0]) > len("QUIET_HOURS_SECRET_KEY=") + 40
    # everything else of the example is kept as it was
    assert written.replace(keys[0], "QUIET_HOURS_SECRET_KEY=") == example
    keygen = run_cli("keygen", cwd=tmp_path)  # the key is one serve accepts
    assert len(keys[0].split("=", 1)[1]) == len(keygen.stdout.strip())


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, env={"QUIET_HOURS_SECRET_KEY": ""})
    assert result.returncode == 2
    assert "QUIET_HOURS_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_health_and_readiness_and_stops_on_sigterm(tmp_path: Path) -> None:
    key = run_cli("keygen", cwd=tmp_path).stdout.strip()
    teams = {
        "MICROSOFT_APP_ID": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098",
        "MICROSOFT_APP_PASSWORD": "pw",
    }
    env = {"QUIET_HOURS_SECRET_KEY": key, "DATABASE_URL": "", **teams}
    with serving(tmp_path, env) as server:
        status, body = server.get("/healthz")
        assert (status, body) == (200, b'{"status": "ok"}')
        status, body = server.get("/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ready"
        assert server.get("/nope")[0] == 404
        started = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - started < 10


def test_demo_runs_a_week_in_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # every step went through the real app over signed HTTP, and did what a user would see
    # protected with no setup: the workspace default holds a message in a channel no team covers
    assert "the workspace default, from the members' zone and language, is norway-aml" in out
    assert (
        "Ola: /quiet later Can we talk on Monday? (in #general)\n"
        "    → Held. It will be delivered Mon 08:00 Europe/Oslo."
    ) in out
    assert (
        "[Mon 08:00 Europe/Oslo] The workspace's hours begin: delivered in #general "
        "“Can we talk on Monday?” (once)"
    ) in out
    assert "→ Held. It will be delivered Mon 08:00 Europe/Oslo." in out
    assert (
        "[Sun 20:14 Europe/Oslo]     Quiet Hours replies in the thread: “No reply expected — "
        "replies are due from Mon 08:00 Europe/Oslo.”"
    ) in out
    assert "<!date" not in out  # Slack's date formatting shown as a reader reads it
    assert "(Slack delivers it twice): labels in the thread = 1" in out
    assert (
        "Quiet Hours guards the decision in the thread: “🛡️ This reads like a decision made "
        "outside working hours. It stays open until Mon 12:00 Europe/Oslo"
    ) in out
    assert "posted in #platform now, marked urgent: True" in out
    assert "messages delivered to her: 0" in out
    assert "[Mon 08:00 Europe/Oslo] Kari's hours begin: delivered to Kari “Kan du se på" in out
    assert "Digest for Platform: 2 threads, posted in 1 channel" in out
    assert (
        "2 messages from 2 people — 🛡️ a decision made outside working hours, guarded "
        "until Mon 12:00 Europe/Oslo; 2 people were away"
    ) in out
    assert "“Skal vi bytte leverandør før nyttår?”" in out
    assert "[Mon 12:00 Europe/Oslo] The guard ends: Lea is asked privately" in out
    assert "Lea clicks Confirm decision → Confirmed." in out
    assert "updated in place: “✅ Decision confirmed by <@U_LEA>" in out


def test_demo_runs_the_same_week_in_a_sandbox_teams_tenant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--platform", "teams"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    # through the real Teams app (anonymous local-testing mode) over HTTP, as Teams drives it
    assert "Lea adds Quiet Hours to the team Plattform (HTTP 202)" in out
    # protected with no setup: the installer's welcome shows the tenant default, which holds a
    # message in a channel no team policy covers until Monday
    assert "Lea's welcome card: “Quiet Hours is installed — everyone is protected" in out
    # an en-GB installer in Oslo: the zone names the country (Norway's act and holidays)
    assert "(norway-aml) · Hours: mon-fri 08:00-16:00 tz Europe/Oslo holidays NO" in out
    assert (
        "Ola: @Quiet Hours later Can we talk on Monday? (in General)\n"
        "    → Held. It will be delivered Mon 08:00 Europe/Oslo."
    ) in out
    assert (
        "[Mon 08:00 Europe/Oslo] The tenant's hours begin: delivered in General: "
        "“From Ola · written Fri 17:30 Europe/Oslo · Can we talk on Monday?” (once)"
    ) in out
    assert "{{DATE(" not in out  # instants as a reader in Oslo reads them
    assert "Kari (1:1 chat with Quiet Hours): hours man-fre 8-16 helligdager NO" in out
    assert "    → Lagret. Arbeidstiden din er nå: man-fre 08:00-16:00" in out
    assert "    → Held. It will be delivered Mon 08:00 Europe/Oslo." in out
    assert (
        "[Sun 20:14 Europe/Oslo]     Quiet Hours replies in the thread: “No reply expected" in out
    )
    assert "(Teams delivers it twice): labels in the thread = 1" in out
    assert "guards the decision in the thread: “🛡️ This reads like a decision" in out
    assert "posted in the channel now: True" in out
    assert "messages delivered to her: 0" in out
    assert (
        "[Mon 08:00 Europe/Oslo] Kari's hours begin: delivered in her chat with Quiet Hours: "
        "“From Ola · written Fri 17:30 Europe/Oslo · Kan du se på kontrakten før mandag?” (once)"
    ) in out
    assert "Digest for Plattform: 2 threads, posted in 1 channel" in out
    assert "2 messages from 2 people — 🛡️ a decision made outside working hours" in out
    assert "WARNING" not in captured.err  # the demo's output is the timeline, nothing else


#: Commands that fail on bad input, each its own way (a preset file, a name, a spec, a flag)
FAILING = [
    ["policy", "validate", "{bad}", "office-standard"],
    ["policy", "validate"],
    ["policy", "show", "nosuch"],
    ["hours", "check", "mon-fri 25:00-16:00"],
    ["hours", "check", "mon-fri 08-16", "--tz", "Mars/Olympus"],
    ["slack", "manifest"],
]


@pytest.mark.parametrize("command", FAILING, ids=lambda c: " ".join(c[:2]) + f" ({len(c)})")
def test_every_error_line_on_stderr_names_the_program(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator greps a log for ``quiet-hours:``: every error line a subcommand writes to
    stderr starts with it, one error a line (a preset file's problems each on their own)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: bad\nencodes: y\nhours: "mon-fri 25:00-16:00"\nbogus: 1\n')
    code = main([part.format(bad=bad) for part in command])
    assert code in (1, 2)
    printed = capsys.readouterr()
    lines = printed.err.splitlines()
    assert lines, printed
    assert all(line.startswith("quiet-hours: ") for line in lines), lines
    if command[:2] == ["policy", "validate"] and len(command) > 2:
        assert f"quiet-hours: {bad}:4: unknown key 'bogus'" in printed.err
        assert "office-standard: ok" in printed.out  # the good one still says so


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["bogus"], "quiet-hours: argument COMMAND: invalid choice: 'bogus'"),
        (["policy", "bogus"], "quiet-hours: policy: argument ACTION: invalid choice: 'bogus'"),
        (["hours", "check"], "quiet-hours: hours check: the following arguments are required"),
        (["erase"], "quiet-hours: erase: the following arguments are required: --workspace"),
    ],
)
def test_a_mistyped_command_line_ends_in_the_same_one_line_shape(
    command: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's own refusals too: the usage, then ``quiet-hours: [SUBCOMMAND: ]why``, exit 2."""
    with pytest.raises(SystemExit) as exited:
        main(command)
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("usage: quiet-hours")
    assert lines[-1].startswith(said), lines[-1]
