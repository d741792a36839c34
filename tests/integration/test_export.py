"""`quiet-hours export --workspace ID` run as an admin runs it, on SQLite and PostgreSQL: every
table of the schema that holds workspace data is in the export, texts decrypted, tokens never,
and nothing of another workspace."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.watch import EXCERPT_KEEP
from bot.storage.crypto import Cipher
from bot.storage.models import Base
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ActivityRepository,
    ExcerptRepository,
    PersonRepository,
    UrgentOverrideRepository,
    WorkspaceRepository,
)
from tests.conftest import TEST_KEY
from tests.support.cli import clean_env, run_cli
from tests.support.slack import install_workspace

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
BOT_TOKEN = "xoxb-export-bot-token"
USER_TOKEN = "xoxp-export-user-token"


async def seed(sessions: Sessions, cipher: Cipher, team: str, secret: str) -> None:
    """A workspace with one of everything, its texts containing ``secret``."""
    await install_workspace(
        sessions, cipher, token=BOT_TOKEN, now=NOW, team=team, leader="U_LEAD", team_name="Legal"
    )
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).find("slack", team)
        assert workspace is not None
        people = PersonRepository(session, cipher)
        ola = await people.get_or_create(workspace.id, "U_OLA", now=NOW, tz="Europe/Oslo")
        await people.set_hours(ola, "mon-fri 09-17", source="personal", now=NOW)
        await people.set_user_token(ola, USER_TOKEN, now=NOW)
        await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace.id,
            conversation_id="C_TEAM",
            author_id="U_OLA",
            body=f"held: {secret}",
            deliver_at=NOW + timedelta(days=3),
            now=NOW,
        )
        await ActivityRepository(session).record(
            workspace_id=workspace.id,
            conversation_id="C_TEAM",
            thread_id="1.1",
            person_id="U_OLA",
            occurred_at=NOW,
        )
        await ExcerptRepository(session, cipher).remember(
            workspace.id, "C_TEAM", "1.1", f"first line: {secret}", now=NOW, keep=EXCERPT_KEEP
        )
        await UrgentOverrideRepository(session).record(
            workspace_id=workspace.id, conversation_id="C_TEAM", sender_id="U_OLA", occurred_at=NOW
        )


def settings(database_url: str) -> dict[str, str]:
    return clean_env(QUIET_HOURS_SECRET_KEY=TEST_KEY, DATABASE_URL=database_url)


async def test_export_holds_everything_of_the_workspace_and_no_token(
    sessions: Sessions, database_url: str, cipher: Cipher, tmp_path: Path
) -> None:
    await seed(sessions, cipher, "T_MINE", "mine")
    await seed(sessions, cipher, "T_OTHER", "someone else's")
    result = run_cli("export", "--workspace", "T_MINE", cwd=tmp_path, env=settings(database_url))
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert export["workspace"]["external_id"] == "T_MINE"
    tables = export["tables"]
    # every table of the schema that names a workspace is there (a table added later, too)
    holding = {t.name for t in Base.metadata.sorted_tables if "workspace_id" in t.columns}
    assert holding | {"team_leaders"} <= set(tables)
    assert [row["body"] for row in tables["held_messages"]] == ["held: mine"]
    assert [row["excerpt"] for row in tables["thread_excerpts"]] == ["first line: mine"]
    (ola,) = [row for row in tables["people"] if row["external_id"] == "U_OLA"]
    assert ola["hours_spec"] == "mon-fri 09-17" and ola["tz"] == "Europe/Oslo"
    assert len(tables["off_hours_activity"]) == 1 and len(tables["urgent_overrides"]) == 1
    assert len(tables["team_leaders"]) == 1 and tables["teams"][0]["name"] == "Legal"
    # never a token, nor anything of the other workspace
    assert BOT_TOKEN not in result.stdout and USER_TOKEN not in result.stdout
    assert "token" not in json.dumps(tables["installations"] + tables["people"])
    assert "someone else's" not in result.stdout and "T_OTHER" not in result.stdout


async def test_export_to_a_file_and_unknown_workspace(
    sessions: Sessions, database_url: str, cipher: Cipher, tmp_path: Path
) -> None:
    await seed(sessions, cipher, "T_MINE", "mine")
    out = tmp_path / "export.json"
    env = settings(database_url)
    result = run_cli("export", "--workspace", "T_MINE", "--out", str(out), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and str(out) in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # only its owner may read it
    assert json.loads(out.read_text(encoding="utf-8"))["tables"]["held_messages"][0]["body"]
    missing = run_cli("export", "--workspace", "T_NOPE", cwd=tmp_path, env=env)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == "quiet-hours: no workspace 'T_NOPE' in this database\n"


async def test_export_never_writes_over_the_database_or_an_existing_file_without_force(
    sessions: Sessions, database_url: str, cipher: Cipher, tmp_path: Path
) -> None:
    await seed(sessions, cipher, "T_MINE", "mine")
    env = settings(database_url)
    export = ("export", "--workspace", "T_MINE", "--out")
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database
        assert database is not None
        before = await asyncio.to_thread(Path(database).read_bytes)
        refused = run_cli(*export, database, cwd=tmp_path, env=env)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.startswith(f"quiet-hours: --out {database} is the database")
        assert len(refused.stderr.splitlines()) == 1
        assert await asyncio.to_thread(Path(database).read_bytes) == before
    kept = tmp_path / "notes.txt"
    kept.write_text("my notes")
    kept.chmod(0o644)
    refused = run_cli(*export, str(kept), cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"quiet-hours: --out {kept} is there already: add --force to replace it, "
        "or name another file\n"
    )
    assert kept.read_text() == "my notes"
    forced = run_cli(*export, str(kept), "--force", cwd=tmp_path, env=env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(kept.read_text())["tables"]["held_messages"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
