"""Policy presets: the shipped files, their policies and holidays, and line-numbered errors."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import Mode, ModeNotAllowedError, TeamPolicy
from bot.presets import (
    Preset,
    PresetError,
    list_presets,
    load_preset,
    load_preset_file,
    preset_text,
)

OSLO = ZoneInfo("Europe/Oslo")
SHIPPED = [
    "australia-s333m",
    "france-charter",
    "ireland-code",
    "norway-aml",
    "office-standard",
    "portugal-199a",
]

SAMPLE = """\
name: sample
title: {en: Sample}
encodes: A sample preset.
sources:
  - {cite: "Some Act s 1", url: "https://example.org/act"}
timezone: Europe/Oslo
hours: "mon-fri 08:00-16:00"
mode: hold
rules: {max_daily_hours: 9}
"""


def oslo(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def write(directory: Path, text: str | bytes, name: str = "sample") -> Path:
    path = directory / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def replace_line(number: int, new: str, text: str = SAMPLE) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


# -- the shipped presets ---------------------------------------------------------------------


def test_the_shipped_presets_are_listed() -> None:
    assert set(SHIPPED) <= set(list_presets())
    assert list_presets() == sorted(list_presets())


@pytest.mark.parametrize("name", list_presets())
def test_every_shipped_preset_loads_and_says_what_it_encodes(name: str) -> None:
    preset = load_preset(name)
    assert preset.name == name
    assert preset.title_in("en")
    assert preset.title_in("nb") != preset.title_in("en")
    assert len(preset.encodes.splitlines()) >= 3
    assert preset.sources
    assert all(source.cite and source.url.startswith("https://") for source in preset.sources)
    assert preset.mode in preset.allowed_modes
    assert preset.check_hours(preset.hours) == []


@pytest.mark.parametrize("name", list_presets())
def test_every_shipped_file_has_encodes_and_sources(name: str, tmp_path: Path) -> None:
    text = preset_text(name)
    document = yaml.safe_load(text)
    assert document["name"] == name
    assert document["encodes"].strip()
    assert len(document["sources"]) >= 1
    assert load_preset_file(write(tmp_path, text, name)) == load_preset(name)


@pytest.mark.parametrize("name", list_presets())
def test_to_policy_carries_the_presets_mode_and_hours(name: str) -> None:
    preset = load_preset(name)
    policy = preset.to_policy("Team", leaders=frozenset({"U1"}), watched_channels=frozenset({"C1"}))
    assert isinstance(policy, TeamPolicy)
    assert (policy.mode, policy.hours, policy.preset) == (preset.mode, preset.hours, name)
    assert (policy.urgent, policy.digest) == (preset.urgent, preset.digest)
    assert policy.allowed_modes == preset.allowed_modes
    assert (policy.leaders, policy.watched_channels) == (frozenset({"U1"}), frozenset({"C1"}))


@pytest.mark.parametrize("mode", [Mode.LABEL, Mode.OFF])
def test_portugal_refuses_label_only_and_off(mode: Mode) -> None:
    preset = load_preset("portugal-199a")
    assert preset.allowed_modes == frozenset({Mode.HOLD})
    with pytest.raises(ModeNotAllowedError) as caught:
        preset.to_policy("Lisboa", mode=mode)
    assert "199.º-A" in caught.value.why
    assert caught.value.preset == "portugal-199a"
    with pytest.raises(ModeNotAllowedError):
        preset.to_policy("Lisboa").with_changes(mode=mode)


def test_other_presets_allow_every_mode() -> None:
    policy = load_preset("norway-aml").to_policy("Oslo", mode=Mode.LABEL)
    assert policy.mode is Mode.LABEL
    assert load_preset("australia-s333m").mode is Mode.LABEL


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (oslo(2026, 12, 24, 14, 59), True),
        (oslo(2026, 12, 24, 15, 0), False),  # Christmas Eve from 15:00
        (oslo(2026, 5, 16, 17, 59), True),
        (oslo(2026, 5, 16, 18, 0), False),  # the eve of 17 May (and of a Sunday) from 18:00
        (oslo(2026, 5, 13, 18, 0), False),  # the eve of Ascension Day
        (oslo(2026, 5, 12, 19, 0), True),  # an ordinary Tuesday evening
        (oslo(2026, 5, 17, 12, 0), False),  # Constitution Day
    ],
)
def test_norway_closes_sundays_holidays_and_their_eves(instant: datetime, is_open: bool) -> None:
    preset = load_preset("norway-aml")
    hours = preset.parse_hours("mon-sun 08:00-20:00")
    assert hours.is_open(instant) is is_open
    via_policy = preset.to_policy("Oslo", hours=parse_hours("mon-sun 08:00-20:00", default_tz=OSLO))
    assert via_policy.hours.is_open(instant) is is_open


@pytest.mark.parametrize(
    ("instant", "opens"),
    [
        (oslo(2026, 12, 24, 15, 0), oslo(2026, 12, 28, 8, 0)),  # 25, 26 Dec and Sunday 27 off
        (oslo(2026, 5, 16, 18, 0), oslo(2026, 5, 18, 8, 0)),
    ],
)
def test_norway_next_opening_after_an_eve(instant: datetime, opens: datetime) -> None:
    hours = load_preset("norway-aml").parse_hours("mon-sun 08:00-20:00")
    assert hours.next_open(instant) == opens


def test_custom_hours_keep_their_own_zone_place_and_days_off() -> None:
    perth = ZoneInfo("Australia/Perth")
    own = parse_hours("mon-fri 09:00-17:00 holidays AU-WA", default_tz=perth)
    own = own.with_days_off(own.days_off.with_days_off(frozenset({date(2026, 3, 3)})))
    policy = load_preset("australia-s333m").to_policy("Perth", hours=own)
    assert policy.hours.tz == perth
    assert (policy.hours.days_off.country, policy.hours.days_off.subdivision) == ("AU", "WA")
    assert policy.hours.days_off.personal_days_off == frozenset({date(2026, 3, 3)})
    plain = parse_hours("mon-fri 09:00-17:00", default_tz=OSLO)
    norway = load_preset("norway-aml").to_policy("Oslo", hours=plain).hours.days_off
    assert norway == load_preset("norway-aml").holidays


def test_check_hours_applies_the_presets_rules() -> None:
    norway = load_preset("norway-aml")
    found = norway.check_hours(norway.parse_hours("mon-fri 07:00-17:00"))
    assert {v.code for v in found} == {"max_daily_hours", "max_weekly_hours"}
    assert load_preset("australia-s333m").check_hours(parse_hours("daily 00:00-24:00")) != []


def test_unknown_preset_names_list_the_available_ones() -> None:
    with pytest.raises(PresetError) as caught:
        load_preset("atlantis")
    assert "norway-aml" in str(caught.value)
    with pytest.raises(PresetError):
        preset_text("../pyproject")


def test_preset_text_is_the_file_itself() -> None:
    text = preset_text("norway-aml")
    assert "name: norway-aml" in text
    assert text.startswith("#")


# -- line-numbered errors --------------------------------------------------------------------


def test_the_sample_is_valid(tmp_path: Path) -> None:
    assert load_preset_file(write(tmp_path, SAMPLE)).name == "sample"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (SAMPLE + "colour: blue\n", 10, "unknown key 'colour'"),
        (replace_line(8, "mode: loud"), 8, "mode must be one of hold, label, off"),
        (replace_line(7, 'hours: "mon-fri 08:00-16:61"'), 7, "is not a time range"),
        (replace_line(7, 'hours: "mon-fri 8-16 tz Europe/Paris"'), 7, "use timezone"),
        (replace_line(6, "timezone: Europe/Atlantis"), 6, "not an IANA time zone"),
        (replace_line(1, "name: other"), 1, "must equal the file name 'sample'"),
        (replace_line(9, "allowed_modes: [hold]"), 9, "say why in mode_restriction"),
        (replace_line(9, "allowed_modes: [label]\nmode_restriction: x"), 9, "own mode 'hold'"),
        (replace_line(9, "mode_restriction: because"), 9, "only for presets that restrict"),
        (replace_line(7, 'hours: "mon 07:00-17:00"'), 7, "own rules: Working hours on Monday"),
        (replace_line(4, "sources: - {cite: a}"), 4, "not valid YAML"),
        ("# a list\n- name: sample\n", 2, "must be a mapping"),
        ("", 1, "the file is empty"),
        ("# nothing here\n", 1, "the file is empty"),
        (replace_line(3, "encodes:"), 3, "'encodes' in the preset needs a value"),
        (SAMPLE + "name: sample\n", 10, "given twice"),
        (SAMPLE.replace("https://example.org/act", "example.org"), 5, "web address"),
        (replace_line(5, "  - {cite: x}"), 5, "missing the required key 'url'"),
        (replace_line(9, "holidays: {country: XX}"), 9, "no holiday calendar for 'XX'"),
        (replace_line(9, "holidays: {country: NO, subdivision: ZZ}"), 9, "not a region of NO"),
        (replace_line(9, "holidays: {country: NO, eve_from: 25:00}"), 9, "a time like 18:00"),
        (replace_line(9, "holidays: {sunday_is_rest_day: maybe}"), 9, "true, false"),
        (replace_line(9, "rules: {max_daily_hours: 30}"), 9, "at most 24"),
        (replace_line(9, "rules: {quiet_night: 21-06}"), 9, "span like 21:00-06:00"),
        (replace_line(9, "urgent: {who: boss}"), 9, "urgent.who must be one of"),
        (replace_line(9, "digest: {weekday: friday}"), 9, "digest.weekday must be one of"),
        (replace_line(2, "title: {nb: Eksempel}"), 2, "missing the required key 'en'"),
    ],
)
def test_errors_point_at_the_offending_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PresetError) as caught:
        load_preset_file(path)
    error = caught.value
    assert {problem.line for problem in error.problems} == {line}, str(error)
    assert any(fragment in problem.message for problem in error.problems), str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_a_missing_key_is_reported_at_the_mapping(tmp_path: Path) -> None:
    text = "# header\n" + SAMPLE.replace("encodes: A sample preset.\n", "")
    with pytest.raises(PresetError) as caught:
        load_preset_file(write(tmp_path, text))
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (2, "the preset is missing the required key 'encodes'")
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = replace_line(8, "mode: loud", replace_line(6, "timezone: Mars/Base"))
    with pytest.raises(PresetError) as caught:
        load_preset_file(write(tmp_path, text))
    assert [problem.line for problem in caught.value.problems] == [6, 8]
    assert str(caught.value).count("\n") == 1


def test_norway_is_not_false(tmp_path: Path) -> None:
    text = replace_line(9, "holidays: {country: NO, eve_from: 18:00, sunday_is_rest_day: true}")
    preset = load_preset_file(write(tmp_path, text))
    assert preset.holidays.country == "NO"
    assert preset.hours.days_off == preset.holidays


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    with pytest.raises(PresetError) as caught:
        load_preset_file(write(tmp_path, b"name: sample\ntitle: x\n\xff\xfe\n"))
    assert [problem.line for problem in caught.value.problems] == [3]


def test_a_missing_file_is_a_preset_error(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="cannot read"):
        load_preset_file(tmp_path / "absent.yaml")


@st.composite
def mangled_samples(draw: st.DrawFn) -> str:
    """The sample with a line replaced, removed or doubled, or text inserted."""
    lines = SAMPLE.splitlines()
    index = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["replace", "drop", "double", "insert"]))
    noise = draw(st.text(max_size=40))
    if action == "replace":
        key = lines[index].partition(":")[0]
        lines[index] = draw(st.sampled_from([f"{key}: {noise}", noise, f"{key}: [{noise}]"]))
    elif action == "drop":
        del lines[index]
    elif action == "double":
        lines.insert(index, lines[index])
    else:
        lines.insert(index, noise)
    return "\n".join(lines)


def load_or_error(path: Path) -> Preset | PresetError:
    try:
        return load_preset_file(path)
    except PresetError as error:
        return error


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(), mangled_samples(), st.binary().map(repr)))
def test_any_text_gives_a_preset_or_a_preset_error(tmp_path: Path, text: str) -> None:
    result = load_or_error(write(tmp_path, text))
    if isinstance(result, PresetError):
        assert result.problems
        assert all(p.line is None or p.line >= 1 for p in result.problems)
    else:
        assert result.name == "sample"


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_give_a_preset_or_a_preset_error(tmp_path: Path, data: bytes) -> None:
    result = load_or_error(write(tmp_path, data))
    assert isinstance(result, Preset) or result.problems
