"""Presets' hard rules: which rules refuse team hours, the law each cites, and the file checks."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.domain.hours_syntax import parse_hours
from bot.domain.rest_rules import RestRules, check
from bot.presets import PresetError, list_presets, load_preset, load_preset_file
from bot.services.team_rules import vet_team_hours

SAMPLE = """\
name: sample
title: {en: Sample}
encodes: A sample preset.
sources:
  - {cite: "Some Act s 1", url: "https://example.org/act", rules: [quiet_night]}
timezone: Europe/Oslo
hours: "mon-fri 08:00-16:00"
mode: hold
rules: {quiet_night: "21:00-06:00", hard: [quiet_night]}
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    return load_preset_file(path)


def test_each_shipped_hard_rule_is_grounded_by_a_cited_source() -> None:
    hard = {name: load_preset(name).hard_rules for name in list_presets()}
    assert hard == {
        "australia-s333m": frozenset(),
        "france-charter": frozenset(),
        "ireland-code": frozenset(),
        "norway-aml": {"quiet_night", "sunday_rest", "public_holidays"},
        "office-standard": frozenset(),
        "portugal-199a": {"daily_rest", "weekly_rest"},
    }
    for name in list_presets():
        preset = load_preset(name)
        for code in preset.hard_rules:
            assert preset.sources_for(code), (name, code)
            assert all(s.url.startswith("https://") for s in preset.sources_for(code))


@pytest.mark.parametrize(
    ("spec", "hard", "soft"),
    [
        ("mon-fri 08:00-16:00", set(), set()),
        ("mon-fri 07:00-17:00", set(), {"max_daily_hours", "max_weekly_hours"}),
        (
            "mon-fri 08:00-16:00; wed 20:00-22:00",
            {"quiet_night"},
            {"daily_rest", "max_daily_hours", "max_weekly_hours"},
        ),
        ("mon-fri 08:00-16:00; sun 10:00-12:00", {"sunday_rest"}, {"max_weekly_hours"}),
        ("mon-fri 08:00-16:00; sat 10:00-18:30", {"sunday_rest"}, {"max_weekly_hours"}),
        ("mon-fri 08:00-16:00; sat 10:00-18:00", set(), {"max_weekly_hours"}),
        ("mon-fri 08:00-16:00 holidays SE", {"public_holidays"}, set()),
        ("mon-fri 08:00-16:00 holidays NO-03", set(), set()),
    ],
)
def test_norway_refuses_the_night_sundays_and_other_holidays_and_warns_of_the_rest(
    spec: str, hard: set[str], soft: set[str]
) -> None:
    verdict = vet_team_hours("norway-aml", parse_hours(spec))
    assert {v.code for v in verdict.refused} == hard
    assert {v.code for v in verdict.warnings} == soft


def test_portugal_refuses_hours_inside_a_rest_period() -> None:
    verdict = vet_team_hours("portugal-199a", parse_hours("mon-fri 07:00-22:00"))
    assert {v.code for v in verdict.refused} == {"daily_rest"}
    lines = verdict.refusal_lines("en")
    assert lines[0].startswith("Not saved: In the 24 hours from Monday 07:00")
    assert any("art. 199.º-A" in line for line in lines)
    assert any("art. 214.º n.º 1" in line for line in lines)
    cited = [line for line in lines if line.startswith("• ")]
    assert len(cited) == len(set(cited)) == 2  # art. 199.º-A and art. 214.º/232.º, once each


def test_presets_without_hard_rules_and_unknown_presets_only_warn() -> None:
    night = parse_hours("mon-fri 08:00-16:00; wed 20:00-23:00")
    assert vet_team_hours("office-standard", night).refused == ()
    assert vet_team_hours(None, night).refused == ()
    assert vet_team_hours("no-such-preset", night).refused == ()


def test_sunday_rest_starts_at_the_eve_and_ends_at_monday_midnight() -> None:
    rules = RestRules(sunday_rest_from=(5, time(18)))
    found = check(parse_hours("sat 17-19; sun 23:00-01:00; mon 00:00-02:00"), rules)
    assert [(v.weekday, v.actual) for v in found] == [(5, 1.0), (6, 1.0)]
    assert "from Saturday 18:00 until Monday" in found[0].message("en")
    assert "fra lørdag 18:00 til mandag" in found[0].message("nb")
    whole_sunday = RestRules(sunday_rest_from=(6, time(0)))
    assert [v.actual for v in check(parse_hours("sat 22-02"), whole_sunday)] == [2.0]
    with pytest.raises(ValueError, match="Saturday or Sunday"):
        RestRules(sunday_rest_from=(3, time(0)))


def test_the_sample_with_a_hard_rule_is_valid(tmp_path: Path) -> None:
    assert load(tmp_path, SAMPLE) is not None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (SAMPLE.replace(", rules: [quiet_night]", ""), "needs a source that lists it"),
        (SAMPLE.replace("hard: [quiet_night]", "hard: [daily_rest]"), "needs rules.min_daily"),
        (SAMPLE.replace("hard: [quiet_night]", "hard: [sunday_rest]"), "sunday_is_rest_day"),
        (SAMPLE.replace("hard: [quiet_night]", "hard: [public_holidays]"), "holidays.country"),
        (SAMPLE.replace("hard: [quiet_night]", "hard: [naps]"), "rules.hard must be one of"),
        (SAMPLE.replace("rules: [quiet_night]", "rules: [naps]"), "rules must be one of"),
    ],
)
def test_hard_rules_must_be_checked_and_cited(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(PresetError) as caught:
        load(tmp_path, text)
    assert fragment in str(caught.value)
