"""The simulator's streaming patterns give the insights' own figures (``personal_weeks``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import WorkingHours
from bot.domain.insights import person_activity, personal_weeks, week_of
from bot.simulate.patterns import PersonPatterns, day_edges
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
