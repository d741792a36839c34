"""The decision classifier's ASCII shortcut (``_ASCII_CUES``) never changes its answer.

``reads_like_decision`` skips its phrase regexes for an ASCII message without any cue word;
that is only right if every ASCII text a phrase matches contains a cue. Hypothesis writes
texts from each phrase's own regex (any case, any surroundings) and random chatter, and the
answer is compared with the classifier's rules applied without the shortcut.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import guard

PHRASES = [*guard._DECIDED, guard._APPROVAL_ONLY.pattern]


def without_shortcut(text: str) -> bool:
    """The classifier's rules in full (``reads_like_decision`` before the shortcut)."""
    text = guard._normal(text)
    if not text:
        return False
    if guard._APPROVAL_ONLY.match(text):
        return True
    if not guard._DECISION.search(text):
        return False
    if guard._UNDONE.search(text):
        return False
    return not guard._TRAILING.sub("", text).endswith("?")


ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def phrase_texts(draw: st.DrawFn) -> str:
    """A text around one phrase, written the way its regex allows, in any case."""
    phrase = draw(st.sampled_from(PHRASES))
    core = draw(st.from_regex(re.compile(phrase, re.IGNORECASE), fullmatch=True))
    return draw(ascii_text) + core + draw(st.sampled_from(["", " ", "?", "!", ".", " 👍"]))


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(PHRASES).flatmap(lambda p: st.from_regex(re.compile(p, re.I), fullmatch=True))
)
def test_every_ascii_phrase_has_a_cue(phrase: str) -> None:
    text = guard._normal(phrase)
    if text.isascii() and text:
        assert guard._ASCII_CUES.search(text.lower()) is not None, phrase


@settings(max_examples=400, deadline=None)
@given(st.one_of(phrase_texts(), ascii_text, st.text(max_size=40)))
def test_shortcut_gives_the_same_answer(text: str) -> None:
    assert guard.reads_like_decision(text) == without_shortcut(text)


def test_plain_chatter_is_not_a_decision_and_phrases_still_are() -> None:
    assert not guard.reads_like_decision("can you check the build?")
    assert guard.reads_like_decision("OK, LET'S GO WITH option B")
    assert guard.reads_like_decision("Vedtatt.")
    assert guard.reads_like_decision("vi går for alternativ B")
    assert not guard.reads_like_decision("should we go with B?")
