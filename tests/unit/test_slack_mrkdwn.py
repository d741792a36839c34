"""Slack markup in modal inputs: shown as plain text, restored on submit, never a new broadcast."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.mrkdwn import from_plain, mentioned, to_plain
from bot.domain.markup import WORD_JOINER, unescape
from bot.domain.markup import inert as escape

NAMES = {"U1": "Kari", "U2": "Ola Nordmann", "C1": "general"}


@pytest.mark.parametrize(
    ("stored", "plain"),
    [
        ("Forwarded from <@U1>:\nhi", "Forwarded from @Kari:\nhi"),
        ("ask <@U2|ola> in <#C1>", "ask @ola in #general"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        (
            "see <https://example.com/x?a=1&amp;b=2|the doc>",
            "see the doc (https://example.com/x?a=1&b=2)",
        ),
        ("<https://example.com>", "https://example.com"),
        ("<mailto:kari@example.com|kari@example.com>", "kari@example.com"),
        ("<!here> now", "@here now"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<@U9>", "@U9"),
    ],
)
def test_stored_markup_reads_as_plain_text(stored: str, plain: str) -> None:
    assert to_plain(stored, NAMES)[0] == plain


def test_mentions_and_links_come_back_after_an_unchanged_submit() -> None:
    stored = "Ask <@U1> about <https://example.com/a|the plan> &amp; 1 &lt; 2, <#C1>"
    plain, restore = to_plain(stored, NAMES)
    assert from_plain(plain, restore) == stored


def test_a_broadcast_is_never_restored_and_typed_markup_stays_text() -> None:
    plain, restore = to_plain("<!channel> heads up", NAMES)
    assert from_plain(plain, restore) == f"@{WORD_JOINER}channel heads up"
    assert from_plain("<!everyone> <@U1>", restore) == "&lt;!everyone&gt; &lt;@U1&gt;"


def test_a_name_inside_a_longer_word_is_left_alone() -> None:
    _, restore = to_plain("<@U1>", NAMES)
    assert from_plain("@Karianne and @Kari", restore) == "@Karianne and <@U1>"


def test_mentioned_lists_ids_without_labels() -> None:
    assert mentioned("<@U1> <@U2|ola> <#C1> <#C2|x> <!here>") == ({"U1"}, {"C1"})


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="ab <>&;:@#|.", max_size=8).map(escape),
            st.sampled_from(["<@U1>", "<@U2>", "<#C1>", "<https://example.com/p|page>"]),
        ),
        max_size=20,
    )
)
def test_plain_round_trip_restores_the_stored_text(pieces: list[str]) -> None:
    stored = "".join(pieces)
    plain, restore = to_plain(stored, NAMES)
    assert "&lt;" not in plain or "&lt;" in unescape(stored)
    # a look-alike typed by hand, or a name run into the next word, is deliberately left as text
    lookalike = any(word in unescape(stored) for word in restore)
    run_on = any(re.search(re.escape(word) + r"\w", plain) for word in restore)
    if not lookalike and not run_on:
        assert from_plain(plain, restore) == stored
