"""Bokmål says one thing one way: the label's term, Norwegian command words where a bokmål
reader is told what to type, and no English mode names in the forms."""

from __future__ import annotations

import re

from bot.i18n.catalogs import read_catalog


def _bokmal() -> dict[str, str]:
    texts: dict[str, str] = {}
    for message in read_catalog("nb"):
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if key:
            texts[key] = " ".join(str(text) for text in strings)
    return texts


def test_no_reply_expected_is_one_term_everywhere() -> None:
    said = {key: text for key, text in _bokmal().items() if "ingen svar" in text.lower()}
    assert len(said) >= 5  # the label, the simulator, the usage texts…
    odd = [key for key, text in said.items() if "ingen svar forventes" not in text.lower()]
    assert odd == []


def test_bokmal_readers_are_told_norwegian_command_words() -> None:
    english = re.compile(
        r"/quiet (?:help|hours|later|urgent|digest|me|workspace|off)\b"
        r"|`(?:/quiet )?(?:workspace \w+|mode (?:hold|label|off)"
        r"|team (?:hours|mode|digest|watch|leader|urgent|language|audience|guard|insight)\b)"
    )
    told = [key for key, text in _bokmal().items() if english.search(text)]
    assert told == []


def test_one_word_for_each_thing() -> None:
    texts = _bokmal()
    for odd in ("Regelsett", "policy", "Sammendrag", "utenom arbeidstid", "merket som haster"):
        assert [key for key, text in texts.items() if odd.lower() in text.lower()] == [], odd
    for mode in ("hold", "label", "off"):
        assert not texts[f"modal.workspace.mode.{mode}"].startswith(f"{mode}:")


def test_team_insight_speaks_of_the_teams_chart_and_hidden_figures_plainly() -> None:
    texts = _bokmal()
    assert texts["insight.chart.team_in_dm"].startswith("Teamets varmekart")
    assert "personer" not in texts["insight.suppressed_short"]  # "meldinger: skjult (<5)"
