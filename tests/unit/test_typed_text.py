"""What counts as typed text: nothing visible is empty; length is what the person typed."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.markup import inert
from bot.domain.typed import INVISIBLE_CATEGORIES, typed_length, visible

#: every invisible character people paste, named (ZWSP, ZWNJ, ZWJ, word joiner, BOM, NBSP …)
NAMED = "\u200b\u200c\u200d\u2060\ufeff\u00a0\u2007\u202f\u3000\u180e\u034f\ufe0f\t\n\r \u3164"
invisible = st.text(
    st.characters(categories=sorted(INVISIBLE_CATEGORIES - {"Cs"})) | st.sampled_from(NAMED)
)


@given(invisible)
def test_text_of_only_invisible_characters_is_empty(text: str) -> None:
    assert not visible(text)


@given(invisible, st.characters(categories=["L", "N", "P", "S"]), invisible)
def test_one_visible_character_is_enough(before: str, char: str, after: str) -> None:
    if char in "\u115f\u1160\u3164\uffa0\u2800":
        return  # the blank letters and symbols
    assert unicodedata.category(char)[0] in "LNPS"
    assert visible(before + char + after)


@given(st.text(max_size=300))
def test_length_on_slack_is_the_length_before_slacks_escaping(typed: str) -> None:
    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert typed_length(escaped, "slack") == len(typed)
    assert typed_length(typed, "teams") == len(typed)


def test_a_thousand_ampersands_are_a_thousand_characters() -> None:
    assert typed_length(inert("&" * 1000 + "x" * 2000), "slack") == 3000
