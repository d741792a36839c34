"""Whose hours decide for a person: the precedence table, the policy's days for Slack's day-less
schedule, the person's own zone, and days off — table-driven and property-based."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import HolidayRule
from bot.domain.hours import Window, WorkingHours
from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import TeamPolicy
from bot.domain.timeutil import local_date, resolve_wall_time
from bot.domain.whose_hours import (
    FALLBACK_WORKDAYS,
    HoursSource,
    PlatformSchedule,
    resolve_person_hours,
)
from tests.unit.strategies import ZONES, clock, instants, working_hours

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = settings(max_examples=200, deadline=None)
FRIDAY_2200_OSLO = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # Fri 4 Dec 2026 22:00 in Oslo


def _slack(spec: str = "08:00-16:00", tz: ZoneInfo = OSLO) -> PlatformSchedule:
    """What Slack's notification schedule says: the same window every day."""
    return PlatformSchedule(parse_hours(f"mon-sun {spec}", default_tz=tz), own_days=False)


def _policy(name: str, spec: str) -> TeamPolicy:
    return TeamPolicy(name=name, hours=parse_hours(spec))


OWN = parse_hours("mon-thu 10:00-14:00 tz Europe/Oslo")
PLATFORM = _slack("07:00-15:00")
TEAM = _policy("Plattform", "mon-fri 09:00-17:00 tz Europe/Oslo")
DEFAULT = _policy("Workspace", "mon-fri 08:00-16:00 tz Europe/Oslo")


@pytest.mark.parametrize(
    ("own", "platform", "team", "default"), list(itertools.product([False, True], repeat=4))
)
def test_the_most_specific_level_present_decides(
    own: bool, platform: bool, team: bool, default: bool
) -> None:
    """The whole precedence table: own > platform schedule > team > workspace default."""
    found = resolve_person_hours(
        own=OWN if own else None,
        platform=PLATFORM if platform else None,
        team=TEAM if team else None,
        default=DEFAULT if default else None,
    )
    levels = [
        (own, HoursSource.OWN, OWN.windows),
        (platform, HoursSource.PLATFORM, None),
        (team, HoursSource.TEAM, TEAM.hours.windows),
        (default, HoursSource.WORKSPACE, DEFAULT.hours.windows),
    ]
    expected = next(((source, windows) for present, source, windows in levels if present), None)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.source is expected[0]
    if expected[1] is not None:
        assert found.hours.windows == expected[1]


def test_a_slack_schedule_on_friday_night_opens_on_monday_not_saturday() -> None:
    """The field report: 08:00-16:00 from Slack, read as mon-sun, opened on Saturday."""
    for default in (DEFAULT, None):  # the workspace default's days, or Mon-Fri with none
        found = resolve_person_hours(own=None, platform=_slack(), team=None, default=default)
        assert found is not None and found.days_from_policy
        opening = found.hours.next_open(FRIDAY_2200_OSLO)
        assert opening == datetime(2026, 12, 7, 8, 0, tzinfo=OSLO)


def test_a_slack_schedule_takes_the_teams_days_and_holidays() -> None:
    team = TeamPolicy(
        name="Butikk",
        hours=parse_hours("tue-sat 10:00-18:00 tz Europe/Oslo holidays NO"),
    )
    found = resolve_person_hours(own=None, platform=_slack(), team=team, default=DEFAULT)
    assert found is not None and found.policy is team
    assert {w.weekday for w in found.hours.windows} == {1, 2, 3, 4, 5}
    # the Slack window (08-16), on the team's days: Saturday yes, Monday no
    assert found.hours.next_open(FRIDAY_2200_OSLO) == datetime(2026, 12, 5, 8, tzinfo=OSLO)
    # Christmas Day (Fri) and Boxing Day (Sat) 2026 are Norwegian holidays, though team days;
    # Sunday and Monday are not team days: back on Tuesday
    christmas_eve_night = datetime(2026, 12, 24, 20, tzinfo=OSLO)
    assert found.hours.next_open(christmas_eve_night) == datetime(2026, 12, 29, 8, tzinfo=OSLO)


def test_outlook_names_its_own_days_and_keeps_them() -> None:
    outlook = PlatformSchedule(parse_hours("mon,wed,sat 08:00-12:00 tz Europe/Oslo"), own_days=True)
    found = resolve_person_hours(own=None, platform=outlook, team=TEAM, default=DEFAULT)
    assert found is not None and not found.days_from_policy
    assert {w.weekday for w in found.hours.windows} == {0, 2, 5}
    assert found.hours.next_open(FRIDAY_2200_OSLO) == datetime(2026, 12, 5, 8, tzinfo=OSLO)


def test_a_team_in_oslo_is_read_in_a_new_york_members_own_zone() -> None:
    """An Oslo team's 08:00 is 08:00 for its New York member, not 02:00 (or 04:00 held)."""
    found = resolve_person_hours(own=None, platform=None, team=TEAM, default=None, tz=NEW_YORK)
    assert found is not None and found.source is HoursSource.TEAM
    assert found.hours.tz == NEW_YORK
    monday_early = datetime(2026, 12, 7, 3, 0, tzinfo=NEW_YORK)
    assert found.hours.next_open(monday_early) == datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK)


def test_own_hours_keep_their_own_zone_and_holidays() -> None:
    own = parse_hours("mon-fri 07:00-15:00 tz America/New_York holidays US")
    found = resolve_person_hours(own=own, platform=_slack(), team=TEAM, default=DEFAULT, tz=OSLO)
    assert found is not None and found.source is HoursSource.OWN
    assert (found.hours.windows, found.hours.tz) == (own.windows, own.tz)
    assert found.hours.days_off.country == "US"


def test_nothing_at_all_is_no_hours() -> None:
    assert resolve_person_hours(own=None, platform=None, team=None, default=None) is None


# -- properties --------------------------------------------------------------------------------

_daily = st.tuples(clock, clock).filter(lambda edges: edges[0] != edges[1])
_workdays = st.frozensets(st.integers(0, 6), min_size=1)


def _day_less(start: time, end: time, zone: str) -> PlatformSchedule:
    windows = tuple(Window(day, start, end) for day in range(7))
    return PlatformSchedule(WorkingHours(windows=windows, tz=ZoneInfo(zone)), own_days=False)


def _team_on(days: frozenset[int], zone: str) -> TeamPolicy:
    windows = tuple(Window(day, time(9), time(17)) for day in sorted(days))
    return TeamPolicy(name="T", hours=WorkingHours(windows=windows, tz=ZoneInfo(zone)))


@SETTINGS
@given(
    data=st.data(),
    edges=_daily,
    days=st.one_of(st.none(), _workdays),
    zone=st.sampled_from(ZONES),
)
def test_a_day_less_schedule_is_open_only_on_the_policys_days(
    data: st.DataObject, edges: tuple[time, time], days: frozenset[int] | None, zone: str
) -> None:
    """Wherever the result is open, Slack's schedule is open, and the window holding the
    instant began on a day the policy works (Mon-Fri when no policy applies)."""
    schedule = _day_less(*edges, zone)
    team = None if days is None else _team_on(days, "Europe/Oslo")
    found = resolve_person_hours(own=None, platform=schedule, team=team, default=None)
    assert found is not None and found.source is HoursSource.PLATFORM
    allowed = FALLBACK_WORKDAYS if days is None else days
    t = data.draw(instants(zone))
    if found.hours.is_open(t):
        assert schedule.hours.is_open(t)
        tz = ZoneInfo(zone)
        day = local_date(t, tz)
        assert any(
            d.weekday() in allowed
            and any(
                start <= t < end
                for start, end in WorkingHours(
                    windows=tuple(w for w in schedule.hours.windows if w.weekday == d.weekday()),
                    tz=tz,
                ).intervals_between(resolve_wall_time(d, time(0), tz), t + timedelta(days=2))
            )
            for d in (day - timedelta(days=1), day)
        )


@SETTINGS
@given(
    own=working_hours(),
    platform=st.one_of(st.none(), working_hours().map(lambda h: PlatformSchedule(h, False))),
    team=st.one_of(st.none(), working_hours().map(lambda h: TeamPolicy(name="T", hours=h))),
    zone=st.sampled_from(ZONES),
)
def test_a_persons_own_hours_are_never_replaced(
    own: WorkingHours, platform: PlatformSchedule | None, team: TeamPolicy | None, zone: str
) -> None:
    found = resolve_person_hours(
        own=own, platform=platform, team=team, default=team, tz=ZoneInfo(zone)
    )
    assert found is not None and found.source is HoursSource.OWN
    assert (found.hours.windows, found.hours.tz) == (own.windows, own.tz)


@SETTINGS
@given(
    data=st.data(),
    level=st.sampled_from(["own", "platform", "team", "default"]),
    zone=st.sampled_from(ZONES),
    away=st.dates(date(2025, 1, 2), date(2028, 12, 30)),
)
def test_days_off_close_the_whole_day_at_every_level(
    data: st.DataObject, level: str, zone: str, away: date
) -> None:
    hours = data.draw(working_hours(zone))
    policy = TeamPolicy(name="T", hours=hours)
    found = resolve_person_hours(
        own=hours if level == "own" else None,
        platform=PlatformSchedule(hours, own_days=True) if level == "platform" else None,
        team=policy if level == "team" else None,
        default=policy if level == "default" else None,
        tz=ZoneInfo(zone),
        days_off=frozenset({away}),
    )
    assert found is not None
    tz = found.hours.tz
    start = resolve_wall_time(away, time(0), tz)
    end = resolve_wall_time(away + timedelta(days=1), time(0), tz)
    assert found.hours.intervals_between(start, end) == []


@SETTINGS
@given(
    team_hours=working_hours(),
    zone=st.sampled_from(ZONES),
    use_default=st.booleans(),
)
def test_team_and_default_hours_are_read_in_the_persons_zone(
    team_hours: WorkingHours, zone: str, use_default: bool
) -> None:
    policy = TeamPolicy(name="T", hours=team_hours)
    found = resolve_person_hours(
        own=None,
        platform=None,
        team=None if use_default else policy,
        default=policy,
        tz=ZoneInfo(zone),
    )
    assert found is not None
    assert found.source is (HoursSource.WORKSPACE if use_default else HoursSource.TEAM)
    assert (found.hours.windows, found.hours.tz) == (team_hours.windows, ZoneInfo(zone))
    assert found.hours.days_off.country == team_hours.days_off.country


def test_the_holiday_rule_of_own_hours_keeps_their_country_with_days_off() -> None:
    own = WorkingHours(windows=(Window(0, time(8), time(16)),), tz=OSLO, days_off=HolidayRule("NO"))
    found = resolve_person_hours(
        own=own, platform=None, team=None, default=None, days_off=frozenset({date(2026, 12, 7)})
    )
    assert found is not None
    assert found.hours.days_off.country == "NO"
    assert date(2026, 12, 7) in found.hours.days_off.personal_days_off
