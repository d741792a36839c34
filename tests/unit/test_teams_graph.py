"""Reading Outlook working hours (Microsoft Graph) into our hours syntax."""

from __future__ import annotations

from datetime import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.graph import (
    OutlookHours,
    hours_spec,
    iana_zone,
    parse_working_hours,
    same_zone,
)
from bot.domain.hours_syntax import parse_hours


def test_a_typical_outlook_week_becomes_our_syntax() -> None:
    found = parse_working_hours(
        {
            "daysOfWeek": ["friday", "monday", "tuesday", "wednesday", "thursday"],
            "startTime": "08:00:00.0000000",
            "endTime": "16:30:00.0000000",
            "timeZone": {"name": "W. Europe Standard Time"},
        }
    )
    assert found == OutlookHours((0, 1, 2, 3, 4), time(8), time(16, 30), "Europe/Oslo")
    spec = hours_spec(found, None)
    assert spec == "mon,tue,wed,thu,fri 08:00-16:30 tz Europe/Oslo"
    assert parse_hours(spec).tz.key == "Europe/Oslo"


def test_zones_outlook_names_either_way() -> None:
    assert iana_zone("Pacific Standard Time") == "America/Los_Angeles"
    assert iana_zone("Europe/Stockholm") == "Europe/Stockholm"  # Outlook may report IANA
    assert iana_zone("Mars Standard Time") is None
    assert iana_zone(None) is None


def test_a_person_in_stockholm_keeps_their_own_zone_name() -> None:
    oslo = OutlookHours((0,), time(8), time(16), "Europe/Oslo")
    assert same_zone(oslo, "Europe/Stockholm").zone == "Europe/Stockholm"  # same clock all year
    assert same_zone(oslo, "Europe/London").zone == "Europe/Oslo"  # a different clock
    unknown = OutlookHours((0,), time(8), time(16), None)
    assert hours_spec(unknown, "Asia/Kolkata").endswith("tz Asia/Kolkata")


@given(
    st.dictionaries(
        st.sampled_from(["daysOfWeek", "startTime", "endTime", "timeZone", "other"]),
        st.one_of(
            st.none(),
            st.text(max_size=30),
            st.lists(st.sampled_from(["monday", "sunday", "funday", ""]), max_size=8),
            st.dictionaries(st.just("name"), st.text(max_size=40)),
        ),
    )
)
def test_whatever_graph_answers_is_read_or_ignored(body: dict[str, Any]) -> None:
    found = parse_working_hours(body)
    if found is not None:
        parse_hours(hours_spec(found, "Europe/Oslo"))  # always a spec we can read back
