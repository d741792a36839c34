"""A bokmål reader is shown hours in bokmål, in the words the hours syntax reads back
(``man-fre 08:00-16:00 tz Europe/Oslo helligdager NO``), wherever the bot echoes them:
the saved answer, ``hours``, ``status``, ``team show``, App Home and the Teams settings card.

Field report: these answers echoed ``mon-fri 08:00-16:00 … holidays NO`` to bokmål readers.
"""

from __future__ import annotations

import json
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.hours_syntax import parse_hours
from tests.integration import test_access_slack as access_slack
from tests.integration import test_teams_settings as teams_settings
from tests.integration.test_access_slack import texts
from tests.integration.test_bokmal_commands import _in_bokmal
from tests.support.slack_app import SlackHarness
from tests.support.teams import KARI
from tests.support.teams_app import TeamsHarness, card_text, mention, personal
from tests.support.waiting import until

harness = access_slack.harness  # workspace T1: team Legal in C_TEAM, led by U_LEAD
teams = teams_settings.teams  # Kari (nb-NO) leads Plattform
Sessions = async_sessionmaker[AsyncSession]
ENGLISH = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)-|\bholidays\b")
BOKMAL_TEAM = "man-fre 08:00-16:00 tz Europe/Oslo helligdager NO"


def _english_spec(text: str) -> list[str]:
    return ENGLISH.findall(text)


async def test_slack_answers_show_hours_in_bokmal_that_read_back(
    harness: SlackHarness, sessions: Sessions
) -> None:
    await harness.command("U_LEAD", "team")
    await _in_bokmal(sessions, "U_LEAD")
    said = texts(await harness.command("U_LEAD", "team timer man-fre 8-16 helligdager NO"))
    assert BOKMAL_TEAM in said and not _english_spec(said), said
    shown = texts(await harness.command("U_LEAD", "team vis"))
    assert BOKMAL_TEAM in shown and not _english_spec(shown), shown
    saved = texts(await harness.command("U_LEAD", "timer lør,søn 10-12"))
    assert "lør,søn 10:00-12:00" in saved and not _english_spec(saved), saved
    mine = texts(await harness.command("U_LEAD", "timer"))
    echo = re.findall(r"`([^`]*lør[^`]*)`", mine)[0]
    assert not _english_spec(mine), mine
    assert {(w.weekday, w.start.hour) for w in parse_hours(echo).windows} == {(5, 10), (6, 10)}
    status = texts(await harness.command("U_LEAD", "status"))
    assert not _english_spec(status), status
    await harness.event({"type": "app_home_opened", "user": "U_LEAD", "tab": "home"}, "EvNbHome")
    await until(lambda: "U_LEAD" in harness.slack.views)
    home = json.dumps(harness.slack.views["U_LEAD"]["view"], ensure_ascii=False)
    assert "lør,søn 10:00-12:00" in home and not _english_spec(home), home


async def test_the_teams_settings_card_shows_hours_in_bokmal(teams: TeamsHarness) -> None:
    said = card_text(await teams.ask(mention(teams.service_url, "team timer man-fre 8-16")))
    assert "man-fre 08:00-16:00 tz Europe/Oslo" in said and not _english_spec(said), said
    await teams.ask(personal(teams.service_url, "timer man-fre 9-15", sender=KARI))
    card = card_text(await teams.ask(personal(teams.service_url, "innstillinger", sender=KARI)))
    assert "man-fre 09:00-15:00" in card, card
    assert "man-fre 08:00-16:00 tz Europe/Oslo" in card  # the team's field, to edit
    assert not _english_spec(card), card
