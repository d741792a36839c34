"""Every `team` subcommand answers to its bokmål word, on Slack and on Teams, exactly as to the
English one (``bot.services.commands.team.TEAM_WORDS``; the help naming them is checked in
``tests/unit/test_bokmal_wording.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.i18n import translate
from bot.services.commands.team import TEAM_WORDS
from bot.storage.crypto import Cipher
from bot.storage.repositories import PersonRepository
from tests.integration import test_access_slack as access_slack
from tests.integration.test_access_slack import texts
from tests.integration.test_teams_commands import FRIDAY_1730, _team
from tests.support.slack_app import SlackHarness
from tests.support.teams import KARI, OLA, TEAM
from tests.support.teams_app import TeamsHarness, card_text, mention

harness = access_slack.harness  # workspace T1: team Legal in C_TEAM, led by U_LEAD
Sessions = async_sessionmaker[AsyncSession]
#: what each subcommand is given (harmless to run twice, in either order)
ARGS = {
    "show": "",
    "create": "Juridisk",  # C_TEAM has a team already: refused the same way
    "insight": "Nobody",
    "hours": "mon-fri 08-16",
    "mode": "hold",
    "digest": "auto",
    "watch": "<#C_NEW>",
    "unwatch": "<#C_NEW>",
    "leader": "add <@U_LEAD>",
    "urgent": "anyone",
    "audience": "team",
    "guard": "4h",
    "language": "en",
}
#: what puts a channel back as it was before the subcommand ran
UNDO = {"watch": "unwatch", "unwatch": "watch"}


async def _in_bokmal(sessions: Sessions, person: str) -> None:
    async with sessions() as session, session.begin():
        row = await PersonRepository(session).find(1, person)
        assert row is not None
        row.locale = "nb-NO"


async def test_each_bokmal_subcommand_does_what_the_english_one_does_on_slack(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_LEAD", "team")
    await _in_bokmal(sessions, "U_LEAD")
    usage = translate("cmd.team.usage", "nb")
    assert set(ARGS) == set(TEAM_WORDS)
    for sub, words in TEAM_WORDS.items():
        english = texts(await harness.command("U_LEAD", f"team {sub} {ARGS[sub]}"))
        assert usage not in english, sub
        for word in words:
            if sub in UNDO:  # watching twice says it already was: start from the same state
                await harness.command("U_LEAD", f"team {UNDO[sub]} {ARGS[sub]}")
            said = texts(await harness.command("U_LEAD", f"team {word} {ARGS[sub]}"))
            assert said == english, (sub, word)


async def test_team_stopp_stops_watching_a_channel_on_slack(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_LEAD", "team")
    await _in_bokmal(sessions, "U_LEAD")
    watched = texts(await harness.command("U_LEAD", "team overvåk <#C_NEW>"))
    assert "<#C_NEW> overvåkes nå av teamet Legal" in watched
    stopped = texts(await harness.command("U_LEAD", "team stopp <#C_NEW>"))
    assert "<#C_NEW> overvåkes ikke lenger av teamet Legal" in stopped


@pytest.fixture
async def teams(
    engine: AsyncEngine, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[TeamsHarness]:
    await _team(sessions)
    harness = TeamsHarness(engine=engine, sessions=sessions, cipher=cipher, now=FRIDAY_1730)
    harness.connector.members[TEAM] = [{**KARI, "userRole": "owner"}, {**OLA, "userRole": "user"}]
    async with harness.running():
        yield harness


async def test_team_stopp_stops_watching_the_channel_on_teams(teams: TeamsHarness) -> None:
    """Kari owns the Teams team, so she may change its policy, in bokmål."""
    stopped = card_text(await teams.ask(mention(teams.service_url, "team stopp")))
    assert "overvåkes ikke lenger av teamet Plattform" in stopped
    watched = card_text(await teams.ask(mention(teams.service_url, "team overvåk")))
    assert "overvåkes nå av teamet Plattform" in watched
    again = card_text(await teams.ask(mention(teams.service_url, "team overvåk")))
    assert "var allerede overvåket av teamet Plattform" in again
