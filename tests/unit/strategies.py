"""Hypothesis strategies shared by the time-arithmetic property tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from bot.domain.calendar import HolidayRule
from bot.domain.hours import Window, WorkingHours

ZONES = [
    "Europe/Oslo",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
]

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2028, 12, 31, tzinfo=UTC)


def transitions(zone: ZoneInfo) -> list[datetime]:
    """UTC instants where ``zone``'s offset changes between START and END (hour resolution)."""
    found = []
    probe = START
    previous = probe.astimezone(zone).utcoffset()
    while probe < END:
        probe += timedelta(hours=1)
        offset = probe.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(probe)
            previous = offset
    return found


_TRANSITIONS = {name: transitions(ZoneInfo(name)) for name in ZONES}

# Window edges cluster around the night hours where DST transitions happen, and on quarter hours
# (Chatham's transitions are at 02:45 local).
clock = st.one_of(
    st.builds(time, st.integers(0, 4), st.sampled_from([0, 15, 30, 45])),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)

windows = (
    st.tuples(st.integers(0, 6), clock, clock)
    .filter(lambda w: w[1] != w[2] or w[1] == time(0))
    .map(lambda w: Window(*w))
)


@st.composite
def working_hours(draw: st.DrawFn, zone: str | None = None) -> WorkingHours:
    zone_name = zone or draw(st.sampled_from(ZONES))
    chosen = draw(st.lists(windows, min_size=1, max_size=6))
    rule = HolidayRule()
    if draw(st.booleans()):
        rule = HolidayRule(
            country="NO",
            eve_from=draw(st.sampled_from([None, time(18)])),
            major_eve_from=draw(st.sampled_from([None, time(15)])),
            sunday_is_rest_day=draw(st.booleans()),
            personal_days_off=frozenset(
                draw(st.lists(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=20))
            ),
        )
    return WorkingHours(windows=tuple(chosen), tz=ZoneInfo(zone_name), days_off=rule)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Any instant in 2025-2028, often within a few hours of one of ``zone``'s DST transitions."""
    if _TRANSITIONS[zone] and draw(st.booleans()):
        pivot = draw(st.sampled_from(_TRANSITIONS[zone]))
        return pivot + timedelta(seconds=draw(st.integers(-4 * 3600, 4 * 3600)))
    seconds = int((END - START).total_seconds())
    return START + timedelta(seconds=draw(st.integers(0, seconds)))


@st.composite
def hours_and_instant(draw: st.DrawFn) -> tuple[WorkingHours, datetime]:
    zone = draw(st.sampled_from(ZONES))
    return draw(working_hours(zone)), draw(instants(zone))
