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

__all__ = ["WORD_JOINER", "inert", "unescape"]

WORD_JOINER = "\u2060"
_BROADCAST = re.compile(r"(?<=@)(channel|here|everyone)\b", re.IGNORECASE)


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
