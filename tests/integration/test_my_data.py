"""`/quiet me export` and `/quiet me erase` over real signed Slack requests, on SQLite and
PostgreSQL: a person sees everything stored about them (and nobody else's), and erasing leaves
no row of theirs in any table of the schema, while held messages of others still go out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.storage.crypto import Cipher
from bot.storage.models import Base, WorkspaceDefaultRow, WorkspaceRow
from bot.storage.outbox import HeldMessageRepository
from tests.integration import test_slack_commands as commands
from tests.support.slack_app import SlackHarness

harness = commands.harness  # the /quiet suite's workspace: Legal, Friday 17:30 in Oslo
texts = commands.texts
Sessions = commands.Sessions


def exported(answer: dict[str, Any]) -> dict[str, Any]:
    """The JSON in the private answer's code blocks."""
    assert answer["response_type"] == "ephemeral"
    shown = "\n".join(b["text"]["text"] for b in answer["blocks"] if "text" in b)
    chunks = [part for i, part in enumerate(shown.split("```")) if i % 2 == 1]
    return dict(json.loads("".join(chunks)))


async def rows_naming(sessions: Sessions, person: str) -> dict[str, int]:
    """Rows in every table of the schema with a column equal to ``person``."""
    found: dict[str, int] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                if person in row._mapping.values():
                    found[table.name] = found.get(table.name, 0) + 1
    return found


async def test_my_export_is_mine_alone_and_has_no_token(harness: SlackHarness) -> None:
    await harness.command("U_OLA", "hours mon-fri 09-17 tz Europe/Oslo")
    await harness.command("U_OLA", "later Contract review")
    await harness.command("U_KARI", "later Kari sin melding")
    data = exported(await harness.command("U_OLA", "me export"))
    assert data["person"]["hours_spec"] == "mon-fri 09:00-17:00 tz Europe/Oslo"
    assert [row["body"] for row in data["tables"]["held_messages"]] == ["Contract review"]
    shown = json.dumps(data)
    assert "Kari sin melding" not in shown and "token" not in shown


async def test_erase_asks_first_then_leaves_nothing_of_me(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_OLA", "hours mon-fri 09-17 tz Europe/Oslo")
    await harness.command("U_OLA", "later Contract review")
    await harness.command("U_OLA", "urgent Server down")
    await harness.command("U_KARI", "later Kari sin melding")
    await harness.engine.run_until_idle()
    ask = texts(await harness.command("U_OLA", "me erase"))
    assert "cannot be undone" in ask and "/quiet me erase confirm" in ask
    assert await rows_naming(sessions, "U_OLA")  # nothing erased yet
    done = await harness.command("U_OLA", "me erase confirm")
    assert done["response_type"] == "ephemeral"
    assert texts(done).startswith("Erased.") and "1 held message was cancelled" in texts(done)
    assert await rows_naming(sessions, "U_OLA") == {}
    assert await rows_naming(sessions, "U_KARI")  # others keep theirs
    harness.clock.set(commands.MONDAY_0800)
    await harness.engine.run_until_idle()
    bodies = [m.body for m in harness.slack.posted("C_TEAM") if m.body != "Server down"]
    assert "Contract review" not in bodies and "Kari sin melding" in bodies


async def test_erase_forgets_who_changed_the_workspace_default_and_keeps_the_default(
    harness: SlackHarness, sessions: Sessions
) -> None:
    changed = await harness.command("U_ADMIN", "workspace mode label")
    assert "Saved." in texts(changed)
    assert "workspace_defaults" in await rows_naming(sessions, "U_ADMIN")
    await harness.command("U_ADMIN", "me erase confirm")
    assert await rows_naming(sessions, "U_ADMIN") == {}
    async with sessions() as session:
        [default] = (await session.scalars(select(WorkspaceDefaultRow))).all()
    assert (default.mode, default.changed_by) == ("label", None)


async def test_erase_speaks_bokmal(harness: SlackHarness) -> None:
    ask = texts(await harness.command("U_KARI", "me erase"))
    assert "Det kan ikke angres" in ask
    done = texts(await harness.command("U_KARI", "me erase confirm"))
    assert done.startswith("Slettet.")


async def test_erase_takes_norwegian_words_and_refuses_words_after_the_confirmation(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_KARI", "hours man-fre 8-16")
    ask = texts(await harness.command("U_KARI", "meg slett"))
    assert "Det kan ikke angres" in ask
    assert "`/quiet meg slett bekreft`" in ask  # the words Kari used
    junk = texts(await harness.command("U_KARI", "me slett bekreft takk"))
    assert "Det kan ikke angres" in junk and not junk.startswith("Slettet.")
    assert await rows_naming(sessions, "U_KARI")  # nothing erased yet
    done = texts(await harness.command("U_KARI", "me slett bekreft"))
    assert done.startswith("Slettet.")  # not the insight: erased
    assert await rows_naming(sessions, "U_KARI") == {}
    english = texts(await harness.command("U_OLA", "me erase confirm please"))
    assert "cannot be undone" in english and "Erased" not in english


async def test_an_export_too_big_for_a_reply_says_whom_to_ask(
    harness: SlackHarness, sessions: Sessions, cipher: Cipher
) -> None:
    await harness.command("U_OLA", "help")
    async with sessions() as session, session.begin():
        workspace = await session.scalar(select(WorkspaceRow.id))
        assert workspace is not None
        for number in range(40):  # 40 held messages of 1,000 characters: never cut, refused
            await HeldMessageRepository(session, cipher).add(
                workspace_id=workspace,
                conversation_id="C_TEAM",
                author_id="U_OLA",
                body=f"{number} " + "x" * 1000,
                deliver_at=commands.MONDAY_0800,
                now=commands.FRIDAY_1730,
            )
    answer = await harness.command("U_OLA", "me export")
    assert answer["response_type"] == "ephemeral"
    assert "too much to show here" in texts(answer) and "quiet-hours export" in texts(answer)
    assert "xxxx" not in texts(answer)
