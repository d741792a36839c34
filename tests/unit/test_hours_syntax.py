"""The human hours syntax: examples, friendly errors, and properties on arbitrary text."""

from __future__ import annotations

import contextlib
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import Window
from bot.domain.hours_syntax import HoursSyntaxError, format_hours, parse_hours
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
