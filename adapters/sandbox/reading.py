"""What a reader sees of the instants in a posted text, for the demos' timelines.

Posts name instants so that each reader's client shows them in the reader's own zone: Slack's
date formatting (``<!date^UNIX^FORMAT|fallback>``) and Adaptive Cards' ``{{DATE(…)}}
{{TIME(…)}}`` functions (RFC 3339, UTC). A terminal is no such client: these functions turn
them into what a reader in ``zone`` reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import format_instant

__all__ = ["as_read", "reading"]

_SLACK_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")
_CARD_TIME = re.compile(r"\{\{DATE\(([0-9TZ:+-]+), SHORT\)\}\} \{\{TIME\(\1\)\}\}")


def as_read(text: str, zone: ZoneInfo, now: datetime, locale: str = "en") -> str:
    """``text`` with each reader-zone instant (Slack's or an Adaptive Card's) written as
    :func:`bot.i18n.format_instant` names it in ``zone`` (``Mon 08:00 Europe/Oslo``)."""

    def slack(match: re.Match[str]) -> str:
        instant = datetime.fromtimestamp(int(match.group(1)), zone)
        return format_instant(instant, zone, locale, now=now)

    def card(match: re.Match[str]) -> str:
        instant = datetime.fromisoformat(match.group(1))
        return format_instant(instant, zone, locale, now=now)

    return _CARD_TIME.sub(card, _SLACK_DATE.sub(slack, text))


def reading(
    say: Callable[[str], None], zone: ZoneInfo, now: Callable[[], datetime]
) -> Callable[[str], None]:
    """``say``, with every line first turned into what a reader in ``zone`` reads."""
    return lambda text: say(as_read(text, zone, now()))
