"""People's text in Teams cards: shown as written, never read as markdown, links or mentions.

Adaptive Card ``TextBlock`` text is markdown in Teams (bold, italic, lists and ``[label](url)``
links: https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format),
so a person's ``[https://bank](https://evil)`` would become a disguised link in a card the bot
posts. A ``RichTextBlock`` of ``TextRun`` s is never parsed as markdown (Adaptive Cards 1.2+),
so what a person wrote goes there, through :func:`user_text_block` — the one function for it.
A card mention needs an entity the bot adds itself (we add none), so no text can mention.
The command layer's replies mix our markup with people's text (a held message's first line):
:func:`neutral_markdown` keeps a markdown link from forming out of the people's part.
Slack's emoji shortcodes (``:warning:``) mean nothing in Teams: :func:`emoji` turns the ones the
bot uses into the characters, for every text the Teams adapter renders.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain.markup import plain

__all__ = ["SHORTCODE", "ZERO_WIDTH_SPACE", "emoji", "neutral_markdown", "user_text_block"]

ZERO_WIDTH_SPACE = "\u200b"

#: A Slack emoji shortcode as Slack writes it (``:rotating_light:``, ``:+1:``); never a clock
#: time (``08:00``), which has no letter between its colons.
SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+-]*[a-z][a-z0-9_+-]*):(?![\w:])")

#: Slack's names for the emoji the bot's texts use (https://api.slack.com/reference/surfaces/
#: formatting#emoji), as Unicode, which Teams shows (Slack shows the characters too).
_EMOJI = {
    "rotating_light": "\N{POLICE CARS REVOLVING LIGHT}",
    "warning": "\N{WARNING SIGN}\ufe0f",
    "mailbox_with_mail": "\N{OPEN MAILBOX WITH RAISED FLAG}",
    "white_check_mark": "\N{WHITE HEAVY CHECK MARK}",
    "heavy_check_mark": "\N{HEAVY CHECK MARK}\ufe0f",
    "x": "\N{CROSS MARK}",
    "no_entry": "\N{NO ENTRY}",
    "clock8": "\N{CLOCK FACE EIGHT OCLOCK}",
    "zzz": "\N{SLEEPING SYMBOL}",
    "calendar": "\N{CALENDAR}",
    "bell": "\N{BELL}",
    "no_bell": "\N{BELL WITH CANCELLATION STROKE}",
    "information_source": "\N{INFORMATION SOURCE}\ufe0f",
    "bar_chart": "\N{BAR CHART}",
    "eyes": "\N{EYES}",
    "thumbsup": "\N{THUMBS UP SIGN}",
    "+1": "\N{THUMBS UP SIGN}",
}


def emoji(text: str) -> str:
    """``text`` with the Slack shortcodes we know as Unicode emoji (others are left as written:
    a person may type ``:custom:``)."""
    return SHORTCODE.sub(lambda match: _EMOJI.get(match.group(1), match.group(0)), text)


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
