"""The human hours syntax: examples, friendly errors, and properties on arbitrary text."""

from __future__ import annotations

import contextlib
import re
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import Window
from bot.domain.hours_syntax import HoursSyntaxError, display_spec, format_hours, parse_hours
from bot.i18n import SUPPORTED_LOCALES, translate
from tests.unit.strategies import working_hours

OSLO = ZoneInfo("Europe/Oslo")


def weekdays(*days: int, start: time, end: time) -> set[Window]:
    return {Window(d, start, end) for d in days}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("mon-fri 08:00-16:00", weekdays(0, 1, 2, 3, 4, start=time(8), end=time(16))),
        ("man-fre 8-16", weekdays(0, 1, 2, 3, 4, start=time(8), end=time(16))),
        ("Mandag-Fredag 08.00-16.00", weekdays(0, 1, 2, 3, 4, start=time(8), end=time(16))),
        ("lør,søn 10-12", weekdays(5, 6, start=time(10), end=time(12))),
        ("hverdager 9-15", weekdays(0, 1, 2, 3, 4, start=time(9), end=time(15))),
        (
            "mon,wed 09:00-14:30 20:00-22:00",
            weekdays(0, 2, start=time(9), end=time(14, 30))
            | weekdays(0, 2, start=time(20), end=time(22)),
        ),
        ("fri-mon 22-06", weekdays(4, 5, 6, 0, start=time(22), end=time(6))),
        ("sun 00:00-24:00", weekdays(6, start=time(0), end=time(0))),
        ("mon 08:00 - 16:00", weekdays(0, start=time(8), end=time(16))),
        ("mon 8–16", weekdays(0, start=time(8), end=time(16))),
        (
            "tue 9-12, 13-17",
            weekdays(1, start=time(9), end=time(12)) | weekdays(1, start=time(13), end=time(17)),
        ),
    ],
)
def test_examples(spec: str, expected: set[Window]) -> None:
    assert set(parse_hours(spec).windows) == expected


def test_zone_and_holidays() -> None:
    hours = parse_hours("mon-fri 8-16 tz europe/oslo holidays NO-03")
    assert hours.tz == OSLO
    assert (hours.days_off.country, hours.days_off.subdivision) == ("NO", "03")
    assert parse_hours("mon-fri 8-16 tidssone=Europe/Oslo helligdager no").tz == OSLO


def test_default_zone_is_used_when_none_given() -> None:
    assert parse_hours("mon 8-16", default_tz=OSLO).tz == OSLO
    assert parse_hours("mon 8-16").tz == ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("spec", "code", "token"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("mon", "days_without_times", "mon"),
        ("mon tue 8-16", "days_without_times", "mon"),
        ("8-16", "times_without_days", "8-16"),
        ("mon 25-3", "bad_time", "25-3"),
        ("mon 8:61-9", "bad_time", "8:61-9"),
        ("mon 24-8", "bad_time", "24-8"),
        ("mon 8-", "bad_time", "8-"),
        ("mon 8-8", "empty_range", "8-8"),
        ("mon 8-16 tz Mars/Olympus", "unknown_zone", "Mars/Olympus"),
        ("mon 8-16 tz", "missing_zone", "tz"),
        ("mon 8-16 tz UTC tz Europe/Oslo", "duplicate_zone", "Europe/Oslo"),
        ("mon 8-16 holidays XX", "unknown_country", "XX"),
        ("mon 8-16 holidays", "missing_country", "holidays"),
        ("funday 8-16", "unknown_token", "funday"),
        ("mon-funday 8-16", "unknown_token", "mon-funday"),
    ],
)
def test_errors_name_the_bad_token(spec: str, code: str, token: str) -> None:
    with pytest.raises(HoursSyntaxError) as caught:
        parse_hours(spec)
    assert caught.value.code == code
    assert caught.value.token == token
    english, norwegian = caught.value.message("en"), caught.value.message("nb")
    assert token in english
    assert token in norwegian
    assert english != norwegian


def test_error_messages_show_a_correct_example() -> None:
    with pytest.raises(HoursSyntaxError) as caught:
        parse_hours("whenever")
    assert "mon-fri 08:00-16:00" in caught.value.message("en")
    assert "man-fre 08:00-16:00" in caught.value.message("nb-NO")
    parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo")  # the example itself parses
    parse_hours("man-fre 08:00-16:00 tz Europe/Oslo")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_text_raises_only_our_error(text: str) -> None:
    try:
        parse_hours(text)
    except HoursSyntaxError as error:
        messages = (error.message("en"), error.message("nb"))
    else:
        messages = ("parsed", "parsed")
    assert all(messages)


TOKENS = st.sampled_from(
    [
        "mon",
        "fri",
        "man-fre",
        "lør",
        "8",
        "08:00",
        "-",
        "16",
        "8-16",
        "20-02",
        "24:00",
        ",",
        ";",
        "tz",
        "Europe/Oslo",
        "holidays",
        "NO",
        "=",
        "0-24",
        "weekdays",
        " ",
        "–",
        ".",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(TOKENS, max_size=12).map(" ".join))
def test_plausible_token_soup_raises_only_our_error(text: str) -> None:
    with contextlib.suppress(HoursSyntaxError):
        parse_hours(text)


@settings(max_examples=200, deadline=None)
@given(working_hours())
def test_format_then_parse_round_trips(hours: object) -> None:
    from bot.domain.hours import WorkingHours

    assert isinstance(hours, WorkingHours)
    again = parse_hours(format_hours(hours))
    assert set(again.windows) == set(hours.windows)
    assert again.tz == hours.tz
    assert again.days_off.country == hours.days_off.country


# -- shown in the reader's words (field report: bokmål answers echoed "mon-fri … holidays NO") --

ENGLISH_WORDS = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun|holidays|none)\b")


@settings(max_examples=200, deadline=None)
@given(working_hours(), st.sampled_from(SUPPORTED_LOCALES), st.booleans(), st.booleans())
def test_hours_shown_in_the_readers_words_read_back_as_the_same_hours(
    hours: object, locale: str, with_zone: bool, no_holidays: bool
) -> None:
    """What an answer shows can be typed back: every locale's rendering parses to the same
    hours, and a bokmål reader is shown no English day or holiday word."""
    from bot.domain.hours import WorkingHours

    assert isinstance(hours, WorkingHours)
    shown = format_hours(hours, locale, with_zone=with_zone, no_holidays=no_holidays)
    again = parse_hours(shown, default_tz=ZoneInfo("Pacific/Chatham"))
    assert set(again.windows) == set(hours.windows)
    assert again.tz == (hours.tz if with_zone else ZoneInfo("Pacific/Chatham"))
    assert again.days_off.country == hours.days_off.country
    assert display_spec(format_hours(hours, with_zone=with_zone), locale) == shown.replace(
        f" {translate('hours.spec.holidays', locale)} {translate('hours.spec.none', locale)}",
        "",
    )
    if locale == "nb":
        assert not ENGLISH_WORDS.search(shown.replace(hours.tz.key, "")), shown


def test_a_bokmal_reader_reads_the_spec_in_bokmal() -> None:
    hours = parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo holidays NO")
    assert format_hours(hours) == "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"
    assert format_hours(hours, "nb") == "man-fre 08:00-16:00 tz Europe/Oslo helligdager NO"
    assert (
        display_spec("sat,sun 10-12 holidays none", "nb") == "lør,søn 10:00-12:00 helligdager ingen"
    )


# -- dashes, spacing and case (field report: "man–fre 8–16" was refused) ----------------------

DASHES = [
    "-",  # hyphen-minus
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2012",  # figure dash
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2015",  # horizontal bar
    "\u2212",  # minus sign
    "\ufe63",  # small hyphen-minus
    "\uff0d",  # fullwidth hyphen-minus
]
SPACES = ["", " ", "  ", "\t", "\u00a0", "\u202f"]


@pytest.mark.parametrize(
    "spec",
    [
        "man–fre 8–16",
        "Mon–Fri 08:00–16:00",
        "mon - fri 8-16",
        "MON — FRI 8 — 16",
        "Mandag\u2011Fredag 8\u2212 16",
        "hverdager 08:00 – 16:00",
        "mon\u00a0-\u00a0fri 8\uff0d16",
    ],
)
def test_any_dash_spacing_and_case_reads_like_the_plain_spec(spec: str) -> None:
    assert parse_hours(spec) == parse_hours("mon-fri 08:00-16:00")


def test_dashes_in_every_clause_and_in_regions() -> None:
    plain = parse_hours("mon-wed 8-16; thu – fri 9 – 15 holidays NO-03")
    fancy = parse_hours("Man–Ons 8–16; TOR — FRE 9\u2212 15 holidays no\u201303")
    assert fancy == plain
    assert fancy.days_off.subdivision == "03"


def _rewrite(spec: str, draw: st.DrawFn) -> str:
    """``spec`` with each dash replaced by a random dash, random spaces around it, random case."""
    out = []
    for char in spec:
        if char == "-":
            out.append(draw(st.sampled_from(SPACES)) + draw(st.sampled_from(DASHES)))
            out.append(draw(st.sampled_from(SPACES)))
        elif char.isalpha():
            out.append(char.upper() if draw(st.booleans()) else char)
        else:
            out.append(char)
    return "".join(out)


@st.composite
def rewritten_specs(draw: st.DrawFn) -> tuple[str, str]:
    canonical = format_hours(draw(working_hours()))
    days_and_times, _, zone = canonical.partition(" tz ")  # zone names keep their own dashes
    return canonical, f"{_rewrite(days_and_times, draw)} tz {zone}"


@settings(max_examples=300, deadline=None)
@given(rewritten_specs())
def test_rewritten_dashes_spacing_and_case_parse_the_same(specs: tuple[str, str]) -> None:
    canonical, rewritten = specs
    assert parse_hours(rewritten) == parse_hours(canonical)


DASHY_TEXT = st.lists(
    st.sampled_from([*DASHES, *SPACES, "mon", "Fre", "8", "16", ":", "00", ",", ";", "5", "22"])
    | st.characters(),
    max_size=20,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(DASHY_TEXT)
def test_dash_soup_raises_only_our_error(text: str) -> None:
    with contextlib.suppress(HoursSyntaxError):
        parse_hours(text)


# -- 12-hour habits (field report: "mon-fri 9-5" was saved as a 20-hour overnight day) --------


@pytest.mark.parametrize(
    ("spec", "token", "hint"),
    [
        ("mon-fri 9-5", "9-5", "09:00-17:00"),
        ("man–fre 8–4", "8-4", "08:00-16:00"),
        ("mon 9:30-5", "9:30-5", "09:30-17:00"),
        ("mon 08-05", "08-05", "08:00-17:00"),
        ("mon 12-1", "12-1", "12:00-13:00"),
        ("mon 8-12, 13-5", "8-12,13-5", "13:00-17:00"),
    ],
)
def test_a_bare_end_hour_before_a_morning_start_is_refused_with_a_hint(
    spec: str, token: str, hint: str
) -> None:
    with pytest.raises(HoursSyntaxError) as caught:
        parse_hours(spec)
    assert caught.value.code == "twelve_hour_end"
    assert caught.value.token == token
    assert f"Did you mean {hint}?" in caught.value.message("en")
    assert f"Mente du {hint}?" in caught.value.message("nb")


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("mon 22-06", time(22), time(6)),  # a night shift: 18:00 would come before the start
        ("mon 20-02", time(20), time(2)),
        ("mon 13-1", time(13), time(1)),
        ("mon 08:00-05:00", time(8), time(5)),  # written in full: meant as written
        ("mon 8-5:00", time(8), time(5)),
        ("mon 9-0", time(9), time(0)),  # midnight is not a 12-hour end
        ("mon 9-24", time(9), time(0)),
        ("mon 9-17", time(9), time(17)),
    ],
)
def test_overnight_ranges_that_are_not_12_hour_habits_are_kept(
    spec: str, start: time, end: time
) -> None:
    assert parse_hours(spec).windows == (Window(0, start, end),)


def test_holidays_none_drops_the_holidays_that_would_apply() -> None:
    from bot.domain.calendar import HolidayRule
    from bot.domain.hours_syntax import names_holidays

    norway = HolidayRule(country="NO")
    assert parse_hours("mon-fri 8-16", days_off=norway).days_off.country == "NO"
    assert parse_hours("mon-fri 8-16 holidays none", days_off=norway).days_off.country is None
    assert parse_hours("man-fre 8-16 helligdager ingen", days_off=norway).days_off.country is None
    assert parse_hours("mon-fri 8-16 holidays PT", days_off=norway).days_off.country == "PT"
    assert names_holidays("man-fre 8-16 helligdager=ingen")
    assert not names_holidays("mon-fri 8-16 tz Europe/Oslo")
