"""Splitting and shortening text for platforms with length limits, never inside a unit of meaning.

The rule this module keeps: a cut is only ever made *between* two characters that may be parted —
never inside a grapheme cluster (an accented letter, an emoji with its skin tone, a ZWJ family, a
flag's two regional indicators, ``\\r\\n``) and never inside an *atom*, a span the caller names with
a regular expression (Slack's ``<@U1|kari>`` and ``&lt;``, a markdown link ``[x](https://…)``).
Among allowed cuts the latest paragraph break is preferred, then a line break, then a space, then
any allowed cut — provided it keeps the part at least half full, so no part is needlessly short.

:func:`split_text` loses nothing: ``"".join(split_text(t, n)) == t``. An atom longer than the
limit on its own cannot be kept whole; only then is it cut (at a grapheme boundary).

Lengths are measured by a ``measure`` function: ``len`` (code points), or :func:`utf16_units`
where a platform counts as JavaScript does (an emoji outside the BMP counts 2). Both are always
≥ the code point count, so a part within the limit by ``utf16_units`` is within it by ``len``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = ["cut_points", "shorten", "split_text", "utf16_units"]

Measure = Callable[[str], int]

_ZWJ = "\u200d"
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def utf16_units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (what JavaScript's ``length`` counts)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the grapheme cluster before it (approximating UAX #29)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (text/emoji presentation)
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or 0x1160 <= code <= 0x11FF  # Hangul jamo vowels and trailing consonants
    )


def _grapheme_breaks(text: str) -> list[bool]:
    """``breaks[i]``: whether a cut before ``text[i]`` keeps every grapheme cluster whole."""
    breaks = [True] * (len(text) + 1)
    run = 0  # regional indicators seen in a row: they pair up into flags
    for index, char in enumerate(text):
        if index == 0:
            run = 1 if _regional(char) else 0
            continue
        before = text[index - 1]
        if _extends(char) or before == _ZWJ or (before == "\r" and char == "\n"):
            breaks[index] = False
        if _regional(char):
            if run % 2 == 1:
                breaks[index] = False
            run += 1
        else:
            run = 0
    return breaks


def cut_points(text: str, atoms: re.Pattern[str] | None = None) -> list[bool]:
    """``allowed[i]`` (``0 <= i <= len(text)``): whether ``text`` may be cut before index ``i``."""
    allowed = _grapheme_breaks(text)
    if atoms is not None:
        for match in atoms.finditer(text):
            for index in range(match.start() + 1, match.end()):
                allowed[index] = False
    return allowed


def _best_cut(text: str, start: int, end: int, allowed: list[bool], floor: int) -> int | None:
    """The preferred allowed cut in ``(start, end]``: paragraph, line, space, anything."""
    window = text[start:end]
    candidates: list[int] = []
    for match in _PARAGRAPH.finditer(window):
        candidates.append(start + match.end())
    paragraph = [cut for cut in candidates if allowed[cut] and cut >= floor]
    if paragraph:
        return paragraph[-1]
    for kinds in ("\n", " \t"):
        for index in range(end, floor - 1, -1):
            if index > start and text[index - 1] in kinds and allowed[index]:
                return index
    for index in range(end, start, -1):
        if allowed[index]:
            return index
    return None


def split_text(
    text: str,
    limit: int,
    *,
    atoms: re.Pattern[str] | None = None,
    measure: Measure = len,
) -> list[str]:
    """``text`` in parts of at most ``limit`` (by ``measure``), cut only where allowed.

    Returns ``[]`` for empty text. Raises ``ValueError`` for a limit below 2 (a part must be able
    to hold a surrogate pair measured in UTF-16 units).
    """
    if limit < 2:
        raise ValueError("the limit must be at least 2")
    if not text:
        return []
    if measure(text) <= limit:
        return [text]
    allowed = cut_points(text, atoms)
    graphemes = _grapheme_breaks(text)
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = _furthest(text, start, limit, measure)
        if end == len(text):
            parts.append(text[start:])
            break
        floor = start + max(1, (end - start) // 2)
        cut = _best_cut(text, start, end, allowed, floor)
        if cut is None:  # an atom longer than the limit: part it between graphemes
            cut = next((i for i in range(end, start, -1) if graphemes[i]), end)
        parts.append(text[start:cut])
        start = cut
    return parts


def _furthest(text: str, start: int, limit: int, measure: Measure) -> int:
    """The largest ``end`` with ``measure(text[start:end]) <= limit`` (at least ``start + 1``)."""
    low, high = start + 1, len(text)
    if measure(text[start:high]) <= limit:
        return high
    while low < high:  # measure is monotonic in the length of a prefix
        middle = (low + high + 1) // 2
        if measure(text[start:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def shorten(
    text: str,
    limit: int,
    *,
    atoms: re.Pattern[str] | None = None,
    measure: Measure = len,
    ellipsis: str = "…",
) -> str:
    """``text`` itself when it fits, else its first part (cut as :func:`split_text` cuts) and
    ``ellipsis``, the whole within ``limit``."""
    if measure(text) <= limit:
        return text
    room = limit - measure(ellipsis)
    if room < 2:
        return ellipsis[:limit]
    head = split_text(text, room, atoms=atoms, measure=measure)[0]
    return head.rstrip() + ellipsis
