"""A command typed in a Teams channel has run even when its private answer cannot reach the
person's 1:1 chat: the channel is told what happened (a held message IS held), never what
it says, and is told to ask again only when nothing was done.

Field report: ``@Quiet Hours later …`` was held, but the channel read "…write to me in a 1:1
chat and ask again there", and asking again held the message twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translate
from tests.integration import test_teams_commands as commands
from tests.integration.test_access_slack import held_rows
from tests.support.teams import CHANNEL, OLA
from tests.support.teams_app import TeamsHarness, mention, personal_chat

teams = commands.teams  # Friday 17:30 in Oslo; the channel's team works mon-fri 08:00-16:00
Sessions = async_sessionmaker[AsyncSession]


async def _in_channel(teams: TeamsHarness, text: str, locale: str = "en-GB") -> dict[str, Any]:
    """``text`` typed in the channel by Ola, whose 1:1 chat refuses the bot (403): what the
    channel is answered (nothing reaches the 1:1 chat)."""
    before = len(teams.connector.posted())
    status, _ = await teams.send(mention(teams.service_url, text, sender=OLA, locale=locale))
    assert status == 202
    [public] = teams.connector.posted()[before:]
    assert public.conversation.startswith(CHANNEL)
    return public.body


async def test_a_held_message_is_said_to_be_held_when_the_1_1_answer_fails(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    teams.connector.outsider.add(personal_chat(OLA))
    said = await _in_channel(teams, "later Kontrakten er klar, se på den mandag")
    [row] = await held_rows(sessions)
    assert row.state == "held"
    text = str(said["text"])
    assert "is held" in text and "Do not send it again" in text and "status" in text
    assert "ask again" not in text
    assert "Kontrakten" not in text  # the private content stays out of the channel
    bokmal = await _in_channel(teams, "later Nok en", locale="nb-NO")
    assert "holdes tilbake" in str(bokmal["text"]) and "Nok en" not in str(bokmal["text"])


async def test_only_a_refusal_asks_again_and_other_answers_say_done(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    teams.connector.outsider.add(personal_chat(OLA))
    refused = await _in_channel(teams, "hours whenever")
    assert str(refused["text"]) == translate("teams.answer_in_personal_chat", "en")
    done = await _in_channel(teams, "hours mon-fri 09-17")
    assert str(done["text"]).startswith("Done.") and "no need to ask again" in str(done["text"])
    assert await held_rows(sessions) == []
