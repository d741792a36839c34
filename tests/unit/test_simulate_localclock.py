"""A zone's local fields for a whole array of quarters are what the clock gives one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.simulate.localclock import QUARTER, LocalClock

#: zones with DST changes at odd instants and offsets of half and three quarter hours
ZONES = (
    "Europe/Oslo",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # DST of half an hour
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 / -02:30
    "Europe/Dublin",  # "negative DST" in tzdata
)
#: days with a DST change somewhere among the zones, 2026 (and a quiet one)
CHANGES = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 4, 5, tzinfo=UTC),
    datetime(2026, 9, 27, tzinfo=UTC),
    datetime(2026, 10, 4, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 6, 15, tzinfo=UTC),
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGES),
    st.lists(st.integers(-96, 2 * 96), min_size=1, max_size=40),
)
def test_fields_of_many_quarters_are_each_quarters(
    zone: str, around: datetime, offsets: list[int]
) -> None:
    clock = LocalClock(ZoneInfo(zone), lambda day: day % 3 == 0)
    base = int(around.timestamp()) // QUARTER
    quarters = np.array([base + n for n in offsets], np.int64)
    found = clock.fields(quarters).tolist()
    assert found == [
        list(LocalClock(ZoneInfo(zone), lambda d: d % 3 == 0).at(q)) for q in quarters.tolist()
    ]


def test_every_quarter_of_a_dst_weekend_in_every_zone() -> None:
    for zone in ZONES:
        for around in CHANGES:
            base = int(around.timestamp()) // QUARTER
            quarters = np.arange(base - 96, base + 2 * 96, dtype=np.int64)
            clock = LocalClock(ZoneInfo(zone))
            expected = [list(clock.at(q)) for q in quarters.tolist()]
            assert LocalClock(ZoneInfo(zone)).fields(quarters).tolist() == expected, zone


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGES),
    st.lists(
        st.tuples(st.integers(-30 * 96, 30 * 96), st.integers(0, 3 * 96), st.integers(1, 30)),
        min_size=1,
        max_size=12,
    ),
)
def test_one_clock_asked_date_after_date_answers_each_quarter(
    zone: str, around: datetime, asks: list[tuple[int, int, int]]
) -> None:
    """A clock remembers the week after what it was asked: what it answers later from that
    (dates in order, back in time, far ahead) is still each quarter's own fields."""
    clock = LocalClock(ZoneInfo(zone), lambda day: day % 3 == 0)
    one_by_one = LocalClock(ZoneInfo(zone), lambda day: day % 3 == 0)
    base = int(around.timestamp()) // QUARTER
    for start, width, count in asks:
        quarters = base + start + np.linspace(0, width, count).astype(np.int64)
        assert clock.fields(quarters).tolist() == [
            list(one_by_one.at(q)) for q in quarters.tolist()
        ]


def test_quarters_far_apart_are_answered_as_asked() -> None:
    clock = LocalClock(ZoneInfo("Europe/Oslo"))
    quarters = np.array([0, 10**6, 2 * 10**6], np.int64)  # 1970 .. 2027
    assert clock.fields(quarters).tolist() == [list(clock.at(q)) for q in quarters.tolist()]
