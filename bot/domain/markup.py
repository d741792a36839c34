"""People's text inside the bot's own markup: made inert, so it shows as written and does nothing.

The command layer writes Slack's markup (mrkdwn): ``<@U1>`` mentions, ``<!channel>`` broadcasts,
``<https://a|label>`` masked links. Text a person typed must never become any of those when the
bot shows or posts it, or a person could make the bot notify a whole workspace, or disguise a
link, with words they could not send themselves. Slack documents the rule: escape ``&``, ``<``
and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;`` in text, and Slack shows them as the characters
(https://api.slack.com/reference/surfaces/formatting#escaping). Bare ``@channel``, ``@here`` and
``@everyone`` are also broken with an invisible word joiner (U+2060), so no parse mode can ever
turn them into a broadcast. Platforms with another format (Teams) undo the escaping with
:func:`unescape` and apply their own.
"""

from __future__ import annotations

import re

from bot.i18n.dates import strip_instant_marks

__all__ = ["WORD_JOINER", "inert", "plain", "unescape", "user_text"]

WORD_JOINER = "\u2060"
_BROADCAST = re.compile(r"(?<=@)(channel|here|everyone)\b", re.IGNORECASE)
#: ``<@U1|kari>``, ``<#C1|general>``, ``<!here>``, ``<!subteam^S1|@legal>``, ``<https://a|label>``
_SPECIAL = re.compile(r"<([@#!])([^<>|]*)(?:\|([^<>]*))?>")
_LINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^<>|\s]*)(?:\|([^<>]*))?>")


def inert(text: str) -> str:
    """``text`` as it may appear in mrkdwn (a section, a context, a message's ``text``)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda match: WORD_JOINER + match.group(1), escaped)


def unescape(text: str) -> str:
    """The characters :func:`inert` escaped, back (for formats that do not use entities)."""
    return (
        text.replace(WORD_JOINER, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def plain(text: str) -> str:
    """Markup as a person would read it, without any of its effects.

    Mentions become their names (``<@U1|kari>`` → ``@kari``, ``<@U1>`` → ``@U1``), channels
    ``#name``, special mentions ``@here`` / ``@legal``, links their address (a masked link shows
    both: ``label (https://…)``, so the label cannot disguise where it goes), and escaped
    characters the characters. Used to fill a text field, and before :func:`inert`.
    """

    def special(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return f"@{label or target}"
        if sigil == "#":
            return f"#{label or target}"
        return "@" + (label or target.split("^")[0]).lstrip("@")

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        return f"{label} ({target})" if label and label != target else target

    # never a shared instant's mark (bot.i18n.shared_instant): a person cannot type one
    return strip_instant_marks(unescape(_LINK.sub(link, _SPECIAL.sub(special, text))))


def user_text(text: str) -> str:
    """A person's text (as the platform delivered it) for a mrkdwn field the bot posts: readable,
    and unable to mention, broadcast or disguise a link. The one function for that, everywhere."""
    return inert(plain(text))
