"""Bokmål says one thing one way: the label's term, Norwegian command words where a bokmål
reader is told what to type, and no English mode names in the forms."""

from __future__ import annotations

import re

from bot.i18n.catalogs import read_catalog
from bot.services.commands.replies import ALIASES, VERBS, split_command
from bot.services.commands.team import TEAM_WORDS


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


#: Words that are the same in both languages (a bokmål reader types them as they are).
SHARED = frozenset({"status", "team"})


def _english() -> dict[str, str]:
    texts: dict[str, str] = {}
    for message in read_catalog("en"):
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if key:
            texts[key] = " ".join(str(text) for text in strings)
    return texts


def test_bokmal_readers_are_told_norwegian_command_words() -> None:
    """Every verb and every `team` subcommand, from the tables the commands run on: where a
    bokmål reader is told what to type (``/quiet …``, `` `team …` ``, Teams' **bold** words),
    it is a Norwegian word; the English one may follow in brackets."""
    verbs = "|".join(sorted(set(VERBS) - SHARED))
    subs = "|".join(sorted(TEAM_WORDS))
    english = re.compile(
        rf"/quiet (?:{verbs})\b|\*\*(?:{verbs}|settings)\*\*"
        rf"|(?:`|/quiet |\*\*)team (?:{subs})\b"
        r"|`(?:/quiet )?(?:workspace \w+|mode (?:hold|label|off))"
    )
    told = {key: english.findall(text) for key, text in _bokmal().items() if english.search(text)}
    assert told == {}


def test_every_command_word_has_a_bokmal_word_that_the_help_names() -> None:
    """Each verb and each `team` subcommand the English help names has a bokmål word that
    reaches the same command, and the bokmål texts name it where the English ones do."""
    english, bokmal = " ".join(_english().values()), " ".join(_bokmal().values())
    for verb in set(VERBS) - SHARED:
        words = [alias for alias, target in ALIASES.items() if target == verb]
        assert words, verb
        assert [split_command(word)[0] for word in words] == [verb] * len(words)
        if f"/quiet {verb}" in english:
            assert any(f"/quiet {word}" in bokmal for word in words), verb
    for sub, others in TEAM_WORDS.items():
        assert others, sub
        if re.search(rf"team {sub}\b", english):
            assert any(re.search(rf"team {word}\b", bokmal) for word in others), sub


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
