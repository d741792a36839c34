"""What a person typed: whether it shows anything, and how long it is as they count it.

Two questions every place that accepts text asks (``/quiet later``/``urgent``, the Send later
form, an edit, Teams' commands, cards and message extension), answered here once:

* :func:`visible` — a message of only spaces, zero-width characters (U+200B ZWSP, U+200C ZWNJ,
  U+200D ZWJ, U+2060 word joiner, U+FEFF BOM …), controls or other invisible characters would
  be posted (or held) as a blank message: it counts as empty. Invisible are the Unicode general
  categories ``Cc`` (controls), ``Cf`` (format), ``Cs``/``Cn`` (surrogates, unassigned), ``Z*``
  (spaces, line and paragraph separators), ``Mn``/``Me`` on their own (a combining mark with
  nothing to sit on, a variation selector), and the few letters and symbols that render as
  blank (Hangul fillers U+115F, U+1160, U+3164, U+FFA0; braille blank U+2800).
* :func:`typed_length` — Slack sends a person's ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;``
  and ``&gt;`` (https://api.slack.com/reference/surfaces/formatting#escaping): 1,000 typed
  ``&`` arrive as 5,000 characters. Limits are about what the person wrote, so they are
  counted unescaped; the stored text stays as the platform sent it (it is posted so).
"""

from __future__ import annotations

import unicodedata

__all__ = ["INVISIBLE_CATEGORIES", "typed_length", "visible"]

#: Unicode general categories that never show a mark by themselves.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
#: Letters and symbols that render as nothing (Hangul fillers, the braille blank).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: Slack's three entities, as a person typed them.
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def visible(text: str) -> bool:
    """Whether ``text`` shows at least one character a reader could see."""
    return any(
        char not in _BLANK_GLYPHS and unicodedata.category(char) not in INVISIBLE_CATEGORIES
        for char in text
    )


def typed_length(text: str, platform: str) -> int:
    """The number of characters (code points) the person typed: on Slack with its three
    entities read back as the characters they stand for; elsewhere the text as it is."""
    if platform != "slack":
        return len(text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return len(text)
