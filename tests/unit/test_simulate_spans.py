"""The replay's remembered spans answer exactly what ``decide`` answers, instant by instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.audience import MembersHours
from bot.domain.decisions import (
    Action,
    Audience,
    ChannelAudience,
    MembersAudience,
    PersonAudience,
    decide,
)
from bot.domain.hours import WorkingHours
from bot.domain.policy import Mode, Person, TeamPolicy
from bot.simulate.spans import (
    DELIVER,
    HOLD,
    LABEL,
    DecisionSpans,
    members_open_until,
    open_until,
)
from tests.unit.strategies import instants, working_hours


def _expected(audience: Audience, at: datetime) -> tuple[int, float | None]:
    decision = decide(sender="", audience=audience, at=at)
    if decision.action is Action.HOLD:
        return HOLD, decision.deliver_at.timestamp()
    if decision.label_until is not None:
        return LABEL, decision.label_until.timestamp()
    return DELIVER, None


@st.composite
def cases(draw: st.DrawFn) -> tuple[WorkingHours, Mode, list[datetime]]:
    zone = draw(st.sampled_from(["Europe/Oslo", "America/New_York", "Pacific/Chatham"]))
    hours = draw(working_hours(zone))
    mode = draw(st.sampled_from([Mode.HOLD, Mode.LABEL, Mode.OFF]))
    start = draw(instants(zone))
    # messages in time order, minutes to days apart, as an export replays them; some at once
    gaps = draw(st.lists(st.integers(0, 3 * 86400), min_size=1, max_size=40))
    moments, at = [], start
    for gap in gaps:
        at += timedelta(seconds=gap, microseconds=draw(st.integers(0, 999_999)))
        moments.append(at)
    if draw(st.booleans()):  # and out of order: spans must still answer right
        moments = draw(st.permutations(moments))
    return hours, mode, list(moments)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_team_spans_answer_as_decide(case: tuple[WorkingHours, Mode, list[datetime]]) -> None:
    hours, mode, moments = case
    audience = ChannelAudience("C1", team=TeamPolicy(name="t", hours=hours, mode=mode))
    spans = DecisionSpans(audience, open_until(hours))
    for at in moments:
        assert spans.at(at.timestamp()) == _expected(audience, at), at


@settings(max_examples=100, deadline=None)
@given(cases())
def test_person_spans_answer_as_decide(case: tuple[WorkingHours, Mode, list[datetime]]) -> None:
    hours, mode, moments = case
    team = TeamPolicy(name="t", hours=hours, mode=mode)
    audience = PersonAudience(Person(id="U1", name="u", hours=hours), team=team)
    spans = DecisionSpans(audience, open_until(hours))
    for at in moments:
        assert spans.at(at.timestamp()) == _expected(audience, at), at


@settings(max_examples=60, deadline=None)
@given(cases(), st.lists(st.tuples(working_hours(), st.integers(1, 3)), min_size=1, max_size=3))
def test_members_spans_answer_as_decide(
    case: tuple[WorkingHours, Mode, list[datetime]],
    others: list[tuple[WorkingHours, int]],
) -> None:
    """``--audience members`` and group DMs: half of the members, each in their own hours."""
    hours, mode, moments = case
    members = MembersHours.of([hours] + [h for h, n in others for _ in range(n)], hours.tz)
    team = TeamPolicy(name="t", hours=hours, mode=mode)
    audience = MembersAudience("C1", members, team)
    spans = DecisionSpans(audience, members_open_until(members))
    for at in moments[:12]:
        assert spans.at(at.timestamp()) == _expected(audience, at), at


def test_one_decide_per_stretch() -> None:
    """A week of messages every ten minutes asks ``decide`` about once per open or closed
    stretch, not once per message (this is where the replay's speed comes from)."""
    from bot.presets import load_preset

    policy = load_preset("norway-aml").to_policy("t")
    spans = DecisionSpans(ChannelAudience("C1", team=policy), open_until(policy.hours))
    start = datetime(2026, 3, 23, tzinfo=UTC)  # Monday; the week of the spring DST change
    moments = [start + timedelta(minutes=10 * n) for n in range(7 * 24 * 6)]
    answers = [spans.at(at.timestamp()) for at in moments]
    assert answers == [_expected(ChannelAudience("C1", team=policy), at) for at in moments]
    # Mon-Fri: open and closed once a day (10), the weekend one closed stretch: 11 stretches
    assert spans.misses <= 12
