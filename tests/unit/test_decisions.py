"""Decisions: who is protected, when a message is held until, and the reason people read."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.decisions import Action, ChannelAudience, PersonAudience, decide
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import (
    DigestSchedule,
    Mode,
    ModeNotAllowedError,
    Person,
    TeamPolicy,
    UrgentRule,
    UrgentWho,
)
from tests.unit.strategies import hours_and_instant

FRIDAY_EVENING = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 17:30 in Oslo
MONDAY_OPEN = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Oslo
OFFICE = parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo holidays NO")
KARI = Person(id="U_KARI", name="Kari", hours=OFFICE, locale="nb")
TEAM = TeamPolicy(name="Platform", hours=OFFICE, leaders=frozenset({"U_LEAD"}))


def test_friday_evening_dm_is_held_until_monday_with_a_readable_reason() -> None:
    decision = decide(sender="U_OLA", audience=PersonAudience(KARI), at=FRIDAY_EVENING)
    assert decision.action is Action.HOLD
    assert decision.deliver_at == MONDAY_OPEN
    assert decision.explain("en", now=FRIDAY_EVENING) == (
        "Kari's hours start Mon 08:00 Europe/Oslo."
    )
    assert decision.explain("nb", now=FRIDAY_EVENING) == (
        "Arbeidstiden til Kari starter man. 08:00 (Europe/Oslo)."
    )


def test_far_away_openings_show_the_date() -> None:
    decision = decide(sender="U_OLA", audience=PersonAudience(KARI), at=FRIDAY_EVENING)
    assert decision.explain("en", now=datetime(2026, 11, 1, tzinfo=UTC)) == (
        "Kari's hours start Mon 30 Nov 08:00 Europe/Oslo."
    )


def test_message_within_hours_goes_now() -> None:
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    decision = decide(sender="U_OLA", audience=PersonAudience(KARI), at=at)
    assert (decision.action, decision.deliver_at) == (Action.DELIVER, at)


def test_personal_hours_override_the_team_default_for_messages_to_that_person() -> None:
    evening_person = Person(
        id="U_NINA",
        name="Nina",
        hours=parse_hours("mon-fri 08:00-14:30 20:00-22:00 tz Europe/Oslo"),
    )
    at = datetime(2026, 11, 30, 19, 30, tzinfo=UTC)  # Mon 20:30 Oslo
    to_nina = decide(sender="U_OLA", audience=PersonAudience(evening_person, TEAM), at=at)
    to_kari = decide(sender="U_OLA", audience=PersonAudience(KARI, TEAM), at=at)
    assert to_nina.action is Action.DELIVER
    assert to_kari.action is Action.HOLD


def test_person_without_hours_falls_back_to_team_hours() -> None:
    nobody = Person(id="U_X", name="Per")
    decision = decide(sender="U_OLA", audience=PersonAudience(nobody, TEAM), at=FRIDAY_EVENING)
    assert decision.deliver_at == MONDAY_OPEN


def test_channel_in_label_mode_delivers_now_with_a_label_until_opening() -> None:
    team = TEAM.with_changes(mode=Mode.LABEL)
    decision = decide(sender="U_OLA", audience=ChannelAudience("C1", team), at=FRIDAY_EVENING)
    assert decision.action is Action.DELIVER
    assert decision.label_until == MONDAY_OPEN
    assert decision.explain("en", now=FRIDAY_EVENING) == (
        "No reply expected — replies are due from Mon 08:00 Europe/Oslo."
    )


def test_channel_without_policy_and_team_with_mode_off_deliver_now() -> None:
    assert decide(sender="U", audience=ChannelAudience("C1"), at=FRIDAY_EVENING).action is (
        Action.DELIVER
    )
    off = TEAM.with_changes(mode=Mode.OFF)
    decision = decide(sender="U", audience=ChannelAudience("C1", off), at=FRIDAY_EVENING)
    assert decision.action is Action.DELIVER
    assert decision.label_until is None


def test_urgent_override_delivers_now_and_is_marked() -> None:
    decision = decide(
        sender="U_OLA",
        audience=ChannelAudience("C1", TEAM),
        at=FRIDAY_EVENING,
        urgent=True,
        sender_name="Ola",
    )
    assert decision.action is Action.DELIVER
    assert decision.urgent
    # an urgent post asks for an answer now: never "no reply expected", in any mode
    assert decision.label_until is None
    assert decision.explain("en") == "Marked urgent by Ola: delivered now."


@pytest.mark.parametrize("mode", [Mode.HOLD, Mode.LABEL])
def test_urgent_override_is_never_labelled_in_any_mode(mode: Mode) -> None:
    decision = decide(
        sender="U_OLA",
        audience=ChannelAudience("C1", TEAM.with_changes(mode=mode)),
        at=FRIDAY_EVENING,
        urgent=True,
    )
    assert (decision.action, decision.urgent, decision.label_until) == (
        Action.DELIVER,
        True,
        None,
    )


def test_urgent_refused_for_people_the_policy_does_not_allow() -> None:
    team = TEAM.with_changes(urgent=UrgentRule(UrgentWho.LEADERS))
    refused = decide(
        sender="U_OLA", audience=ChannelAudience("C1", team), at=FRIDAY_EVENING, urgent=True
    )
    assert refused.action is Action.HOLD
    assert refused.urgent_refused
    assert not refused.urgent
    assert refused.explain("en", now=FRIDAY_EVENING) == (
        "Only team leaders may mark messages urgent here. Platform's hours start Mon 08:00 "
        "Europe/Oslo."
    )
    granted = decide(
        sender="U_LEAD", audience=ChannelAudience("C1", team), at=FRIDAY_EVENING, urgent=True
    )
    assert granted.urgent


def test_mode_restrictions_are_enforced() -> None:
    with pytest.raises(ModeNotAllowedError):
        TeamPolicy(
            name="Lisboa",
            hours=OFFICE,
            mode=Mode.LABEL,
            preset="portugal-199a",
            allowed_modes=frozenset({Mode.HOLD}),
            mode_restriction_reason="contact in rest periods is the breach",
        )


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (FRIDAY_EVENING, MONDAY_OPEN),  # weekend
        (MONDAY_OPEN, datetime(2026, 12, 7, 7, tzinfo=UTC)),  # next weekend's Monday
        (datetime(2026, 5, 12, 10, tzinfo=UTC), datetime(2026, 5, 15, 6, tzinfo=UTC)),  # Ascension
        (datetime(2026, 12, 23, 10, tzinfo=UTC), datetime(2026, 12, 28, 7, tzinfo=UTC)),
    ],
)
def test_default_digest_is_the_first_working_morning_after_a_rest_day(
    after: datetime, expected: datetime
) -> None:
    assert TEAM.next_digest_at(after) == expected


def test_digest_at_a_set_time_and_weekday() -> None:
    later_in_the_morning = TEAM.with_changes(digest=DigestSchedule(at=time(9, 30)))
    assert later_in_the_morning.next_digest_at(FRIDAY_EVENING) == datetime(
        2026, 11, 30, 8, 30, tzinfo=UTC
    )
    weekly = TEAM.with_changes(digest=DigestSchedule(weekday=2, at=time(10)))
    assert weekly.next_digest_at(FRIDAY_EVENING) == datetime(2026, 12, 2, 9, tzinfo=UTC)


def test_team_that_never_rests_a_whole_day_has_no_automatic_digest() -> None:
    always = TeamPolicy(name="Ops", hours=parse_hours("daily 08:00-16:00 tz UTC"))
    assert always.next_digest_at(FRIDAY_EVENING) is None


# -- decided against the time of handling too (a retried or late event) -----------------------

SUNDAY_2359 = datetime(2026, 11, 29, 22, 59, tzinfo=UTC)  # 23:59 in Oslo: still quiet


@pytest.mark.parametrize("mode", [Mode.HOLD, Mode.LABEL])
def test_hours_that_began_before_handling_leave_the_message_alone(mode: Mode) -> None:
    team = TeamPolicy(name="Platform", hours=OFFICE, mode=mode)
    late = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # handled Mon 08:05, written Sun 23:59
    decision = decide(
        sender="U_OLA", audience=ChannelAudience("C1", team), at=SUNDAY_2359, handled_at=late
    )
    assert (decision.action, decision.label_until) == (Action.DELIVER, None)
    assert decision.explain("en") == "Platform is within working hours."


def test_still_quiet_at_handling_waits_for_the_next_opening_after_handling() -> None:
    evening = TeamPolicy(name="Evening", hours=parse_hours("mon-fri 08:00-08:10 tz Europe/Oslo"))
    handled = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # Mon 08:30: opened and closed again
    decision = decide(
        sender="U_OLA", audience=ChannelAudience("C1", evening), at=SUNDAY_2359, handled_at=handled
    )
    assert decision.held
    assert decision.deliver_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tue 08:00


@settings(max_examples=300, deadline=None)
@given(hours_and_instant(), st.integers(0, 3 * 86400), st.sampled_from([Mode.HOLD, Mode.LABEL]))
def test_a_decision_never_points_before_the_time_of_handling(
    hours_at: tuple[WorkingHours, datetime], delay: int, mode: Mode
) -> None:
    hours, at = hours_at
    handled = at + timedelta(seconds=delay)
    team = TeamPolicy(name="T", hours=hours, mode=mode)
    decision = decide(sender="U", audience=ChannelAudience("C", team), at=at, handled_at=handled)
    if hours.is_open(handled):
        assert (decision.action, decision.label_until) == (Action.DELIVER, None)
    if decision.held:
        assert decision.deliver_at > handled
    if decision.label_until is not None:
        assert decision.label_until > handled


def test_a_reason_never_names_the_default_by_its_internal_name() -> None:
    from bot.domain.decisions import Reason
    from bot.domain.policy import DEFAULT_POLICY_NAME

    reason = Reason("decision.deliver.mode_off", {"audience": DEFAULT_POLICY_NAME})
    assert reason.text("nb") == "Stilletid er slått av for arbeidsområdets standard."
    assert reason.text("en") == "Quiet hours are turned off for the workspace default."
