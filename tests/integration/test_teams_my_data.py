"""`me export` and `me erase` in the bot's 1:1 chat in Teams, over real HTTP against the fake Bot
Connector: the export comes as a card to the person alone; erasing asks first, then leaves no
row of theirs."""

from __future__ import annotations

import json

from tests.integration import test_my_data as slack_side
from tests.integration import test_teams_commands as commands
from tests.support.teams import OLA
from tests.support.teams_app import TeamsHarness, card_text, mention, personal

teams = commands.teams  # the Teams suite's tenant: Plattform, Friday 17:30 in Oslo
Sessions = commands.Sessions


async def test_export_is_a_private_card_and_erase_asks_first(
    teams: TeamsHarness, sessions: Sessions
) -> None:
    await teams.ask(mention(teams.service_url, "later Kan vi ta dette mandag?", sender=OLA))
    card = await teams.ask(personal(teams.service_url, "me export", sender=OLA))
    shown = card_text(card)
    assert "Alt Quiet Hours lagrer om deg her" in shown  # Ola wrote first in bokmål
    assert "Kan vi ta dette mandag?" in shown and "token" not in shown
    start, end = shown.index("{"), shown.rindex("}") + 1
    assert json.loads(shown[start:end])["tables"]["held_messages"][0]["author_id"] == OLA["id"]
    ask = card_text(await teams.ask(personal(teams.service_url, "me erase", sender=OLA)))
    assert "Det kan ikke angres" in ask
    assert await slack_side.rows_naming(sessions, OLA["id"])
    await teams.ask(personal(teams.service_url, "me erase confirm", sender=OLA))
    assert await slack_side.rows_naming(sessions, OLA["id"]) == {}
