"""The first instant at which half of a conversation's members are in their own hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.audience import MembersHours, first_quorum_open, grouped, quorum
from bot.domain.calendar import HolidayRule
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import parse_hours
from tests.unit.strategies import ZONES, instants, working_hours

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
#: how far the brute-force scan looks (whole minutes)
SCAN = timedelta(days=8)


def _open_count(members: list[WorkingHours], instant: datetime) -> int:
    return sum(1 for hours in members if hours.is_open(instant))


def _brute_force(members: list[WorkingHours], t: datetime, needed: int) -> datetime | None:
    """``t``, else every whole UTC minute after it: every window and day-off edge is one (zone
    offsets are whole minutes, window edges whole local minutes)."""
    if _open_count(members, t) >= needed:
        return t
    probe = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < t + SCAN:
        if _open_count(members, probe) >= needed:
            return probe
        probe += timedelta(minutes=1)
    return None


@pytest.mark.parametrize(
    ("members", "needed"), [(0, 0), (1, 1), (2, 1), (3, 2), (7, 4), (5000, 2500)]
)
def test_quorum_is_at_least_half(members: int, needed: int) -> None:
    assert quorum(members) == needed


@st.composite
def teams(draw: st.DrawFn) -> tuple[list[WorkingHours], datetime]:
    zone = draw(st.sampled_from(ZONES))
    members = [draw(working_hours()) for _ in range(draw(st.integers(1, 4)))]
    return members, draw(instants(zone))


@settings(max_examples=60, deadline=None)
@given(case=teams())
def test_the_sweep_finds_what_a_minute_by_minute_scan_finds(
    case: tuple[list[WorkingHours], datetime],
) -> None:
    members, t = case
    needed = quorum(len(members))
    found = first_quorum_open(grouped(members), t, horizon=SCAN)
    expected = _brute_force(members, t, needed)
    assert found == expected
    assert MembersHours(grouped(members), OSLO).is_open(t) == (found == t)
    if found is not None:
        assert found >= t
        assert _open_count(members, found) >= needed
        if found > t:
            assert _open_count(members, found - timedelta(microseconds=1)) < needed


@settings(max_examples=100, deadline=None)
@given(case=teams(), copies=st.integers(1, 3))
def test_equal_hours_count_by_their_number(
    case: tuple[list[WorkingHours], datetime], copies: int
) -> None:
    members, t = case
    many = members * copies
    assert first_quorum_open(grouped(many), t) == first_quorum_open(
        [(hours, 1) for hours in many], t
    )


def test_oslo_and_new_york_sunday_evening_is_monday_0800_in_oslo() -> None:
    """Two Oslo members and two in New York, all 08:00-16:00 on weekdays: a post written on
    Sunday at 21:00 in Oslo goes when two of four are in — Monday 08:00 Oslo (07:00 UTC)."""
    oslo = parse_hours("mon-fri 08:00-16:00", default_tz=OSLO)
    york = parse_hours("mon-fri 08:00-16:00", default_tz=NEW_YORK)
    sunday = datetime(2026, 3, 1, 21, 0, tzinfo=OSLO)
    audience = MembersHours.of([oslo, oslo, york, york], OSLO)
    assert audience.next_open(sunday) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    # three Oslo members and two in New York need three: Oslo alone makes it
    assert MembersHours.of([oslo] * 3 + [york] * 2, OSLO).next_open(sunday) == datetime(
        2026, 3, 2, 7, 0, tzinfo=UTC
    )
    # one Oslo member and two in New York need two: New York's 08:00 (13:00 UTC)
    assert MembersHours.of([oslo, york, york], OSLO).next_open(sunday) == datetime(
        2026, 3, 2, 13, 0, tzinfo=UTC
    )


def test_one_closing_as_another_opens_is_not_two_at_once() -> None:
    """Oslo 08:00-14:00 is 07:00-13:00 UTC in winter; New York 08:00-16:00 is 13:00-21:00 UTC:
    they touch at 13:00 and never overlap (intervals are half-open). With a third member never
    in hours two are needed: that first happens when New York springs forward (2026-03-08)
    and opens at 12:00 UTC, on Monday 9 March."""
    early = parse_hours("mon-fri 08:00-14:00", default_tz=OSLO)
    york = parse_hours("mon-fri 08:00-16:00", default_tz=NEW_YORK)
    never = WorkingHours(windows=(), tz=OSLO)
    monday = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    assert first_quorum_open(grouped([early, york, never]), monday) == datetime(
        2026, 3, 9, 12, 0, tzinfo=UTC
    )


def test_daylight_saving_time_moves_the_instant() -> None:
    """New York springs forward on 2026-03-08, Oslo on 2026-03-29: in between, New York's
    08:00 is 12:00 UTC (one hour earlier than the week before)."""
    york = parse_hours("mon-fri 08:00-16:00", default_tz=NEW_YORK)
    members = grouped([york, york, parse_hours("mon-fri 08:00-16:00", default_tz=OSLO)])
    before = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    after = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    assert first_quorum_open(members, before) == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert first_quorum_open(members, after) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_a_window_in_the_spring_forward_gap_opens_when_the_clocks_jump() -> None:
    """02:30-04:00 on Oslo's spring-forward night (2026-03-29) opens at 03:00 CEST, 01:00 UTC."""
    night = parse_hours("sun 02:30-04:00", default_tz=OSLO)
    assert first_quorum_open(
        grouped([night, night]), datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    ) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_holidays_and_days_off_count() -> None:
    """Norway's 17 May 2027 is a Monday: the Oslo members are off, New York decides."""
    oslo = parse_hours("mon-fri 08:00-16:00", default_tz=OSLO, days_off=HolidayRule(country="NO"))
    away = oslo.with_days_off(
        HolidayRule(country="NO", personal_days_off=frozenset({date(2027, 5, 18)}))
    )
    york = parse_hours("mon-fri 08:00-16:00", default_tz=NEW_YORK)
    sunday = datetime(2027, 5, 16, 20, 0, tzinfo=UTC)
    assert first_quorum_open(grouped([oslo, york]), sunday) == datetime(
        2027, 5, 17, 12, 0, tzinfo=UTC
    )
    # two of three needed: Oslo is off Monday, one of them on Tuesday too; Tuesday 08:00 Oslo
    # has one, New York's Tuesday 08:00 (12:00 UTC) the second
    assert first_quorum_open(grouped([oslo, away, york]), sunday) == datetime(
        2027, 5, 18, 12, 0, tzinfo=UTC
    )


def test_open_already_answers_the_instant_itself_to_the_microsecond() -> None:
    oslo = parse_hours("mon-fri 08:00-16:00", default_tz=OSLO)
    t = datetime(2026, 3, 2, 9, 13, 7, 12, tzinfo=UTC)
    assert first_quorum_open(grouped([oslo]), t) == t
    assert MembersHours.of([oslo], OSLO).is_open(t)


def test_never_enough_within_the_horizon_is_none() -> None:
    oslo = parse_hours("mon 08:00-09:00", default_tz=OSLO)
    york = parse_hours("tue 08:00-09:00", default_tz=NEW_YORK)
    never = WorkingHours(windows=(), tz=OSLO)
    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert first_quorum_open(grouped([oslo, york, never]), at) is None
    assert first_quorum_open((), at) is None
    assert first_quorum_open(grouped([never]), at) is None
    always = parse_hours("mon-sun 00:00-24:00", default_tz=OSLO)
    assert first_quorum_open(grouped([always, never, never]), at) is None
    assert first_quorum_open(grouped([always, always, never]), at) == at


def test_hours_that_never_close_and_one_that_opens_later() -> None:
    always = parse_hours("mon-sun 00:00-24:00", default_tz=OSLO)
    late = parse_hours("mon-fri 08:00-16:00", default_tz=NEW_YORK)
    never = WorkingHours(windows=(), tz=OSLO)
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a Sunday
    assert first_quorum_open(grouped([always, late, never, never]), at) == datetime(
        2026, 3, 2, 13, 0, tzinfo=UTC
    )
    assert time(8) == datetime(2026, 3, 2, 13, 0, tzinfo=UTC).astimezone(NEW_YORK).time()


@settings(max_examples=60, deadline=None)
@given(
    case=teams(),
    offsets=st.lists(st.integers(-10 * 86_400, 70 * 86_400), min_size=1, max_size=8),
)
def test_remembered_answers_are_the_answers(
    case: tuple[list[WorkingHours], datetime], offsets: list[int]
) -> None:
    """One audience asked again and again (earlier, later, past its horizon) answers each time
    what a fresh sweep answers."""
    members, t = case
    audience = MembersHours.of(members, OSLO)
    for offset in offsets:
        instant = t + timedelta(seconds=offset)
        assert audience.next_open(instant) == first_quorum_open(grouped(members), instant)
