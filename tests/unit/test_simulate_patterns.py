"""The simulator's streaming patterns give the insights' own figures (``personal_weeks``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import WorkingHours
from bot.domain.insights import person_activity, personal_weeks, week_of
from bot.simulate.patterns import PersonPatterns, day_edges, rest_and_span_all
from tests.unit.strategies import working_hours

ZONE = "Europe/Oslo"
#: three weeks around the spring DST change, with Easter (holidays when the hours have them)
START = datetime.combine(date(2026, 3, 23), time(0), ZoneInfo(ZONE))
END = START + timedelta(days=21)


@settings(max_examples=120, deadline=None)
@given(
    working_hours(ZONE),
    st.lists(st.integers(0, int((END - START).total_seconds()) - 1), max_size=60),
)
def test_streaming_patterns_equal_personal_weeks(hours: WorkingHours, offsets: list[int]) -> None:
    tz = hours.tz
    start, end = START, END.astimezone(tz).replace(hour=0)
    end = datetime.combine(end.date(), time(0), tz)
    messages = sorted(start + timedelta(seconds=s) for s in offsets)
    messages = [at for at in messages if at < end]

    def rest_day(day: date) -> bool:
        return hours.days_off.is_rest_day(day)

    records = person_activity("p", messages, tz=tz, hours=hours, start=start, end=end)
    first_day = start.astimezone(tz).date()
    weeks = sorted({week_of(first_day + timedelta(days=n)) for n in range(22)})
    expected = personal_weeks(records, weeks, tz=tz, rest_day=rest_day)

    patterns = PersonPatterns(tz)
    for at in messages:
        local = at.astimezone(tz)
        patterns.add(
            at.timestamp(),
            local.date().toordinal(),
            local.hour * 60 + local.minute,
            outside_hours=not hours.is_open(at),
            rest_day=local.weekday() == 6 or rest_day(local.date()),
        )
    presumed = person_activity("", (), tz=tz, hours=hours, start=start, end=end)
    patterns.finish(day_edges(presumed))

    assert patterns.figures() == {
        "messages": sum(w.messages for w in expected),
        "outside_hours": sum(w.outside_hours for w in expected),
        "evenings": sum(w.evenings for w in expected),
        "nights": sum(w.nights for w in expected),
        "sundays_holidays": sum(w.sundays_holidays for w in expected),
        "short_rest_days": sum(w.short_rest_days for w in expected),
        "long_weeks": sum(w.long_week for w in expected),
    }


_EDGES = st.dictionaries(
    st.integers(739_700, 739_730),  # a month of day ordinals
    st.tuples(st.floats(0, 86_400), st.floats(0, 86_400)).map(sorted),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), _EDGES), min_size=1, max_size=5),
    st.lists(_EDGES, min_size=2, max_size=2),
)
def test_rest_and_span_of_everyone_at_once_is_each_persons(
    people: list[tuple[int, dict[int, list[float]]]], zones: list[dict[int, list[float]]]
) -> None:
    """The replay works out every author's rest and span in one go; each must be what
    ``finish`` (:func:`rest_and_span` over their days merged into their zone's) gives."""

    def at(day: int, seconds: float) -> float:
        return (day - 719_163) * 86_400.0 + seconds  # ordinal 719163 is 1970-01-01

    presumed = [
        {day: (at(day, a), at(day, b)) for day, (a, b) in sorted(edges.items())} for edges in zones
    ]
    rows = [
        (number, day, at(day, a), at(day, b))
        for number, (_, edges) in enumerate(people)
        for day, (a, b) in sorted(edges.items())
    ]
    author, day, first, last = (np.array([row[n] for row in rows]) for n in range(4))
    short, long = rest_and_span_all(
        author.astype(np.int64).reshape(-1),
        day.astype(np.int64).reshape(-1),
        first.astype(np.float64).reshape(-1),
        last.astype(np.float64).reshape(-1),
        np.array([zone for zone, _ in people], np.int64),
        presumed,
        block=2,  # several blocks of authors
    )
    for number, (zone, edges) in enumerate(people):
        patterns = PersonPatterns(ZoneInfo(ZONE))
        days = sorted(edges)
        patterns.add_days(
            days, [at(d, edges[d][0]) for d in days], [at(d, edges[d][1]) for d in days]
        )
        patterns.finish(presumed[zone])
        assert (patterns.short_rest_days, patterns.long_weeks) == (short[number], long[number])
