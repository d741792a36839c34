"""Slack emoji shortcodes never reach Teams: the catalogs write emoji as characters (Slack shows
them too), and the Teams adapter turns any shortcode it is handed into the emoji."""

from __future__ import annotations

import pytest

from adapters.teams import texts
from adapters.teams.cards import to_markdown
from adapters.teams.markup import SHORTCODE, emoji
from bot.i18n.catalogs import read_catalog


def _texts(locale: str) -> list[tuple[str, str]]:
    found = []
    for message in read_catalog(locale):
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [(key, text) for text in strings if text]
    return found


@pytest.mark.parametrize("locale", ["en", "nb"])
def test_no_catalog_entry_reaches_teams_with_a_slack_shortcode(locale: str) -> None:
    entries = _texts(locale)
    assert len(entries) > 300  # the whole catalog was read
    # any Teams module may call bot.i18n.translate directly: the catalogs themselves are clean
    offenders = [(key, text) for key, text in entries if SHORTCODE.search(text)]
    assert offenders == []


@pytest.mark.parametrize("locale", ["en-US", "nb-NO"])
def test_the_urgent_answer_in_teams_starts_with_the_emoji(locale: str) -> None:
    answer = texts.text("cmd.urgent.sent", locale)
    assert answer.startswith("\N{POLICE CARS REVOLVING LIGHT} ")
    assert texts.text("cmd.team.rule_warning", locale, problem="x") == "\N{WARNING SIGN}\ufe0f x"


def test_shortcodes_become_emoji_and_clock_times_stay() -> None:
    siren = "\N{POLICE CARS REVOLVING LIGHT}"
    assert emoji(":rotating_light: nede 08:00-16:00") == f"{siren} nede 08:00-16:00"
    assert emoji("a :warning: b") == "a \N{WARNING SIGN}\ufe0f b"
    assert emoji("ratio 1:2:3, :custom_team_emoji:") == "ratio 1:2:3, :custom_team_emoji:"
    # the command layer's replies (mrkdwn) become card markdown with the emoji too
    card = to_markdown(":warning: *Team* saved", {}, "en")
    assert card == "\N{WARNING SIGN}\ufe0f **Team** saved"
