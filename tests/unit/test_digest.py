"""Digest rules: when it is due, what period it covers, and what reads like a decision."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.digest import (
    EXCERPT_LENGTH,
    ActivityEvent,
    excerpt,
    looks_decided,
    summarise,
    tally_threads,
)
from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import DigestSchedule, TeamPolicy
from bot.services.digest import GRACE, digest_due, digest_period

TEAM = TeamPolicy(name="T", hours=parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"))
MONDAY_0800 = datetime(2026, 11, 30, 7, tzinfo=UTC)
FRIDAY_1600 = datetime(2026, 11, 27, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OK, let's go with option B", True),
        ("We decided to ship on Tuesday", True),
        ("Vi går for alternativ B", True),
        ("Det er bestemt.", True),
        ("Styret har besluttet saken", True),
        ("Hva synes dere?", False),
        ("undecided still", False),
        ("", False),
    ],
)
def test_decision_signal(text: str, expected: bool) -> None:
    assert looks_decided(text) is expected


def test_digest_is_due_from_monday_morning_for_the_grace_period_only() -> None:
    assert digest_due(TEAM, MONDAY_0800 - timedelta(seconds=1)) is None
    assert digest_due(TEAM, MONDAY_0800) == MONDAY_0800
    assert digest_due(TEAM, MONDAY_0800 + timedelta(hours=3)) == MONDAY_0800
    assert digest_due(TEAM, MONDAY_0800 + GRACE + timedelta(seconds=1)) is None


def test_digest_covers_the_closed_stretch_before_the_morning() -> None:
    assert digest_period(TEAM, MONDAY_0800) == FRIDAY_1600
    later = TEAM.with_changes(digest=DigestSchedule(at=time(9, 30)))
    assert digest_due(later, MONDAY_0800 + timedelta(hours=2)) == MONDAY_0800 + timedelta(
        hours=1, minutes=30
    )
    assert digest_period(later, MONDAY_0800 + timedelta(hours=1, minutes=30)) == FRIDAY_1600


def test_weekly_digest_covers_the_week() -> None:
    weekly = TEAM.with_changes(digest=DigestSchedule(weekday=0, at=time(10)))
    end = MONDAY_0800 + timedelta(hours=2)
    assert digest_due(weekly, end) == end
    assert digest_period(weekly, end) == end - timedelta(days=7)


def test_summary_groups_threads_busiest_first() -> None:
    at = FRIDAY_1600 + timedelta(hours=20)
    events = [
        ActivityEvent("C1", "t1", "U1", at),
        ActivityEvent("C1", "t2", "U1", at + timedelta(minutes=1)),
        ActivityEvent("C1", "t2", "U2", at + timedelta(minutes=2), decision_signal=True),
        ActivityEvent("C1", "t2", "U2", at + timedelta(minutes=3)),
    ]
    busiest, quiet = summarise(events)
    assert (busiest.thread, busiest.messages, busiest.people, busiest.looks_decided) == (
        "t2",
        3,
        2,
        True,
    )
    assert (quiet.thread, quiet.messages, quiet.looks_decided) == ("t1", 1, False)


@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "<@U1>",
                    "<@U2|kari>",
                    "<!channel>",
                    "<!here>",
                    "<#C1|general>",
                    "<https://x.no|lenke>",
                    "<!subteam^S1|@legal>",
                    "\n",
                    "<",
                    ">",
                ]
            ),
        ),
        max_size=12,
    ).map("".join)
)
def test_an_excerpt_is_one_short_line_that_notifies_nobody(text: str) -> None:
    line = excerpt(text)
    assert len(line) <= EXCERPT_LENGTH
    assert "\n" not in line
    assert "<" not in line and ">" not in line  # no mention, link or special token survives


def test_excerpt_keeps_what_a_reader_needs() -> None:
    assert excerpt("\n  <@U2|kari> se <#C1|general>, <!here>\nmer") == "@kari se #general, @here"
    assert excerpt("x" * 300).endswith("…")


EVENTS = st.lists(
    st.builds(
        ActivityEvent,
        st.sampled_from(["C1", "C2"]),
        st.sampled_from(["t1", "t2", "t3", "t4"]),
        st.sampled_from(["U1", "U2", "U3"]),
        st.integers(0, 5).map(lambda m: FRIDAY_1600 + timedelta(minutes=m)),
        st.booleans(),
    ),
    max_size=12,
)


@given(EVENTS)
def test_a_thread_is_all_its_messages_whether_alone_or_not(events: list[ActivityEvent]) -> None:
    """Serve's digest and the simulator's (columns at once) group the same way: one entry per
    thread, in order of first message, with its count, people, first and last, decision."""
    grouped: dict[tuple[str, str], list[ActivityEvent]] = {}
    for event in events:
        grouped.setdefault((event.conversation, event.thread), []).append(event)
    expected = [
        (
            key,
            len(items),
            len({e.person for e in items}),
            min(e.at for e in items),
            max(e.at for e in items),
            any(e.decision_signal for e in items),
        )
        for key, items in grouped.items()
    ]
    tally = tally_threads(
        [e.conversation for e in events],
        [e.thread for e in events],
        [e.person for e in events],
        [e.at for e in events],
        [e.decision_signal for e in events],
    )
    found = zip(
        tally.keys,
        tally.messages,
        tally.people,
        tally.first,
        tally.last,
        tally.decided,
        strict=True,
    )
    assert list(found) == expected
    threads = summarise(events)
    assert sorted((t.conversation, t.thread, t.messages, t.people) for t in threads) == sorted(
        (key[0], key[1], messages, people) for key, messages, people, *_ in expected
    )
    # busiest first, then oldest first
    assert [(-t.messages, t.first_at) for t in threads] == sorted(
        (-t.messages, t.first_at) for t in threads
    )
