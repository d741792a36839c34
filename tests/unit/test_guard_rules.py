"""The decision guard's pure rules: the classifier against a corpus, reactions, and guard_end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.guard import (
    guard_end,
    is_approving_reaction,
    reactions_decide,
    reads_like_decision,
)
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import parse_hours
from tests.unit.strategies import hours_and_instant

CORPUS = Path(__file__).parent / "data" / "decision_corpus.tsv"
#: What the classifier must reach on the corpus (README, "Decision guard", reports the figures).
MIN_PRECISION = 0.9
MIN_RECALL = 0.85


def _corpus() -> list[tuple[bool, str, str]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, text = line.split("\t", 2)
        rows.append((label == "1", lang, text))
    return rows


def test_the_corpus_is_big_enough_in_both_languages() -> None:
    rows = _corpus()
    assert len(rows) >= 60
    for lang in ("en", "nb"):
        mine = [row for row in rows if row[1] == lang]
        assert sum(1 for row in mine if row[0]) >= 15, lang
        assert sum(1 for row in mine if not row[0]) >= 15, lang


@pytest.mark.parametrize("lang", ["all", "en", "nb"])
def test_precision_and_recall_on_the_corpus(lang: str) -> None:
    rows = [row for row in _corpus() if lang in ("all", row[1])]
    tp = fp = fn = tn = 0
    wrong = []
    for decided, _, text in rows:
        said = reads_like_decision(text)
        tp += said and decided
        fp += said and not decided
        fn += decided and not said
        tn += not said and not decided
        if said != decided:
            wrong.append(text)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"\ndecision corpus [{lang}]: {len(rows)} lines, precision {precision:.3f}, "
        f"recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn}, tn {tn}); wrong: {wrong}"
    )
    assert precision >= MIN_PRECISION, wrong
    assert recall >= MIN_RECALL, wrong


@pytest.mark.parametrize(
    ("text", "decided"),
    [
        ("vi går for alternativ B", True),
        ("Vi går for alternativ B? 🤔", False),  # an emoji after the question mark
        ("Approved!! 🎉", True),
        ("", False),
        ("ikke godkjent", False),
    ],
)
def test_edges_of_the_classifier(text: str, decided: bool) -> None:
    assert reads_like_decision(text) is decided


def test_reactions() -> None:
    assert is_approving_reaction("white_check_mark")
    assert is_approving_reaction("+1::skin-tone-3")
    assert is_approving_reaction("like")  # Teams
    assert is_approving_reaction("✅")
    assert not is_approving_reaction("heart")
    assert not is_approving_reaction("eyes")
    assert reactions_decide(["U1", "U2"])
    assert not reactions_decide(["U1", "U1"])  # one person's two reactions count once
    assert not reactions_decide([])


OSLO_WEEKDAYS = parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo")


def test_four_working_hours_after_a_sunday_decision_end_monday_at_noon() -> None:
    sunday = datetime(2026, 11, 29, 19, 26, tzinfo=UTC)  # Sun 20:26 Oslo
    assert guard_end(OSLO_WEEKDAYS, sunday, timedelta(hours=4)) == datetime(
        2026, 11, 30, 11, 0, tzinfo=UTC
    )  # Mon 12:00 Oslo


def test_the_grace_runs_over_into_the_next_working_day() -> None:
    friday_late = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # Fri 15:00 Oslo: one hour left
    end = guard_end(OSLO_WEEKDAYS, friday_late, timedelta(hours=4))
    assert end == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Mon 11:00 Oslo


def test_a_dst_night_neither_adds_nor_removes_an_hour() -> None:
    nights = parse_hours("mon-sun 22:00-06:00 tz Europe/Oslo")
    # 2026-10-25 03:00 CEST → 02:00 CET: the night of Sat→Sun lasts nine hours of real time
    start = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # Sat 22:00 CEST
    assert guard_end(nights, start, timedelta(hours=8)) == start + timedelta(hours=8)
    # 2026-03-29 02:00 CET → 03:00 CEST: that night lasts seven hours; the eighth is next night
    spring = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)  # Sat 22:00 CET
    end = guard_end(nights, spring, timedelta(hours=8))
    assert end == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)  # Sun 23:00 CEST


def test_never_open_hours_never_end_the_guard() -> None:
    # hours with no windows at all (the syntax refuses them; the rule must still answer)
    hours = WorkingHours(windows=(), tz=ZoneInfo("UTC"))
    assert guard_end(hours, datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)) is None
    with pytest.raises(ValueError, match="negative"):
        guard_end(OSLO_WEEKDAYS, datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=-1))


@settings(max_examples=150, deadline=None)
@given(case=hours_and_instant(), minutes=st.integers(0, 3 * 24 * 60))
def test_exactly_the_grace_of_open_time_lies_before_the_end(
    case: tuple[WorkingHours, datetime], minutes: int
) -> None:
    hours, decided = case
    grace = timedelta(minutes=minutes)
    end = guard_end(hours, decided, grace)
    if end is None:
        return
    assert end >= decided
    worked = sum(((b - a) for a, b in hours.intervals_between(decided, end)), start=timedelta(0))
    assert worked == grace
    if grace > timedelta(0) and end > decided:
        # it ends inside working time, never in the closed stretch after it
        assert hours.is_open(end - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(case=hours_and_instant(), a=st.integers(0, 2000), b=st.integers(0, 2000))
def test_more_grace_never_ends_sooner(case: tuple[WorkingHours, datetime], a: int, b: int) -> None:
    hours, decided = case
    short, long = sorted((a, b))
    first = guard_end(hours, decided, timedelta(minutes=short))
    second = guard_end(hours, decided, timedelta(minutes=long))
    if first is not None and second is not None:
        assert first <= second
