"""Splitting text for platform limits: nothing lost, every part within the limit, no unit cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.slack.mrkdwn import ATOMS, split_mrkdwn
from bot.domain.text_split import cut_points, shorten, split_text, utf16_units

SETTINGS = settings(max_examples=300, deadline=None)

# Pieces real messages are made of: words, spaces and breaks, Slack markup, entities, emoji
# codes and multi-code-point graphemes (skin tones, ZWJ families, flags, combining accents).
MARKUP = st.sampled_from(
    [
        "<@U024BE7LH>",
        "<@U1|kari>",
        "<#C123ABC|general>",
        "<!here>",
        "<!date^1392734382^{date_short}|Feb 18, 2014>",
        "<https://example.com/a/very/long/path?with=query&and=more|the agenda for Monday>",
        "<mailto:kari@example.com|Kari>",
        "&lt;",
        "&gt;",
        "&amp;",
        ":rotating_light:",
        "*bold words*",
        "`code span`",
    ]
)
GRAPHEMES = st.sampled_from(["👍🏽", "👨‍👩‍👧‍👦", "🇳🇴", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "é", "ø", "å", "1️⃣", "\r\n", "한"])
WORDS = st.text(alphabet="abcdefghij øæå", min_size=1, max_size=12)
BREAKS = st.sampled_from([" ", "\n", "\n\n", "  "])
PIECES = st.lists(st.one_of(MARKUP, GRAPHEMES, WORDS, BREAKS), max_size=120)


def _atom_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in ATOMS.finditer(text)]


def _boundaries(parts: list[str]) -> list[int]:
    cuts, position = [], 0
    for part in parts[:-1]:
        position += len(part)
        cuts.append(position)
    return cuts


@SETTINGS
@given(pieces=PIECES, limit=st.integers(min_value=30, max_value=400))
@example(pieces=["x" * 2999, "<https://example.com|link>", " tail"], limit=3000)
def test_parts_rejoin_fit_and_never_cut_markup_or_graphemes(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    parts = split_mrkdwn(text, limit)
    assert "".join(parts) == text
    assert all(part and len(part) <= limit for part in parts)
    allowed = cut_points(text)  # grapheme boundaries only
    for cut in _boundaries(parts):
        assert allowed[cut], f"cut inside a grapheme at {cut}"
        for start, end in _atom_spans(text):
            if end - start <= limit:
                assert not start < cut < end, f"cut inside {text[start:end]!r}"


@SETTINGS
@given(text=st.text(max_size=600), limit=st.integers(min_value=2, max_value=200))
def test_any_text_rejoins_within_the_limit_in_utf16_units(text: str, limit: int) -> None:
    parts = split_text(text, limit, measure=utf16_units)
    assert "".join(parts) == text
    assert all(part and utf16_units(part) <= limit for part in parts)


@SETTINGS
@given(pieces=PIECES, limit=st.integers(min_value=10, max_value=300))
def test_shorten_keeps_the_beginning_within_the_limit(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    short = shorten(text, limit, atoms=ATOMS)
    assert len(short) <= limit
    if len(text) <= limit:
        assert short == text
    else:
        assert short.endswith("…")
        assert text.startswith(short.removesuffix("…"))


def test_a_link_on_the_3000th_character_is_moved_whole_to_the_next_part() -> None:
    link = "<https://example.com/agenda|the agenda>"
    text = "x" * 2990 + link + " and more"
    first, second = split_mrkdwn(text, 3000)
    assert first == "x" * 2990
    assert second.startswith(link)


def test_paragraphs_then_lines_then_words_are_preferred() -> None:
    para = "word " * 50 + "\n\n"
    parts = split_text(para * 3, 600)
    assert parts[0].endswith("\n\n")
    lines = ("word " * 30 + "\n") * 5
    assert split_text(lines, 400)[0].endswith("\n")
    words = "word " * 100
    assert all(part.endswith(" ") for part in split_text(words, 101)[:-1])


@pytest.mark.parametrize("grapheme", ["👨‍👩‍👧‍👦", "🇳🇴", "👍🏽", "e\u0301", "1️⃣"])
def test_graphemes_are_never_parted(grapheme: str) -> None:
    text = grapheme * 40
    for limit in range(12, 40):
        parts = split_text(text, limit)
        assert all(re.fullmatch(f"(?:{re.escape(grapheme)})+", part) for part in parts), limit


def test_an_atom_longer_than_the_limit_is_still_split_without_loss() -> None:
    link = "<https://example.com/" + "a" * 200 + ">"
    parts = split_mrkdwn(link, 50)
    assert "".join(parts) == link
    assert all(len(part) <= 50 for part in parts)


def test_limits_below_two_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        split_text("abc", 1)
