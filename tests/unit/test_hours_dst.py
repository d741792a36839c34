"""Table tests for the deliberate DST rule: gaps open at the jump, overlaps mean the first time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours_syntax import parse_hours
from bot.domain.timeutil import resolve_wall_time


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # ordinary times
        ("Europe/Oslo", date(2026, 11, 30), time(8), utc(2026, 11, 30, 7)),
        ("Asia/Kolkata", date(2026, 6, 1), time(9, 30), utc(2026, 6, 1, 4)),
        # gaps: the wall time never happens -> the instant the clocks jump
        ("Europe/Oslo", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1)),
        ("America/New_York", date(2026, 3, 8), time(2, 15), utc(2026, 3, 8, 7)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 0), utc(2026, 10, 3, 16)),
        ("Pacific/Chatham", date(2026, 9, 27), time(3, 0), utc(2026, 9, 26, 14)),
        # overlaps: the wall time happens twice -> the first time
        ("Europe/Oslo", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        ("Pacific/Chatham", date(2026, 4, 5), time(3, 0), utc(2026, 4, 4, 13, 15)),
    ],
)
def test_resolve_wall_time(zone: str, day: date, wall: time, expected: datetime) -> None:
    assert resolve_wall_time(day, wall, ZoneInfo(zone)) == expected


def test_window_starting_in_the_spring_gap_opens_when_the_clocks_jump() -> None:
    hours = parse_hours("sun 02:30-04:00 tz Europe/Oslo")
    before = utc(2026, 3, 29, 0, 59)
    assert hours.next_open(before) == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert hours.next_close(utc(2026, 3, 29, 1)) == utc(2026, 3, 29, 2)  # 04:00 CEST


def test_window_ending_in_the_spring_gap_closes_when_the_clocks_jump() -> None:
    hours = parse_hours("sun 01:00-02:30 tz Europe/Oslo")
    assert hours.next_close(utc(2026, 3, 29, 0, 10)) == utc(2026, 3, 29, 1)


def test_window_inside_the_gap_does_not_open_that_day() -> None:
    hours = parse_hours("sun 02:10-02:50 tz America/New_York")
    # 2026-03-08 never shows 02:10..02:50; next opening is the following Sunday
    assert hours.next_open(utc(2026, 3, 8, 6)) == utc(2026, 3, 15, 6, 10)


def test_window_across_the_autumn_overlap_lasts_an_hour_longer() -> None:
    hours = parse_hours("sun 00:00-05:00 tz Europe/Oslo")
    opened = hours.next_open(utc(2026, 10, 24, 12))
    assert opened == utc(2026, 10, 24, 22)
    assert hours.next_close(opened) == utc(2026, 10, 25, 4)  # six hours of wall-clock five


def test_window_ending_in_the_overlap_ends_at_the_first_occurrence() -> None:
    hours = parse_hours("sun 00:00-02:30 tz Europe/Oslo")
    assert hours.next_close(utc(2026, 10, 24, 23)) == utc(2026, 10, 25, 0, 30)
    # the repeated 02:00-02:30 (CET) is closed
    assert not hours.is_open(utc(2026, 10, 25, 1, 15))


def test_midnight_crossing_window_over_dst_night() -> None:
    hours = parse_hours("sat 22:00-06:00 tz Europe/Oslo")
    assert hours.next_open(utc(2026, 3, 28, 12)) == utc(2026, 3, 28, 21)
    assert hours.next_close(utc(2026, 3, 28, 21)) == utc(2026, 3, 29, 4)  # 06:00 CEST


def test_split_working_day() -> None:
    hours = parse_hours("mon-fri 08:00-14:30 20:00-22:00 tz Europe/Oslo")
    assert hours.next_close(utc(2026, 11, 30, 7)) == utc(2026, 11, 30, 13, 30)
    assert hours.next_open(utc(2026, 11, 30, 13, 30)) == utc(2026, 11, 30, 19)
    assert hours.next_open(utc(2026, 11, 30, 21)) == utc(2026, 12, 1, 7)


def test_windows_that_touch_merge_across_midnight() -> None:
    hours = parse_hours("mon 20:00-24:00; tue 00:00-02:00 tz UTC")
    assert hours.next_close(utc(2026, 11, 30, 21)) == utc(2026, 12, 1, 2)


def test_hours_that_never_open_answer_none() -> None:
    hours = parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo")
    everything_off = hours.with_days_off(
        hours.days_off.__class__(
            personal_days_off=frozenset(
                date.fromordinal(date(2026, 1, 1).toordinal() + n) for n in range(900)
            )
        )
    )
    assert everything_off.next_open(utc(2026, 1, 1)) is None
    assert not everything_off.is_open(utc(2026, 1, 5, 9))


def test_always_open_never_closes() -> None:
    hours = parse_hours("daily 00:00-24:00 tz UTC")
    assert hours.is_open(utc(2026, 1, 1))
    assert hours.next_close(utc(2026, 1, 1)) is None


def test_naive_instants_are_refused() -> None:
    hours = parse_hours("mon-fri 08:00-16:00")
    with pytest.raises(ValueError, match="naive"):
        hours.is_open(datetime(2026, 1, 1, 9))
