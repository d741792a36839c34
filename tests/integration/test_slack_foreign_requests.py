"""Requests Slack signs but we have nothing to do with are answered quietly, never as errors.

A workspace without Quiet Hours (``T_OTHER``): its event, click or command is acknowledged
with 200 (Slack retries anything else, and bolt's own authorization answers so too), logged
once at WARNING without a traceback, and nothing is stored. A slash command without
``user_id``/``team_id``/``channel_id`` is refused with 400 and touches nothing. Starting the
app with ``SLACK_BOT_TOKEN`` in the environment makes bolt warn of nothing.
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.events import SlackEvents
from adapters.slack.tokens import StoredTokens
from bot.storage.crypto import Cipher
from bot.storage.models import PersonRow, SeenEventRow
from tests.integration import test_access_slack as access_slack
from tests.support.slack_app import SlackHarness

harness = access_slack.harness  # workspace T1 on the fake Slack
Sessions = async_sessionmaker[AsyncSession]


def loud(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR or r.exc_info]


async def count(sessions: Sessions, table: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_workspace_without_quiet_hours_is_acknowledged_quietly(
    harness: SlackHarness, sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    people, seen = await count(sessions, PersonRow), await count(sessions, SeenEventRow)
    harness.team = "T_OTHER"
    with caplog.at_level(logging.INFO):
        status, _ = await harness.event(
            {"type": "app_home_opened", "user": "U_OLA", "tab": "home"}, "EvForeign1"
        )
        assert status == 200
        status, _ = await harness.click("U_OLA", "guard.confirm", "1")
        assert status == 200
        answer = await harness.command("U_OLA", "status")
    assert "not installed" in answer["text"]
    assert loud(caplog.records) == []
    warned = [r for r in caplog.records if "without Quiet Hours" in r.getMessage()]
    assert len(warned) == 3 and all(r.levelno == logging.WARNING for r in warned)
    assert await count(sessions, PersonRow) == people
    assert await count(sessions, SeenEventRow) == seen


@pytest.mark.parametrize("missing", ["user_id", "team_id", "channel_id"])
async def test_a_command_without_who_or_where_is_refused_and_touches_nothing(
    harness: SlackHarness, sessions: Sessions, caplog: pytest.LogCaptureFixture, missing: str
) -> None:
    people = await count(sessions, PersonRow)
    fields = {
        "team_id": "T1",
        "user_id": "U_OLA",
        "channel_id": "C_TEAM",
        "command": "/quiet",
        "text": "status",
        "response_url": harness.slack.response_url("malformed"),
    }
    fields.pop(missing)
    with caplog.at_level(logging.INFO):
        status, text = await harness._post(
            urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )
    assert status == 400 and json.loads(text) == {"error": "not a Slack request body"}
    assert loud(caplog.records) == []
    assert await count(sessions, PersonRow) == people
    assert harness.slack.responses == []


async def test_bolt_does_not_warn_of_an_unused_token_at_start(
    harness: SlackHarness,
    sessions: Sessions,
    cipher: Cipher,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")  # as serve runs
    with caplog.at_level(logging.INFO, logger="slack_bolt"):
        events = SlackEvents(
            signing_secret="s",
            sessions=sessions,
            cipher=cipher,
            tokens=StoredTokens(sessions, cipher),
            watcher=harness.watcher,
            clock=harness.clock,
            api_url=harness.slack.url,
        )
    said = [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")]
    assert not [line for line in said if "will be unused" in line], said
    assert events.bolt.client.token is None  # tokens come from our authorize, per workspace
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-from-the-environment"  # left as it was
