"""Rest and working-time rules on weekly hours: tables, wrap-around cases and properties."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.hours import Window, WorkingHours
from bot.domain.hours_syntax import parse_hours
from bot.domain.rest_rules import RestRules, RuleViolation, check
from tests.unit.strategies import windows, working_hours

NORWAY = RestRules(
    max_daily_hours=9,
    max_weekly_hours=40,
    min_daily_rest_hours=11,
    min_weekly_rest_hours=35,
    quiet_night=(time(21), time(6)),
)
ALL_CODES = {"max_daily_hours", "max_weekly_hours", "daily_rest", "weekly_rest", "quiet_night"}
WEEK_MINUTES = 7 * 24 * 60


def codes(spec: str, rules: RestRules = NORWAY) -> set[str]:
    return {violation.code for violation in check(parse_hours(spec), rules)}


def only(spec: str, code: str, rules: RestRules = NORWAY) -> list[RuleViolation]:
    return [v for v in check(parse_hours(spec), rules) if v.code == code]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("mon-fri 08:00-16:00", set()),
        ("mon-fri 07:00-17:00", {"max_daily_hours", "max_weekly_hours"}),
        ("mon-sat 08:00-16:00", {"max_weekly_hours"}),  # 48 h, yet Sat 16:00-Mon 08:00 is 40 h
        (
            "mon-fri 08:00-14:30 20:00-22:00",  # 42.5 h, 10 h nights, evenings past 21:00
            {"max_weekly_hours", "daily_rest", "quiet_night"},
        ),
        ("mon-fri 22:00-06:00", {"quiet_night"}),  # 8 h a night is within 9 h and 40 h
        (
            "mon-fri 08:00-16:00 22:00-06:00",
            {"max_daily_hours", "max_weekly_hours", "daily_rest", "quiet_night"},
        ),
        ("daily 08:00-16:00", {"max_weekly_hours", "weekly_rest"}),
        ("tue-sun 08:00-16:00", {"max_weekly_hours"}),  # Sun 16:00-Tue 08:00 wraps the week
        ("mon-thu 08:00-16:00; fri 08:00-15:00", set()),
        ("mon-fri 08:00-16:00; sun 20:00-02:00", {"max_weekly_hours", "daily_rest", "quiet_night"}),
        ("daily 00:00-24:00", ALL_CODES),
    ],
)
def test_norwegian_rules(spec: str, expected: set[str]) -> None:
    assert codes(spec) == expected


def test_daily_totals_count_windows_by_the_day_they_start() -> None:
    [violation] = only("mon 22:00-07:00", "max_daily_hours", RestRules(max_daily_hours=8))
    assert (violation.weekday, violation.limit, violation.actual) == (0, 8, 9)
    assert (
        only("mon 08:00-16:00 10:00-12:00", "max_daily_hours", RestRules(max_daily_hours=8)) == []
    )


def test_weekly_total_counts_overlaps_once() -> None:
    [violation] = only("mon-fri 08:00-16:00 12:00-17:00", "max_weekly_hours")
    assert violation.actual == 45


def test_daily_rest_reports_the_worst_span_per_weekday() -> None:
    found = only("mon-fri 08:00-14:30 20:00-22:00", "daily_rest")
    assert [v.weekday for v in found] == [0, 1, 2, 3, 4]
    assert {(v.start, v.actual, v.limit) for v in found} == {(time(8), 10, 11)}


def test_a_sunday_window_running_into_monday_counts_against_monday_morning() -> None:
    [rest] = only("mon-fri 08:00-16:00; sun 20:00-02:00", "daily_rest")
    assert (rest.weekday, rest.start, rest.actual) == (6, time(20), 6)  # Mon 02:00-08:00
    [night] = only("mon-fri 08:00-16:00; sun 20:00-02:00", "quiet_night")
    assert (night.weekday, night.start, night.end, night.actual) == (6, time(20), time(2), 5)


def test_a_monday_morning_window_meets_sunday_night() -> None:
    [night] = only("mon 05:00-13:00", "quiet_night")
    assert (night.weekday, night.actual) == (0, 1)


def test_weekly_rest_wraps_from_sunday_to_monday() -> None:
    assert only("tue-sun 08:00-16:00", "weekly_rest") == []
    [rest] = only("mon-sun 08:00-16:00", "weekly_rest")
    assert rest.actual == 16


def test_always_open_has_no_rest_at_all() -> None:
    found = {v.code: v for v in check(parse_hours("daily 00:00-24:00"), NORWAY)}
    assert found["daily_rest"].actual == 0
    assert found["weekly_rest"].actual == 0
    assert found["max_weekly_hours"].actual == 168


def test_no_rules_no_violations() -> None:
    assert check(parse_hours("daily 00:00-24:00"), RestRules()) == []


@pytest.mark.parametrize(
    "rules",
    [
        {"max_daily_hours": 0},
        {"min_weekly_rest_hours": -1},
        {"quiet_night": (time(21), time(21))},
    ],
)
def test_nonsense_rules_are_refused(rules: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"rest-rule|quiet night"):
        RestRules(**rules)  # type: ignore[arg-type]


# -- messages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "code", "english", "norwegian"),
    [
        (
            "mon-fri 07:00-17:00",
            "max_daily_hours",
            "Working hours on Monday come to 10 h, more than 9 h a day.",
            "Arbeidstiden mandag er 10 t, mer enn 9 t per dag.",
        ),
        (
            "mon-fri 08:00-16:30",
            "max_weekly_hours",
            "Working hours come to 42.5 h a week, more than 40 h.",
            "Arbeidstiden er 42,5 t i uken, mer enn 40 t.",
        ),
        (
            "daily 08:00-16:00",
            "weekly_rest",
            "The longest rest in the week is 16 h; at least 35 h in a row is required.",
            "Den lengste hvilen i uken er 16 t; minst 35 t sammenhengende kreves.",
        ),
        (
            "mon 20:00-22:00",
            "quiet_night",
            "Working hours on Monday 20:00–22:00 run 1 h into the night (21:00–06:00)",
            "Arbeidstiden mandag 20:00–22:00 går 1 t inn i natten (21:00–06:00)",
        ),
    ],
)
def test_messages_in_english_and_norwegian(
    spec: str, code: str, english: str, norwegian: str
) -> None:
    violation = only(spec, code)[0]
    assert english in violation.message("en")
    assert norwegian in violation.message("nb-NO")


# -- properties ------------------------------------------------------------------------------


def _open_minutes(hours: WorkingHours) -> list[bool]:
    """Brute force: which minutes of the weekly cycle are open."""
    minutes = [False] * WEEK_MINUTES
    for window in hours.windows:
        start = window.weekday * 1440 + window.start.hour * 60 + window.start.minute
        for minute in range(start, start + window.minutes):
            minutes[minute % WEEK_MINUTES] = True
    return minutes


def _longest_closed(minutes: list[bool], start: int, length: int) -> int:
    best = run = 0
    for offset in range(length):
        run = 0 if minutes[(start + offset) % WEEK_MINUTES] else run + 1
        best = max(best, run)
    return best


@given(working_hours(zone="Europe/Oslo"), windows, st.integers(1, 168))
def test_adding_a_window_never_removes_a_weekly_hours_violation(
    hours: WorkingHours, extra: Window, limit: int
) -> None:
    rules = RestRules(max_weekly_hours=limit)
    more = WorkingHours(windows=(*hours.windows, extra), tz=hours.tz)
    if check(hours, rules):
        assert check(more, rules)


@given(working_hours(zone="Europe/Oslo"))
def test_totals_and_rests_agree_with_a_minute_by_minute_count(hours: WorkingHours) -> None:
    minutes = _open_minutes(hours)
    rules = RestRules(max_weekly_hours=0.001, min_weekly_rest_hours=168, min_daily_rest_hours=24)
    found = {v.code: v for v in check(hours, rules) if v.code != "daily_rest"}
    assert found["max_weekly_hours"].actual == pytest.approx(sum(minutes) / 60)
    weekly_rest = found.get("weekly_rest")
    longest = 0 if all(minutes) else _longest_closed(minutes + minutes, 0, 2 * WEEK_MINUTES)
    assert (weekly_rest.actual if weekly_rest else 168) == pytest.approx(
        min(longest, WEEK_MINUTES) / 60
    )
    starts = [m for m in range(WEEK_MINUTES) if minutes[m] and not minutes[m - 1]]
    worst: dict[int, float] = {}
    for start in starts:
        rest = _longest_closed(minutes, start, 1440) / 60
        worst[start // 1440] = min(rest, worst.get(start // 1440, 24.0))
    reported = {v.weekday: v.actual for v in check(hours, rules) if v.code == "daily_rest"}
    if all(minutes):
        assert reported == {0: 0}
    else:
        assert reported == {day: rest for day, rest in worst.items() if rest < 24}
