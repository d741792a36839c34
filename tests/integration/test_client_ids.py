"""Ids a client sends back (button values, card data) are checked before any query.

A decision-guard button whose value is 99999999999999999999999 made SQLite raise
``OverflowError`` (an ERROR with a traceback); a held-message button with any string reached
the database. Now each is answered kindly, logged at most as INFO/WARNING, and changes nothing.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.ids import MAX_ROW_ID, held_id, row_id
from tests.integration import test_access_slack as access_slack
from tests.integration.test_access_slack import held_rows
from tests.integration.test_access_teams import held_rows as teams_held_rows
from tests.integration.test_access_teams import teams as teams_fixture
from tests.support.slack_app import SlackHarness
from tests.support.teams import OLA
from tests.support.teams_app import TeamsHarness, card_action, card_text
from tests.support.waiting import until

harness = access_slack.harness  # workspace T1 on the fake Slack, Friday 17:30 in Oslo
teams = teams_fixture
Sessions = async_sessionmaker[AsyncSession]

NASTY = [
    "99999999999999999999999",
    str(MAX_ROW_ID + 1),
    "-1",
    "0",
    "1e9",
    " 7",
    "٣",  # an Arabic-Indic digit: int() takes it, we do not
    "",
    "x" * 5000,
    "'; DROP TABLE held_messages; --",
    "00000000-0000-0000-0000-00000000000G",
    "\x00",
]
ACTIONS = ["guard.confirm", "guard.reopen", "held.send_now", "held.cancel", "held.edit"]


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_slack_button_with_a_value_we_never_wrote_is_answered_and_changes_nothing(
    harness: SlackHarness, sessions: Sessions, caplog: pytest.LogCaptureFixture, action: str
) -> None:
    kept = await harness.command("U_OLA", "later Budsjett?")
    assert "Held" in access_slack.texts(kept)
    before = [(row.id, row.state, row.deliver_at) for row in await held_rows(sessions)]
    with caplog.at_level(logging.INFO):
        for value in NASTY:
            status, _ = await harness.click("U_OLA", action, value)
            assert status == 200, value
        await until(lambda: len(harness.slack.responses) + len(harness.slack.ephemeral) > 0)
    assert [(r.id, r.state, r.deliver_at) for r in await held_rows(sessions)] == before
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


@pytest.mark.parametrize("verb", ["guard.confirm", "guard.reopen"])
async def test_a_teams_guard_card_with_an_id_we_never_wrote_is_answered(
    teams: TeamsHarness, sessions: Sessions, caplog: pytest.LogCaptureFixture, verb: str
) -> None:
    with caplog.at_level(logging.INFO):
        for value in [*NASTY, 10**40, -5, 1.5, None, True, ["1"]]:
            card = await teams.click(
                card_action(teams.service_url, verb, {"guardId": value}, sender=OLA)
            )
            assert card_text(card), value  # a card that says so
    assert await teams_held_rows(sessions) == []
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


@given(st.one_of(st.text(), st.integers(), st.none(), st.floats(), st.booleans()))
def test_row_id_is_a_positive_64_bit_integer_or_nothing(value: object) -> None:
    found = row_id(value)
    assert found is None or (1 <= found <= MAX_ROW_ID and found == int(str(value)))


@given(st.text(max_size=60))
def test_held_id_is_a_uuid_or_nothing(value: str) -> None:
    found = held_id(value)
    assert found is None or (len(found) == 36 and found == value and found.count("-") == 4)
