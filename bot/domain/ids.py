"""Ids that come back from a client (a button's value, a card's data, a modal's metadata).

They are checked for their exact shape before any query: a guard's id is a decimal integer
that fits a 64-bit signed column (SQLite INTEGER, PostgreSQL BIGINT: at most 2**63 - 1; a
larger one made SQLite raise ``OverflowError``), a held message's id is a uuid4 string as we
write it. Anything else is no id at all: ``None``, which callers answer as "gone".
"""

from __future__ import annotations

import re

__all__ = ["MAX_ROW_ID", "held_id", "row_id"]

#: The largest id a 64-bit signed integer column can hold.
MAX_ROW_ID = 2**63 - 1
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def row_id(value: object) -> int | None:
    """``value`` as a positive integer row id (an ``int`` or its decimal text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ROW_ID else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ROW_ID else None


def held_id(value: object) -> str | None:
    """``value`` as a held message's id (a lowercase uuid string), or None."""
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value
    return None
