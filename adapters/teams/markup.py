"""People's text in Teams cards: shown as written, never read as markdown, links or mentions.

Adaptive Card ``TextBlock`` text is markdown in Teams (bold, italic, lists and ``[label](url)``
links: https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format),
so a person's ``[https://bank](https://evil)`` would become a disguised link in a card the bot
posts. A ``RichTextBlock`` of ``TextRun`` s is never parsed as markdown (Adaptive Cards 1.2+),
so what a person wrote goes there, through :func:`user_text_block` — the one function for it.
A card mention needs an entity the bot adds itself (we add none), so no text can mention.
The command layer's replies mix our markup with people's text (a held message's first line):
:func:`neutral_markdown` keeps a markdown link from forming out of the people's part.
"""

from __future__ import annotations

from typing import Any

from bot.domain.markup import plain

__all__ = ["ZERO_WIDTH_SPACE", "neutral_markdown", "user_text_block"]

ZERO_WIDTH_SPACE = "\u200b"


def user_text_block(text: str, **style: Any) -> dict[str, Any]:
    """A person's text (any platform markup made readable) as plain, unparsed card text.

    ``style`` is what a ``TextRun`` takes (``isSubtle``, ``size``, ``weight``, ``color``).
    """
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": plain(text), **style}],
    }


def neutral_markdown(text: str) -> str:
    """``text`` with every ``[label](url)`` broken (a zero-width space between ``]`` and ``(``):
    called on the command layer's markup *before* its own ``<url|label>`` links become markdown,
    so only those are links."""
    return text.replace("](", "]" + ZERO_WIDTH_SPACE + "(")
