"""Days off: the ``/quiet off`` syntax (property-tested) and absences taken out of hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.absence import Absence, always_open
from bot.domain.days_off_syntax import (
    MAX_SPAN_DAYS,
    DaysOffAction,
    DaysOffRequest,
    DaysOffSyntaxError,
    parse_days_off,
)
from bot.domain.decisions import PersonAudience, decide
from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import Person, TeamPolicy

OSLO = ZoneInfo("Europe/Oslo")
TODAY = date(2026, 12, 5)  # a Saturday
SEPARATORS = ["..", "-", "–", "—", " - ", " – ", " to ", " til ", " until ", "\u2212"]


def iso(day: date) -> str:
    return day.isoformat()


def dotted(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def short(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year % 100:02d}"


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("2026-12-21..2027-01-03", date(2026, 12, 21), date(2027, 1, 3)),
        ("21.12–3.1", date(2026, 12, 21), date(2027, 1, 3)),
        ("21.12. - 3.1.", date(2026, 12, 21), date(2027, 1, 3)),
        ("fra 21.12 til 3.1", date(2026, 12, 21), date(2027, 1, 3)),
        ("from 2026-12-21 to 2027-01-03", date(2026, 12, 21), date(2027, 1, 3)),
        ("today", TODAY, TODAY),
        ("I dag", TODAY, TODAY),
        ("tomorrow", date(2026, 12, 6), date(2026, 12, 6)),
        ("i  morgen", date(2026, 12, 6), date(2026, 12, 6)),
        ("overmorgen", date(2026, 12, 7), date(2026, 12, 7)),
        ("saturday", TODAY, TODAY),  # a weekday is its next date, today included
        ("monday", date(2026, 12, 7), date(2026, 12, 7)),
        ("Mandag", date(2026, 12, 7), date(2026, 12, 7)),
        ("fredag til mandag", date(2026, 12, 11), date(2026, 12, 14)),
        ("tomorrow..friday", date(2026, 12, 6), date(2026, 12, 11)),
        ("29.2", date(2028, 2, 29), date(2028, 2, 29)),
        ("1.2", date(2027, 2, 1), date(2027, 2, 1)),  # long past this year: next year's
    ],
)
def test_what_people_type_is_read_as_they_mean_it(typed: str, first: date, last: date) -> None:
    assert parse_days_off(typed, today=TODAY) == DaysOffRequest(DaysOffAction.ADD, first, last)


@pytest.mark.parametrize("typed", ["", "list", "liste", "vis", "  LIST "])
def test_listing(typed: str) -> None:
    assert parse_days_off(typed, today=TODAY).action is DaysOffAction.LIST


@pytest.mark.parametrize("typed", ["clear", "fjern", "slett", "nullstill", "Clear"])
def test_clearing_everything(typed: str) -> None:
    assert parse_days_off(typed, today=TODAY) == DaysOffRequest(DaysOffAction.CLEAR)


def test_clearing_a_span_even_one_that_began() -> None:
    found = parse_days_off("fjern 1.12–24.12", today=TODAY)
    assert found == DaysOffRequest(DaysOffAction.CLEAR, date(2026, 12, 1), date(2026, 12, 24))


@pytest.mark.parametrize(
    ("typed", "code", "hint"),
    [
        ("2027-01-03..2026-12-21", "end_before_start", "2026-12-21..2027-01-03"),
        ("2026-11-01", "past", ""),
        ("1.12", "past", ""),  # a few days ago is a mistake, not next December
        ("1.12..10.12", "starts_past", "2026-12-05..2026-12-10"),
        ("2026-12-06..2027-12-31", "too_long", ""),
        ("2029-01-01", "too_far", ""),
        ("someday", "unknown_word", ""),
        ("31.2", "bad_date", ""),
        ("2027-02-29", "bad_date", ""),
        ("12/24", "unreadable", ""),
        ("x" * 300, "too_long_text", ""),
    ],
)
def test_refusals_say_why_with_a_hint_that_parses(typed: str, code: str, hint: str) -> None:
    with pytest.raises(DaysOffSyntaxError) as refused:
        parse_days_off(typed, today=TODAY)
    assert refused.value.code == code
    assert refused.value.hint == hint
    for locale, verb in EXAMPLE_VERB.items():
        said = refused.value.message(locale)
        assert verb in said  # with examples that work
        # the suggestion is written with the reader's verb too, never the other language's
        assert OTHER_VERB[locale] not in said
        if hint:
            assert f"`{verb} {hint}`" in said
    if hint:
        parse_days_off(hint, today=TODAY)


#: the examples are written with the reader's own verb (both verbs work in every language)
EXAMPLE_VERB = {"en": "/quiet off", "nb": "/quiet fri"}
OTHER_VERB = {"en": "/quiet fri", "nb": "/quiet off"}

spans = st.tuples(st.integers(0, 700), st.integers(0, MAX_SPAN_DAYS - 1))


@given(spans, st.sampled_from(SEPARATORS), st.sampled_from([iso, dotted, short]))
def test_any_written_span_reads_back(span: tuple[int, int], separator: str, style: object) -> None:
    ahead, length = span
    first = TODAY + timedelta(days=ahead)
    last = first + timedelta(days=length)
    assert callable(style)
    typed = f"{style(first)}{separator}{style(last)}"
    assert parse_days_off(typed, today=TODAY) == DaysOffRequest(DaysOffAction.ADD, first, last)


@given(st.integers(0, 300), st.integers(0, 300), st.sampled_from(SEPARATORS))
def test_a_span_without_years_is_the_next_one(ahead: int, length: int, separator: str) -> None:
    first = TODAY + timedelta(days=ahead)
    last = first + timedelta(days=length)
    typed = f"{first.day}.{first.month}{separator}{last.day}.{last.month}"
    assert parse_days_off(typed, today=TODAY) == DaysOffRequest(DaysOffAction.ADD, first, last)


@given(st.text(max_size=60), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_anything_typed_is_read_or_refused_politely(typed: str, today: date) -> None:
    try:
        found = parse_days_off(typed, today=today)
    except DaysOffSyntaxError as refused:
        said = refused.message("nb"), refused.message("en")
        found = None
    if found is None:
        assert EXAMPLE_VERB["nb"] in said[0] and EXAMPLE_VERB["en"] in said[1]
    elif found.action is DaysOffAction.ADD:
        assert found.first is not None and found.last is not None
        assert today <= found.first <= found.last
        assert (found.last - found.first).days < MAX_SPAN_DAYS


# -- absences taken out of hours -------------------------------------------------------------


def test_a_dst_crossing_absence_is_whole_local_days() -> None:
    """Off Saturday 24 to Monday 26 October 2026 in Oslo: clocks go back on Sunday 25, so the
    absence lasts 73 hours, from Saturday 00:00 CEST to Tuesday 00:00 CET."""
    absence = Absence(days=frozenset({date(2026, 10, d) for d in (24, 25, 26)}), tz=OSLO)
    [(start, end)] = absence.intervals
    assert start == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 26, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=73)
    hours = absence.apply(parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo"))
    friday_evening = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)
    assert hours.next_open(friday_evening) == datetime(2026, 10, 27, 7, 0, tzinfo=UTC)  # Tue 08 CET


def test_outlook_and_typed_days_merge_into_one_absence() -> None:
    outlook = (datetime(2026, 12, 18, 15, 0, tzinfo=UTC), datetime(2026, 12, 21, 7, 0, tzinfo=UTC))
    absence = Absence(days=frozenset({date(2026, 12, 21)}), tz=OSLO, outlook=(outlook,))
    assert absence.intervals == ((outlook[0], datetime(2026, 12, 21, 23, 0, tzinfo=UTC)),)
    assert absence.around(datetime(2026, 12, 20, 12, 0, tzinfo=UTC)) == absence.intervals[0]


def test_days_off_subtract_from_whichever_hours_apply() -> None:
    team = TeamPolicy(name="Legal", hours=parse_hours("mon-fri 08:00-16:00 tz Europe/Oslo"))
    away = Absence(days=frozenset({date(2026, 11, 30)}), tz=OSLO)  # Monday
    friday = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    tuesday = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    own = Person("U1", "Kari", hours=parse_hours("mon-fri 09:00-15:00 tz Europe/Oslo"))
    follows_team = Person("U2", "Ola", absence=away)
    with_own = Person("U3", "Per", hours=own.hours, absence=away)
    nothing = Person("U4", "Ada", absence=away)
    assert team.hours_for(follows_team).next_open(friday) == tuesday
    assert team.hours_for(with_own).next_open(friday) == tuesday + timedelta(hours=1)
    for person, team_or_none in ((follows_team, team), (nothing, None)):
        decision = decide(sender="U9", audience=PersonAudience(person, team_or_none), at=friday)
        assert decision.held == (team_or_none is not None)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    decision = decide(sender="U9", audience=PersonAudience(nothing), at=monday)
    assert decision.held and decision.deliver_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert always_open(OSLO).is_open(monday)
