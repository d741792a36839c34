"""Dates and times from Babel's locale data: "man. 30. nov. 08:00" in bokmål, "Mon 30 Nov 08:00"
in English, always the reader's wall clock in the zone given (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import format_clock, format_day, format_instant, weekday_name
from tests.unit.strategies import END, START, ZONES

OSLO = ZoneInfo("Europe/Oslo")
MONDAY_0800 = datetime(2026, 11, 30, 7, tzinfo=UTC)  # 08:00 in Oslo


@pytest.mark.parametrize(
    ("locale", "far", "near"),
    [
        ("en", "Mon 30 Nov 08:00 Europe/Oslo", "Mon 08:00 Europe/Oslo"),
        ("nb", "man. 30. nov. 08:00 (Europe/Oslo)", "man. 08:00 (Europe/Oslo)"),
    ],
)
def test_an_instant_reads_with_its_date_unless_it_is_within_the_week(
    locale: str, far: str, near: str
) -> None:
    assert format_instant(MONDAY_0800, OSLO, locale) == far
    friday = MONDAY_0800 - timedelta(days=3)
    assert format_instant(MONDAY_0800, OSLO, locale, now=friday) == near
    three_weeks_before = MONDAY_0800 - timedelta(weeks=3)
    assert format_instant(MONDAY_0800, OSLO, locale, now=three_weeks_before) == far


def test_the_zone_can_be_left_out_and_the_day_is_the_local_one() -> None:
    # 23:30 UTC on Sunday is already Monday 00:30 in Oslo
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert format_instant(late, OSLO, "nb", with_zone=False) == "man. 30. nov. 00:30"
    assert format_instant(late, ZoneInfo("America/New_York"), "en") == (
        "Sun 29 Nov 18:30 America/New_York"
    )


def test_summer_time_is_the_clock_people_see() -> None:
    summer = datetime(2026, 6, 15, 6, tzinfo=UTC)  # CEST: 08:00 in Oslo
    assert format_instant(summer, OSLO, "nb") == "man. 15. juni 08:00 (Europe/Oslo)"
    assert format_instant(summer, OSLO, "en") == "Mon 15 Jun 08:00 Europe/Oslo"


def test_weekday_and_day_names_come_from_the_locale_data() -> None:
    assert [weekday_name(d, "nb") for d in range(7)] == [
        "man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn.",
    ]  # fmt: skip
    assert [weekday_name(d, "en", short=False) for d in (0, 6)] == ["Monday", "Sunday"]
    assert weekday_name(2, "nb", short=False) == "onsdag"
    assert format_day(date(2026, 12, 24), "nb") == "tor. 24. des."
    assert format_day(date(2026, 12, 24), "en") == "Thu 24 Dec"
    assert format_clock(time(7, 5), "nb") == format_clock(time(7, 5), "en") == "07:05"


@given(
    instant=st.datetimes(
        min_value=START.replace(tzinfo=None),
        max_value=END.replace(tzinfo=None),
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from(ZONES),
    locale=st.sampled_from(["en", "nb"]),
)
def test_the_text_is_the_wall_clock_of_the_zone(instant: datetime, zone: str, locale: str) -> None:
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    text = format_instant(instant, tz, locale, with_zone=False)
    assert text == f"{format_day(local.date(), locale)} {local:%H:%M}"
    assert text.startswith(weekday_name(local.weekday(), locale))
