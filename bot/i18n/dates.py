"""Dates and times as people read them, from Babel's locale data (CLDR): ``Mon 30 Nov 08:00`` in
English, ``man. 30. nov. 08:00`` in bokmål; always the 24-hour clock.

English follows CLDR's ``en_GB`` (day before month, 24 hours), as the hours syntax does, whatever
the reader's region; bokmål is CLDR's ``nb``. How a date and a clock are joined, and how the zone
is added, are catalog messages (``time.*``), so a translator decides the word order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton, format_time, get_day_names

from bot.i18n import CLDR_LOCALES, normalize_locale, translate

__all__ = [
    "InstantRenderer",
    "format_clock",
    "format_day",
    "format_instant",
    "render_instants",
    "shared_instant",
    "strip_instant_marks",
    "weekday_name",
]

WITHIN_WEEK_SECONDS = 6 * 86400  # closer than this, the weekday alone names the day


def _cldr(locale: str | None) -> str:
    return CLDR_LOCALES[normalize_locale(locale)]


def weekday_name(weekday: int, locale: str | None = None, *, short: bool = True) -> str:
    """The name of ``weekday`` (0 = Monday): ``Mon``/``man.``, or ``Monday``/``mandag``."""
    width: Literal["abbreviated", "wide"] = "abbreviated" if short else "wide"
    return str(get_day_names(width, context="format", locale=_cldr(locale))[weekday])


def format_clock(value: datetime | clock_time, locale: str | None = None) -> str:
    """A wall-clock time, ``08:00`` (CLDR skeleton ``Hm``: 24 hours in both languages).
    A ``datetime`` is shown in its own zone."""
    if isinstance(value, datetime):
        return format_skeleton("Hm", value, tzinfo=value.tzinfo, locale=_cldr(locale))
    return format_time(value, "HH:mm", locale=_cldr(locale))


def format_day(value: date, locale: str | None = None) -> str:
    """A day with its weekday and month: ``Mon 30 Nov`` / ``man. 30. nov.`` (skeleton ``MMMEd``).
    A ``datetime`` counts by its own (local) date."""
    day = value.date() if isinstance(value, datetime) else value
    return str(format_skeleton("MMMEd", datetime.combine(day, clock_time()), locale=_cldr(locale)))


def format_instant(
    instant: datetime,
    tz: ZoneInfo,
    locale: str | None = None,
    *,
    now: datetime | None = None,
    with_zone: bool = True,
) -> str:
    """``instant`` on the wall clock of ``tz``: ``Mon 08:00 Europe/Oslo`` when it is within six
    days of ``now``, else with the date, ``Mon 30 Nov 08:00 Europe/Oslo``; in bokmål
    ``man. 08:00 (Europe/Oslo)`` and ``man. 30. nov. 08:00 (Europe/Oslo)``. ``instant`` must be
    aware (UTC or any zone)."""
    local = instant.astimezone(tz)
    clock = format_clock(local, locale)
    if now is not None and abs((instant - now).total_seconds()) < WITHIN_WEEK_SECONDS:
        day = str(format_datetime(local, "EEE", tzinfo=tz, locale=_cldr(locale)))
        text = translate("time.weekday_clock", locale, day=day, clock=clock)
    else:
        text = translate("time.date_clock", locale, date=format_day(local, locale), clock=clock)
    if with_zone:
        text = translate("time.with_zone", locale, time=text, zone=tz.key)
    return text


# -- instants in texts several people read ------------------------------------------------------

#: Private-use characters around a shared instant: ``\ue000UNIX\ue001fallback\ue002``. They
#: never reach a reader: :func:`render_instants` replaces each, and people's own text is
#: stripped of them (:func:`strip_instant_marks`), so no one can type one.
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKED = re.compile(f"{_OPEN}(\\d+){_SEP}([^{_CLOSE}]*){_CLOSE}")
_MARKS = re.compile(f"[{_OPEN}{_SEP}{_CLOSE}]")

#: How a platform writes an instant so each reader sees it in their own zone: (the instant,
#: UTC; the fallback, in the writer's zone) -> text (Slack's ``<!date^…>``, Adaptive Cards'
#: ``{{DATE(…)}} {{TIME(…)}}``).
InstantRenderer = Callable[[datetime, str], str]


def shared_instant(
    instant: datetime,
    tz: ZoneInfo,
    locale: str | None = None,
    *,
    now: datetime | None = None,
    with_zone: bool = True,
) -> str:
    """``instant`` in a text that several people in different zones read (a channel's label,
    digest, guard): a mark each platform renders in every reader's own zone
    (:func:`render_instants`), whose fallback is :func:`format_instant` in ``tz``."""
    fallback = _MARKS.sub("", format_instant(instant, tz, locale, now=now, with_zone=with_zone))
    return f"{_OPEN}{int(instant.timestamp())}{_SEP}{fallback}{_CLOSE}"


def render_instants(text: str, render: InstantRenderer | None = None) -> str:
    """``text`` with each :func:`shared_instant` written by ``render`` (instant, fallback), or
    as its fallback when ``render`` is None (plain text: notifications, fallbacks, logs)."""

    def one(match: re.Match[str]) -> str:
        if render is None:
            return match.group(2)
        return render(datetime.fromtimestamp(int(match.group(1)), UTC), match.group(2))

    return _MARKED.sub(one, text)


def split_instants(text: str) -> list[str | tuple[datetime, str]]:
    """``text`` cut at its shared instants, in order: plain pieces as ``str`` (empty ones
    left out), each instant as ``(instant in UTC, fallback)``; for a platform that lays the
    instants out as elements of their own (a ``TextRun`` per piece in an Adaptive Card)."""
    pieces: list[str | tuple[datetime, str]] = []
    at = 0
    for match in _MARKED.finditer(text):
        if match.start() > at:
            pieces.append(text[at : match.start()])
        pieces.append((datetime.fromtimestamp(int(match.group(1)), UTC), match.group(2)))
        at = match.end()
    if at < len(text):
        pieces.append(text[at:])
    return pieces


def strip_instant_marks(text: str) -> str:
    """``text`` (a person's own) without the characters a shared instant is marked with."""
    return _MARKS.sub("", text)
