"""Whatever anyone types after /quiet, the answer is a private, readable reply — never an error.

Hypothesis writes the text; the real command layer runs it against a real SQLite database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FixedClock
from bot.services.commands import CommandService, Invocation
from bot.services.compose import ComposeService
from bot.services.digest import DigestService
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)

NOW = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
WORDS = [
    "help",
    "hours",
    "status",
    "later",
    "urgent",
    "digest",
    "me",
    "team",
    "create",
    "watch",
    "unwatch",
    "leader",
    "add",
    "remove",
    "mode",
    "hold",
    "label",
    "off",
    "language",
    "nb",
    "mon-fri",
    "man-fre",
    "8-16",
    "25:00",
    "tz",
    "Europe/Oslo",
    "holidays",
    "NO",
    "<@U_OLA>",
    "<@U_KARI|kari>",
    "<#C_TEAM>",
    "<#C_X|x>",
    "clear",
    "auto",
    "dm",
    "channel",
    "ø",
    "\\u0000",
]


class Commands:
    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        self.engine = create_engine(f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}")
        sessions = session_factory(self.engine)
        cipher = Cipher.from_secret(Cipher.generate_key())
        clock = FixedClock(NOW)
        compose = ComposeService(sessions=sessions, cipher=cipher, clock=clock)
        self.service = CommandService(
            sessions=sessions,
            cipher=cipher,
            clock=clock,
            compose=compose,
            digests=DigestService(sessions=sessions, platforms={}, clock=clock, owner="fuzz"),
        )

        async def setup() -> None:
            await upgrade(self.engine)
            async with sessions() as session, session.begin():
                ws = await WorkspaceRepository(session).get_or_create("slack", "T1", now=NOW)
                await InstallationRepository(session, cipher).save(ws.id, bot_token="x", now=NOW)
                lead = await PersonRepository(session).get_or_create(ws.id, "U_OLA", now=NOW)
                teams = TeamRepository(session)
                team = await teams.create(ws.id, "T", now=NOW, hours_spec="mon-fri 08:00-16:00")
                await teams.watch(team, "C_TEAM")
                await teams.add_leader(team.id, lead.id)

        self.runner.run(setup())

    def close(self) -> None:
        self.runner.run(self.engine.dispose())
        self.runner.close()


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Commands]:
    found = Commands(tmp_path_factory.mktemp("fuzz"))
    try:
        yield found
    finally:
        found.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    ),
    person=st.sampled_from(["U_OLA", "U_KARI"]),
)
def test_any_text_gets_a_private_readable_reply(commands: Commands, text: str, person: str) -> None:
    call = Invocation("slack", "T1", person, "C_TEAM", text)
    reply = commands.runner.run(commands.service.run(call))
    assert reply.sections and reply.text.strip()
    assert "Traceback" not in reply.text
    # every placeholder was filled (what the person typed may itself contain braces)
    assert not re.search(r"\{[a-z_]+\}", reply.text.replace(text, ""))
