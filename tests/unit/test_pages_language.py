"""Which language the public pages answer in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pages import LANGUAGES, Operator, choose_language


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        (None, "nb-NO,nb;q=0.9,en;q=0.8", "nb"),
        (None, "no", "nb"),
        (None, "nn-NO", "nb"),
        (None, "de-DE,de;q=0.9", "en"),  # nothing we ship: English
        (None, "de, nb;q=0.5, en;q=0.7", "en"),
        (None, "en;q=0.2, nb;q=0.8", "nb"),
        (None, "nb;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        (None, "en, nb", "en"),  # equal weight: the first
        ("nb", "en", "nb"),
        ("EN", "nb", "en"),
        ("xx", "nb", "nb"),  # an unknown ?lang= falls back to the header
        (None, "nb;q=abc, en", "en"),
    ],
)
def test_language(query: str | None, header: str | None, expected: str) -> None:
    assert choose_language(query, header) == expected


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_any_header_or_query_gets_a_language_we_ship(query: str | None, header: str | None) -> None:
    assert choose_language(query, header) in LANGUAGES


@pytest.mark.parametrize(
    ("contact", "href"),
    [
        ("personvern@eksempel.no", "mailto:personvern@eksempel.no"),
        ("https://eksempel.no/personvern", "https://eksempel.no/personvern"),
        ("javascript:alert(1)", None),
        ("Ring 22 00 00 00", None),
        (None, None),
    ],
)
def test_contact_link(contact: str | None, href: str | None) -> None:
    assert Operator(contact=contact).contact_href == href
