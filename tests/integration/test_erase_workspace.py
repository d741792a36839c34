"""Erasing a workspace leaves no row of it in any table, and touches no other workspace.

The test walks the *migrated* schema (not a list kept by hand): every table must either hold no
workspace's data (``NO_WORKSPACE_DATA``, with a reason) or be seeded here for both workspaces, and
each row's workspace is found from its columns and foreign keys. A table added later and
forgotten by ``erase_workspace`` (or by this seed) fails the test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.cli import main
from bot.services.erase import NO_WORKSPACE_DATA, erase_workspace
from bot.storage.models import Base

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 28, 10, tzinfo=UTC)
NAIVE_NOW = NOW.replace(tzinfo=None)  # slack-sdk's tables keep naive UTC
GONE, KEPT = "T_GONE", "T_KEPT"
Row = dict[str, Any]


def seed(connection: Connection) -> dict[str, int]:
    """A row in every table of each workspace (and in the tables that belong to none)."""
    tables = Base.metadata.tables
    ids: dict[str, int] = {}

    def insert(table: str, /, **values: Any) -> Any:
        result = connection.execute(tables[table].insert().values(**values))
        return result.inserted_primary_key[0] if result.inserted_primary_key else None

    for team in (GONE, KEPT):
        mark = team.lower()  # in every id and text, to find leftovers by content too
        ws = insert("workspaces", platform="slack", external_id=team, installed_at=NOW)
        ids[team] = ws
        insert("installations", workspace_id=ws, bot_token_enc=b"enc", installed_at=NOW, scopes="")
        insert(
            "workspace_defaults",
            workspace_id=ws,
            preset="norway-aml",
            tz="Europe/Oslo",
            country="NO",
            mode="hold",
            source="install",
            installed_by=f"U_{mark}",
            created_at=NOW,
            updated_at=NOW,
        )
        person = insert(
            "people",
            workspace_id=ws,
            external_id=f"U_{mark}",
            display_name=f"Kari {mark}",
            auto_hold=True,
            user_token_enc=b"enc",
            created_at=NOW,
            updated_at=NOW,
        )
        team_id = insert(
            "teams",
            workspace_id=ws,
            name=f"Platform {mark}",
            hours_spec="mon-fri 08:00-16:00",
            mode="hold",
            urgent_who="anyone",
            urgent_people=f'["U_{mark}"]',
            digest_target="channel",
            locale="en",
            created_at=NOW,
            updated_at=NOW,
        )
        insert(
            "team_channels",
            team_id=team_id,
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            watched=True,
        )
        insert("team_leaders", team_id=team_id, person_id=person)
        insert(
            "conversations",
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            kind="channel",
            reference=f'{{"user": "U_{mark}"}}',
            created_at=NOW,
            updated_at=NOW,
        )
        insert(
            "held_messages",
            id=str(uuid.uuid4()),
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            author_id=f"U_{mark}",
            body_enc=b"enc",
            kind="later",
            as_author=False,
            urgent=False,
            created_at=NOW,
            deliver_at=NOW + timedelta(days=2),
            state="held",
            attempts=0,
            updated_at=NOW,
        )
        insert(
            "decision_guards",
            workspace_id=ws,
            team_id=team_id,
            conversation_id=f"C_{mark}",
            thread_id="1.1",
            decided_at=NOW,
            guard_until=NOW + timedelta(hours=4),
            away=3,
            state="open",
            settled_by=f"U_{mark}",
            created_at=NOW,
        )
        insert(
            "decision_reactions",
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            message_id="1.1",
            thread_id="1.1",
            person_id=f"U_{mark}",
            reaction="white_check_mark",
            reacted_at=NOW,
        )
        insert(
            "labels",
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            thread_id="1.1",
            period_end=NOW,
            due_at=NOW,
            labelled_at=NOW,
        )
        insert(
            "off_hours_activity",
            workspace_id=ws,
            team_id=team_id,
            conversation_id=f"C_{mark}",
            thread_id="1.1",
            person_id=f"U_{mark}",
            occurred_at=NOW,
            is_thread_root=True,
            decision_signal=False,
        )
        insert(
            "thread_excerpts",
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            thread_id="1.1",
            excerpt_enc=b"enc",
            created_at=NOW,
            expires_at=NOW + timedelta(days=14),
        )
        insert(
            "digests",
            team_id=team_id,
            period_start=NOW - timedelta(days=2),
            period_end=NOW,
            state="posted",
            claimed_at=NOW,
            summary='{"threads": 1}',
        )
        insert(
            "return_digests",
            workspace_id=ws,
            person_id=f"U_{mark}",
            period_start=NOW - timedelta(days=14),
            period_end=NOW,
            state="posted",
            claimed_at=NOW,
        )
        insert(
            "urgent_overrides",
            workspace_id=ws,
            conversation_id=f"C_{mark}",
            sender_id=f"U_{mark}",
            occurred_at=NOW,
        )
        common = {"client_id": "1.2", "app_id": "A1", "team_id": team, "installed_at": NAIVE_NOW}
        insert(
            "slack_installations",
            **common,
            bot_token="enc",
            user_id=f"U_{mark}",
            user_token="enc",
            is_enterprise_install=False,
        )
        insert("slack_bots", **common, bot_token="enc", is_enterprise_install=False)
        # shared pacing, keyed by workspace (and conversation) as bot/delivery/pacing.py does
        insert("send_slots", key=f"c:slack:{team}:C_{mark}#0", tat=1.0, blocked_until=0.0)
        insert("send_slots", key=f"w:slack:{team}#0", tat=1.0, blocked_until=0.0)
    # tables that belong to no workspace
    insert("seen_events", platform="slack", event_id="Ev1", seen_at=NOW)
    insert("slack_oauth_states", state="s1", expire_at=NAIVE_NOW)
    return ids


def snapshot(connection: Connection) -> dict[str, list[Row]]:
    """Every row of every table of the migrated schema."""
    found: dict[str, list[Row]] = {}
    for name in inspect(connection).get_table_names():
        table = Base.metadata.tables.get(name)
        if table is None:
            assert name in NO_WORKSPACE_DATA, f"table {name!r} is not in the models"
            continue
        found[name] = [dict(row) for row in connection.execute(select(table)).mappings()]
    return found


def owners(connection: Connection, rows: dict[str, list[Row]]) -> Callable[[str, Row], int | None]:
    """``owner(table, row)``: the workspace id a row belongs to, found from the schema."""
    schema = inspect(connection)
    keys = {name: schema.get_foreign_keys(name) for name in rows}
    by_external = {row["external_id"]: row["id"] for row in rows["workspaces"]}

    def owner(name: str, row: Row) -> int | None:
        if name == "workspaces":
            return int(row["id"])
        if "workspace_id" in row:
            return int(row["workspace_id"])
        for key in keys[name]:  # e.g. team_leaders -> teams, digests -> teams
            value = row[key["constrained_columns"][0]]
            parent = key["referred_table"]
            column = key["referred_columns"][0]
            for candidate in rows[parent]:
                if candidate[column] == value:
                    return owner(parent, candidate)
        if name == "send_slots":  # "c:<platform>:<workspace>:…" or "w:<platform>:<workspace>#n"
            platform, rest = row["key"].split(":", 2)[1:]
            external = rest.split(":")[0].split("#")[0]
            return int(by_external[external]) if platform == "slack" else None
        for column in ("team_id", "enterprise_id"):  # slack-sdk's stores name the workspace
            if isinstance(row.get(column), str) and row[column] in by_external:
                return int(by_external[row[column]])
        return None

    return owner


async def test_erasing_a_workspace_leaves_no_row_of_it_in_any_table(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    async with engine.begin() as connection:
        ids = await connection.run_sync(seed)
    async with engine.connect() as connection:
        before = await connection.run_sync(snapshot)
        owner = await connection.run_sync(owners, before)
    for name, table_rows in before.items():
        if name in NO_WORKSPACE_DATA:
            continue
        found = {owner(name, row) for row in table_rows}
        assert found == {ids[GONE], ids[KEPT]}, (
            f"table {name!r}: seed a row of each workspace here and make sure "
            f"bot/services/erase.py erases it (rows belong to {found})"
        )

    async with sessions() as session, session.begin():
        erased = await erase_workspace(session, "slack", GONE)
    assert erased is not None
    assert erased.total == sum(
        1 for name, rows in before.items() for row in rows if owner(name, row) == ids[GONE]
    )

    async with engine.connect() as connection:
        after = await connection.run_sync(snapshot)
    for name in before:
        if name in NO_WORKSPACE_DATA:
            assert after[name] == before[name]
            continue
        kept = [row for row in before[name] if owner(name, row) == ids[KEPT]]
        assert after[name] == kept, f"table {name!r}"  # nothing of GONE, all of KEPT as it was
        # and nothing that names the erased workspace or its people, in any column
        assert not [row for row in after[name] if "gone" in repr(row).lower()], name

    async with sessions() as session, session.begin():
        assert await erase_workspace(session, "slack", GONE) is None  # unknown now


async def test_the_erase_command_says_what_it_erased_in_one_line(
    database_url: str, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(seed)

    def erase(*args: str) -> int:
        return main(["erase", *args, "--database-url", database_url])

    # not a terminal (stdin is not one here) and no --yes: refused, nothing erased
    assert await asyncio.to_thread(erase, "--workspace", GONE) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "quiet-hours: erasing workspace T_GONE cannot be undone: add --yes to go ahead\n"
    async with engine.connect() as connection:
        assert len((await connection.run_sync(snapshot))["workspaces"]) == 2

    assert await asyncio.to_thread(erase, "--workspace", GONE, "--yes") == 0
    out, err = capsys.readouterr()
    assert out == "erased workspace slack:T_GONE: 21 rows, 1 held message among them\n"
    assert err == ""
    async with engine.connect() as connection:
        left = await connection.run_sync(snapshot)
    assert [row["external_id"] for row in left["workspaces"]] == [KEPT]

    for args in (["--workspace", GONE], ["--workspace", KEPT, "--platform", "teams"]):
        args = [*args, "--yes"]
        assert await asyncio.to_thread(erase, *args) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1
        assert err.startswith("quiet-hours: no workspace") and "nothing erased" in err
