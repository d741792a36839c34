"""Property tests: next_open / next_close / is_open agree with each other in every zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import WorkingHours
from tests.unit.strategies import hours_and_instant

SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(case=hours_and_instant(), fractions=st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_next_open_is_open_and_nothing_before_it_is(
    case: tuple[WorkingHours, datetime], fractions: list[float]
) -> None:
    hours, t = case
    opening = hours.next_open(t)
    if opening is None:
        assert not hours.is_open(t)
        return
    assert opening >= t
    assert hours.is_open(opening)
    assert hours.next_open(opening) == opening
    if opening > t:
        assert not hours.is_open(t)
        assert not hours.is_open(opening - timedelta(microseconds=1))
        for fraction in fractions:
            between = t + (opening - t) * fraction
            if between < opening:
                assert not hours.is_open(between), between


@SETTINGS
@given(case=hours_and_instant(), fractions=st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_next_close_ends_the_open_stretch(
    case: tuple[WorkingHours, datetime], fractions: list[float]
) -> None:
    hours, t = case
    closing = hours.next_close(t)
    if not hours.is_open(t):
        assert closing == t
        return
    if closing is None:  # open for the whole horizon
        return
    assert closing > t
    assert not hours.is_open(closing)
    assert hours.next_open(closing) != closing
    for fraction in fractions:
        between = t + (closing - t) * fraction
        if between < closing:
            assert hours.is_open(between), between


@SETTINGS
@given(case=hours_and_instant())
def test_previous_close_starts_the_closed_stretch(case: tuple[WorkingHours, datetime]) -> None:
    hours, t = case
    began = hours.previous_close(t)
    if hours.is_open(t):
        assert began is None
        return
    if began is None:
        return
    assert began <= t
    assert hours.is_open(began - timedelta(microseconds=1))
    assert hours.next_open(began) == hours.next_open(t)


@SETTINGS
@given(case=hours_and_instant())
def test_is_open_matches_the_wall_clock_away_from_transitions(
    case: tuple[WorkingHours, datetime],
) -> None:
    """An independent oracle that reads the wall clock, valid where no DST change is near."""
    hours, t = case
    tz = hours.tz
    near = [t + timedelta(hours=h) for h in range(-26, 27)]
    if len({x.astimezone(tz).utcoffset() for x in near}) > 1:
        return
    local = t.astimezone(tz)
    day, wall = local.date(), local.time().replace(tzinfo=None)
    closed_from = hours.days_off.closed_from(day)
    if closed_from is not None and wall >= closed_from:
        assert not hours.is_open(t)
        return
    expected = False
    for w in hours.windows:
        previous = day - timedelta(days=1)
        if w.weekday == day.weekday() and (
            (w.crosses_midnight and wall >= w.start) or (w.start <= wall < w.end)
        ):
            expected = True
        if w.weekday == previous.weekday() and w.crosses_midnight and wall < w.end:
            # the part after midnight lies in today, which is not closed at this wall time
            expected = True
    assert hours.is_open(t) == expected


@SETTINGS
@given(case=hours_and_instant())
def test_the_two_day_answers_equal_the_merged_intervals(
    case: tuple[WorkingHours, datetime],
) -> None:
    """is_open/next_open look at two local days only; the merged open intervals (what they
    were computed from before) must give the same answers, DST edges included."""
    hours, t = case
    first = next(hours.open_intervals(t), None)
    assert hours.is_open(t) == (first is not None and first[0] <= t)
    assert hours.next_open(t) == (None if first is None else max(first[0], t))
    for edge in (first or ())[:2]:
        if edge is not None:
            for probe in (edge - timedelta(microseconds=1), edge):
                again = next(hours.open_intervals(probe), None)
                assert hours.is_open(probe) == (again is not None and again[0] <= probe)
