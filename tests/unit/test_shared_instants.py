"""Shared instants cut out of a text (a Teams byline's ``TextRun``s): the pieces put back
together are the text as plain readers see it, and each instant is the one marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import render_instants, shared_instant, split_instants, strip_instant_marks

OSLO = ZoneInfo("Europe/Oslo")
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=0))
words = st.text(max_size=12).map(strip_instant_marks)


@given(st.lists(st.one_of(words, instants), max_size=6))
def test_the_pieces_are_the_text_and_its_instants(parts: list[str | datetime]) -> None:
    text = "".join(
        part if isinstance(part, str) else shared_instant(part, OSLO, "en") for part in parts
    )
    pieces = split_instants(text)
    assert "".join(p if isinstance(p, str) else p[1] for p in pieces) == render_instants(text)
    assert [p[0] for p in pieces if not isinstance(p, str)] == [
        p for p in parts if isinstance(p, datetime)
    ]
    assert all(p for p in pieces if isinstance(p, str))  # no empty plain pieces


def test_a_byline_cut_at_its_instant() -> None:
    at = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    now = at + timedelta(days=3)
    text = f"From Ola · written {shared_instant(at, OSLO, 'en', now=now)}"
    assert split_instants(text) == [
        "From Ola · written ",
        (at, "Fri 17:30 Europe/Oslo"),
    ]
