"""Norwegian public holidays and the § 10-10 eves rule, 2026-2027."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import HolidayRule, is_public_holiday
from bot.domain.hours import Window, WorkingHours

NORWAY = HolidayRule(country="NO")
NORWAY_AML = HolidayRule(
    country="NO", eve_from=time(18), major_eve_from=time(15), sunday_is_rest_day=True
)

HOLIDAYS = {
    2026: [
        date(2026, 1, 1),
        date(2026, 4, 2),  # Maundy Thursday
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 5),  # Easter Sunday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 17),  # Constitution Day (a Sunday)
        date(2026, 5, 24),  # Whit Sunday
        date(2026, 5, 25),  # Whit Monday
        date(2026, 12, 25),
        date(2026, 12, 26),
    ],
    2027: [
        date(2027, 1, 1),
        date(2027, 3, 25),
        date(2027, 3, 26),
        date(2027, 3, 28),
        date(2027, 3, 29),
        date(2027, 5, 1),
        date(2027, 5, 6),
        date(2027, 5, 16),
        date(2027, 5, 17),  # Whit Monday and Constitution Day
        date(2027, 12, 25),
        date(2027, 12, 26),
    ],
}


@pytest.mark.parametrize("year", [2026, 2027])
def test_public_holidays(year: int) -> None:
    found = [
        d
        for d in (date.fromordinal(date(year, 1, 1).toordinal() + n) for n in range(365))
        if is_public_holiday(d, "NO")
    ]
    assert found == HOLIDAYS[year]


@pytest.mark.parametrize(
    ("day", "closed_from"),
    [
        (date(2025, 12, 31), time(18)),  # eve of New Year's Day
        (date(2026, 1, 1), time(0)),
        (date(2026, 4, 1), time(18)),  # eve of Maundy Thursday
        (date(2026, 4, 2), time(0)),
        (date(2026, 4, 3), time(0)),
        (date(2026, 4, 4), time(15)),  # Easter Eve
        (date(2026, 4, 5), time(0)),
        (date(2026, 4, 6), time(0)),
        (date(2026, 4, 7), None),
        (date(2026, 4, 30), time(18)),
        (date(2026, 5, 13), time(18)),  # eve of Ascension
        (date(2026, 5, 16), time(18)),  # eve of 17 May (and of a Sunday)
        (date(2026, 5, 23), time(15)),  # Whitsun Eve
        (date(2026, 5, 25), time(0)),
        (date(2026, 11, 25), None),  # an ordinary Wednesday
        (date(2026, 11, 28), time(18)),  # an ordinary Saturday: eve of Sunday
        (date(2026, 11, 29), time(0)),  # an ordinary Sunday
        (date(2026, 12, 24), time(15)),  # Christmas Eve
        (date(2026, 12, 25), time(0)),
        (date(2026, 12, 26), time(0)),
        (date(2026, 12, 31), time(18)),
        (date(2027, 3, 24), time(18)),
        (date(2027, 3, 27), time(15)),  # Easter Eve 2027
        (date(2027, 4, 30), time(18)),  # eve of 1 May (a Saturday)
        (date(2027, 5, 15), time(15)),  # Whitsun Eve 2027
        (date(2027, 5, 17), time(0)),
        (date(2027, 5, 18), None),
        (date(2027, 12, 24), time(15)),
        (date(2027, 12, 31), time(18)),
    ],
)
def test_eves_rule(day: date, closed_from: time | None) -> None:
    assert NORWAY_AML.closed_from(day) == closed_from


def test_without_the_eves_rule_only_holidays_close() -> None:
    assert NORWAY.closed_from(date(2026, 12, 24)) is None
    assert NORWAY.closed_from(date(2026, 11, 29)) is None  # Sunday is not a holiday by itself
    assert NORWAY.closed_from(date(2026, 12, 25)) == time(0)


def test_christmas_eve_closes_at_three_in_oslo() -> None:
    hours = WorkingHours(
        windows=tuple(Window(d, time(8), time(20)) for d in range(7)),
        tz=ZoneInfo("Europe/Oslo"),
        days_off=NORWAY_AML,
    )
    assert hours.next_close(datetime(2026, 12, 24, 7, tzinfo=UTC)) == datetime(
        2026, 12, 24, 14, tzinfo=UTC
    )
    # closed through Christmas and the Sunday after; open Monday 28th
    assert hours.next_open(datetime(2026, 12, 24, 14, tzinfo=UTC)) == datetime(
        2026, 12, 28, 7, tzinfo=UTC
    )


def test_personal_days_off_close_whole_days() -> None:
    rule = HolidayRule(personal_days_off=frozenset({date(2026, 12, 1)}))
    hours = WorkingHours(
        windows=(Window(1, time(8), time(16)), Window(2, time(8), time(16))),
        tz=ZoneInfo("Europe/Oslo"),
        days_off=rule,
    )
    assert hours.next_open(datetime(2026, 11, 30, 20, tzinfo=UTC)) == datetime(
        2026, 12, 2, 7, tzinfo=UTC
    )
