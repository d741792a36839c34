"""What `serve` tells an operator: which platforms are on, and a log that is not a flood."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.web import platform_modes
from tests.conftest import TEST_KEY
from tests.support.cli import TEAMS, clean_env, serving
from tests.support.waiting import until_async


def env(tmp_path: Path, **settings: str) -> dict[str, str]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'qh.db'}"
    return clean_env(**{"QUIET_HOURS_SECRET_KEY": TEST_KEY, "DATABASE_URL": database, **settings})


def test_with_no_platform_serve_says_so_and_is_not_ready(tmp_path: Path) -> None:
    with serving(tmp_path, env(tmp_path)) as server:
        status, body = server.get("/readyz")
        assert server.stop() == 0
    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "unavailable"
    assert answer["database"] == "ok"  # the rest of the picture is still there
    assert answer["platforms"] == {"slack": "off", "teams": "off"}
    assert answer["problems"] == [answer["problems"][0]]
    assert answer["problems"][0].startswith("no chat platform configured: set SLACK_")
    said = [line for line in server.output.splitlines() if "no chat platform configured" in line]
    assert len(said) == 1
    assert "MICROSOFT_APP_ID" in said[0]
    assert said[0].endswith("; serving health endpoints only")


def test_readiness_lists_the_platforms_that_are_on(tmp_path: Path) -> None:
    with serving(tmp_path, env(tmp_path, **TEAMS)) as server:
        status, body = server.get("/readyz")
        assert server.stop() == 0
    assert status == 200, body
    assert json.loads(body)["platforms"] == {"slack": "off", "teams": "on"}
    assert "no chat platform configured" not in server.output


@pytest.mark.parametrize(
    ("settings", "slack"),
    [
        ({}, "off"),
        ({"slack_bot_token": "xoxb-1"}, "off"),  # nothing can reach /slack/events
        ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, "http"),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}, "socket-mode"),
        (
            {"slack_client_id": "1.2", "slack_client_secret": "c", "slack_signing_secret": "s"},
            "oauth",
        ),
    ],
)
def test_the_slack_mode_is_what_the_composition_root_mounts(
    settings: dict[str, str], slack: str
) -> None:
    assert platform_modes(Settings(**settings)) == {"slack": slack, "teams": "off"}


def test_probes_and_the_digest_tick_leave_the_log_alone(tmp_path: Path) -> None:
    with serving(tmp_path, env(tmp_path, **TEAMS)) as server:
        for _ in range(5):
            for path in ("/healthz", "/readyz", "/metrics"):
                assert server.get(path)[0] == 200
        assert server.get("/privacy-nope")[0] == 404
        assert server.stop() == 0
    log = server.output
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert f"GET {probe} " not in log
    assert '"GET /privacy-nope HTTP/1.1" 404' in log  # other routes keep their access lines
    # the digest tick runs once at start; APScheduler used to say so (and again every 30 s)
    assert "apscheduler" not in log
    assert "Context impl" not in log and "Will assume" not in log
    assert "Connections Map" not in log  # the Agents SDK's settings dump at every start
    assert "Quiet Hours listening on 127.0.0.1" in log


async def test_a_digest_run_cut_short_by_sigterm_is_one_line_not_a_traceback(
    database_url: str, engine: object, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("holds a table lock from outside the process: PostgreSQL")
    import asyncpg
    from sqlalchemy.engine import make_url

    plain = make_url(database_url).set(drivername="postgresql")
    outside = await asyncpg.connect(plain.render_as_string(hide_password=False))
    try:
        # the digest run at start purges expired first lines: make it wait for this lock
        locked = outside.transaction()
        await locked.start()
        await outside.execute("LOCK TABLE thread_excerpts IN ACCESS EXCLUSIVE MODE")
        settings = env(tmp_path, DATABASE_URL=database_url, **TEAMS)
        with serving(tmp_path, settings, "--no-migrate") as server:
            waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
            await until_async(lambda: outside.fetchval(waiting), within=20)
            assert server.stop() == 0
        await locked.rollback()
    finally:
        await outside.close()
    assert "Traceback" not in server.output
    assert "CancelledError" not in server.output
    assert "a digest run was interrupted by the shutdown" in server.output
