"""People's text in the bot's markup: inert (no mention, broadcast or disguised link), readable."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.platform import attributed_blocks, attributed_text
from adapters.teams.cards import to_markdown
from adapters.teams.markup import user_text_block
from bot.domain.markup import WORD_JOINER, inert, plain, unescape, user_text
from bot.ports import OutgoingMessage

#: Pieces of Slack markup and Teams/markdown syntax that an attacker would combine.
PIECES = st.sampled_from(
    [
        "<!everyone>",
        "<!channel>",
        "<!here>",
        "<!subteam^S123>",
        "<!subteam^S123|@legal>",
        "<@U_CEO>",
        "<@U_CEO|ceo>",
        "<#C1|general>",
        "<https://evil.example|https://bank.example>",
        "<https://ok.example>",
        "@channel",
        "@Here",
        "@everyone",
        "&lt;!channel&gt;",
        "&amp;",
        "[bank](https://evil.example)",
        "<at>Ola</at>",
        "<",
        ">",
        "&",
        "|",
        " ",
        "\n",
        "— written by ",
    ]
)
TEXTS = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=12).map("".join))
BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


@given(TEXTS)
def test_user_text_can_never_mention_broadcast_or_link(text: str) -> None:
    made = user_text(text)
    assert "<" not in made and ">" not in made  # no <!…>, <@…>, <#…>, <url|label>
    assert not BROADCAST.search(made)  # not even bare ones
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", made)  # every & starts an entity


@given(st.text(max_size=200))
def test_inert_keeps_the_words(text: str) -> None:
    assert unescape(inert(text)) == text.replace(WORD_JOINER, "")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<!everyone> Office closed", "@everyone Office closed"),
        ("<!channel> <!here> <!subteam^S123|@legal>", "@channel @here @legal"),
        ("<!subteam^S123>", "@subteam"),
        (
            "<https://evil.example|https://bank.example>",
            "https://bank.example (https://evil.example)",
        ),
        ("hi <@U2|kari> in <#C1|general>", "hi @kari in #general"),
        ("a &lt; b &amp; c", "a < b & c"),
        ("a < b", "a < b"),
    ],
)
def test_plain_reads_as_written(typed: str, shown: str) -> None:
    assert plain(typed) == shown
    assert unescape(user_text(typed)) == shown


def test_a_post_for_someone_names_them_where_the_text_cannot() -> None:
    message = OutgoingMessage(
        workspace="T1",
        conversation="C1",
        text="<!everyone> Office closed\n— written by <@U_CEO>",
        author="U_OLA",
    )
    blocks = attributed_blocks(message)
    *sections, context = blocks
    assert all(block["type"] == "section" for block in sections)
    said = "".join(block["text"]["text"] for block in sections)
    assert "<" not in said and "written by @U_CEO" in said
    assert context["type"] == "context"
    assert context["elements"][0]["text"].endswith("<@U_OLA>")
    notification = attributed_text(message)
    assert notification.startswith("<@U_OLA>: ")
    assert "<!everyone>" not in notification and "<@U_CEO>" not in notification


def test_teams_cards_show_peoples_text_unparsed() -> None:
    block = user_text_block("[https://bank](https://evil) <@29:x|Ola> **hi**")
    assert block["type"] == "RichTextBlock"  # never markdown
    assert block["inlines"] == [
        {"type": "TextRun", "text": "[https://bank](https://evil) @Ola **hi**"}
    ]
    # replies mix our markup with people's: only ours makes a link
    reply = to_markdown(
        "<https://quiet.example|help> " + inert("[https://bank](https://evil) <!channel>"), {}, "en"
    )
    assert "[help](https://quiet.example)" in reply
    assert "[https://bank](https://evil)" not in reply and "<!channel>" in reply
