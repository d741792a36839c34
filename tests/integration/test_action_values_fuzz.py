"""Whatever a button's value says, its click is answered below 500, logs no ERROR, changes nothing.

Hypothesis writes the value of each action (the decision guard's *Confirm*/*Reopen*, a held
message's *Send now*/*Cancel*/*Edit*) into a signed ``block_actions`` payload from an installed
workspace, sent byte by byte to the real ``/slack/events`` (as ``test_inbound_fuzz`` does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.storage.models import DecisionGuardRow, HeldMessageRow
from tests.integration.test_inbound_fuzz import FUZZ, NOW, SECRET, Inbound
from tests.support.signing import slack_headers
from tests.support.slack import install_workspace

ACTIONS = ["guard.confirm", "guard.reopen", "held.send_now", "held.cancel", "held.edit"]


class Loud(logging.Handler):
    """Every ERROR (or traceback) logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbound]:
    served = Inbound(tmp_path_factory.mktemp("actions"))
    served.runner.run(
        install_workspace(served.sessions, served.cipher, token="xoxb-fuzz", now=NOW, team="T1")
    )
    try:
        yield served
    finally:
        served.close()


def _rows(inbound: Inbound) -> tuple[int, int]:
    async def count() -> tuple[int, int]:
        async with inbound.sessions() as session:
            held = await session.scalar(select(func.count()).select_from(HeldMessageRow))
            guards = await session.scalar(select(func.count()).select_from(DecisionGuardRow))
            return int(held or 0), int(guards or 0)

    return inbound.runner.run(count())


@FUZZ
@given(
    action=st.sampled_from(ACTIONS),
    value=st.one_of(
        st.text(max_size=200),
        st.integers().map(str),  # ids of every size, negative ones too
        st.from_regex(r"[0-9]{19,40}", fullmatch=True),  # past a 64-bit column
    ),
)
@example(action="guard.confirm", value="99999999999999999999999")
def test_any_button_value_is_answered_quietly(installed: Inbound, action: str, value: str) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "fuzz"},
        "user": {"id": "U_OLA", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "channel_id": "C_TEAM", "message_ts": "1.0"},
        "channel": {"id": "C_TEAM", "name": "team"},
        "actions": [
            {
                "type": "button",
                "action_id": action,
                "block_id": "b",
                "value": value,
                "action_ts": "1",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    sent = [
        (name.encode(), header.encode("utf-8"))
        for name, header in slack_headers(
            SECRET, body, content_type="application/x-www-form-urlencoded"
        ).items()
    ]
    before = _rows(installed)
    loud = Loud()
    logging.getLogger().addHandler(loud)
    try:
        status = installed.status(installed.slack, sent, body)
        installed.runner.run(_settle())
    finally:
        logging.getLogger().removeHandler(loud)
    assert status is not None and status < 500, (status, action, value)
    assert [r.getMessage() for r in loud.records] == [], (action, value)
    assert _rows(installed) == before


async def _settle() -> None:
    """Let the listener bolt runs after the acknowledgement finish."""
    import asyncio

    for _ in range(20):
        await asyncio.sleep(0.01)
