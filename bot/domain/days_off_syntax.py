"""The days-off syntax of ``/quiet off …``, in English and Norwegian bokmål.

Grammar (case-insensitive)::

    request := ""  | "list" | "liste" | "vis"                       show the days off
             | CLEAR [span]                                          clear all (or the span)
             | ["from" | "fra"] span                                 add the span
    CLEAR   := clear | remove | fjern | slett | nullstill | ingen
    span    := when [SEP when]
    SEP     := ".." | any dash (with or without spaces) | to | until | til | tom
    when    := today | i dag | tomorrow | i morgen | overmorgen
             | a weekday (monday, mon, mandag, man …)               its next date, today included
             | YYYY-MM-DD | D.M | D.M. | D.M.YY | D.M.YYYY           a date

A date without a year is the next such date: from today for the first (one up to
:data:`RECENT_DAYS` ago counts as this year's, and is refused as past), from the first for the
second, so ``21.12–3.1`` runs over New Year. Refused, with a hint that parses: an end before its
start, a span wholly or partly in the past, longer than :data:`MAX_SPAN_DAYS` days, or starting
more than :data:`MAX_AHEAD_DAYS` days ahead. :func:`parse_days_off` raises only
:class:`DaysOffSyntaxError`. "Today" is the person's today, in their own zone (the caller says
which date that is).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.i18n import translate

__all__ = [
    "MAX_AHEAD_DAYS",
    "MAX_SPAN_DAYS",
    "DaysOffAction",
    "DaysOffRequest",
    "DaysOffSyntaxError",
    "canonical_span",
    "parse_days_off",
]

#: The longest absence typed at once (a year of leave, leap day included).
MAX_SPAN_DAYS = 366
#: How far ahead an absence may start (two years).
MAX_AHEAD_DAYS = 730
#: A yearless date up to this many days ago is taken as a mistake ("in the past"), not as next
#: year's: "off 1.12" on 5 December is refused, not saved for December next year.
RECENT_DAYS = 60
MAX_LENGTH = 200

_LIST = {"list", "liste", "vis", "show", "status"}
_CLEAR = {"clear", "remove", "delete", "fjern", "slett", "nullstill", "ingen", "none"}
_FROM = {"from", "fra", "fom", "f.o.m."}
_WORDS_TODAY = {"today", "idag"}
_WORDS_TOMORROW = {"tomorrow", "imorgen", "imorra"}
_WORDS_AFTER = {"overmorgen"}
_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        ("mon", "monday", "man", "mandag"),
        ("tue", "tues", "tuesday", "tir", "tirs", "tirsdag"),
        ("wed", "wednesday", "ons", "onsdag"),
        ("thu", "thur", "thurs", "thursday", "tor", "tors", "torsdag"),
        ("fri", "friday", "fre", "fredag"),
        ("sat", "saturday", "lør", "lor", "lørdag", "lordag"),
        ("sun", "sunday", "søn", "son", "søndag", "sondag"),
    ]
):
    for _name in _names:
        _WEEKDAYS[_name] = _index

_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}(?:\.(?:\d{4}|\d{2})?)?"
_TOKEN = rf"(?:{_DATE}|[^\W\d_]+)"
_SEP = r"(?:\s*(?:\.\.|-)\s*|\s+(?:to|until|til|tom|t\.o\.m\.)\s+)"
_SPAN = re.compile(rf"^(?P<first>{_TOKEN})(?:{_SEP}(?P<last>{_TOKEN}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2})?)?$")


class DaysOffAction(StrEnum):
    LIST = "list"
    ADD = "add"
    CLEAR = "clear"


@dataclass(frozen=True)
class DaysOffRequest:
    """What ``/quiet off …`` asks for: ``first..last`` inclusive (both None: all, or a list)."""

    action: DaysOffAction
    first: date | None = None
    last: date | None = None

    def days(self) -> list[date]:
        if self.first is None or self.last is None:
            return []
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


class DaysOffSyntaxError(ValueError):
    """A request could not be read or is not allowed; ``message(locale)`` says why, with a
    hint that parses (``hint``: the corrected span, ``2026-12-21..2027-01-03``, when there is one;
    the message writes it as a command with the reader's own verb, ``/quiet fri …`` in bokmål)."""

    def __init__(self, code: str, token: str = "", *, hint: str = "", **details: str) -> None:
        super().__init__(f"{code}: {token!r}")
        self.code = code
        self.token = token
        self.hint = hint
        self.details = details

    def message(self, locale: str | None = None) -> str:
        text = translate(f"off.error.{self.code}", locale, token=self.token, **self.details)
        if self.hint:
            text += " " + translate("off.error.hint", locale, hint=self.hint)
        return text + "\n" + translate("off.example", locale)

    def __str__(self) -> str:
        return self.message("en")


def canonical_span(first: date, last: date) -> str:
    """``2026-12-21..2027-01-03`` (or one date): the form hints use, read in every language."""
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().strip()
    text = "".join("-" if unicodedata.category(c) == "Pd" or c == "\u2212" else c for c in text)
    text = re.sub(r"\bi\s+dag\b", "idag", text)
    text = re.sub(r"\bi\s+morgen\b", "imorgen", text)
    text = re.sub(r"\bi\s+overmorgen\b", "overmorgen", text)
    return re.sub(r"\s+", " ", text)


def _date(year: int, month: int, day: int, token: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DaysOffSyntaxError("bad_date", token) from None


def _yearless(month: int, day: int, token: str, *, not_before: date) -> date:
    """The first ``day.month`` on or after ``not_before`` (29.2: the next leap year's)."""
    _date(2000, month, day, token)  # a leap year: refuses only days that never exist
    for year in range(not_before.year, not_before.year + 9):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= not_before:
            return found
    raise DaysOffSyntaxError("bad_date", token)  # pragma: no cover - a leap year comes within 8


def _when(token: str, today: date, after: date | None) -> tuple[date, bool]:
    """(the date, whether its year was given). ``after`` is the first day of the span when
    this is its end: yearless dates and weekdays then count from there."""
    base = after or today
    if token in _WORDS_TODAY:
        return today, True
    if token in _WORDS_TOMORROW:
        return today + timedelta(days=1), True
    if token in _WORDS_AFTER:
        return today + timedelta(days=2), True
    if token in _WEEKDAYS:
        return base + timedelta(days=(_WEEKDAYS[token] - base.weekday()) % 7), False
    iso = _ISO.match(token)
    if iso:
        return _date(int(iso[1]), int(iso[2]), int(iso[3]), token), True
    dotted = _DOTTED.match(token)
    if dotted:
        day, month, year = int(dotted[1]), int(dotted[2]), dotted[3]
        if year:
            return _date(int(year) + (2000 if len(year) == 2 else 0), month, day, token), True
        not_before = after if after is not None else today - timedelta(days=RECENT_DAYS)
        return _yearless(month, day, token, not_before=not_before), False
    raise DaysOffSyntaxError("unknown_word" if token.isalpha() else "bad_date", token)


def parse_days_off(text: str, *, today: date) -> DaysOffRequest:
    """Read what follows ``/quiet off``; ``today`` is the person's local date.

    Raises :class:`DaysOffSyntaxError` (``unknown_word``, ``bad_date``, ``end_before_start``,
    ``past``, ``starts_past``, ``too_long``, ``too_far``, ``too_long_text``).
    """
    if len(text) > MAX_LENGTH:
        raise DaysOffSyntaxError("too_long_text", text[:20] + "…")
    words = _normalise(text)
    if not words or words in _LIST:
        return DaysOffRequest(DaysOffAction.LIST)
    head, _, rest = words.partition(" ")
    action = DaysOffAction.ADD
    if head in _CLEAR:
        if not rest:
            return DaysOffRequest(DaysOffAction.CLEAR)
        action, words = DaysOffAction.CLEAR, rest
    head, _, rest = words.partition(" ")
    if head in _FROM and rest:
        words = rest
    match = _SPAN.match(words)
    if match is None:
        raise DaysOffSyntaxError("unreadable", words[:40])
    first, first_dated = _when(match["first"], today, None)
    last = first
    if match["last"]:
        last, last_dated = _when(match["last"], today, first)
        if last < first:
            hint = canonical_span(last, first) if first_dated and last_dated else ""
            raise DaysOffSyntaxError(
                "end_before_start", words, hint=hint, first=first.isoformat(), last=last.isoformat()
            )
    if action is DaysOffAction.CLEAR:
        return DaysOffRequest(action, first, last)
    if last < today:
        raise DaysOffSyntaxError("past", words, day=last.isoformat())
    if first < today:
        raise DaysOffSyntaxError("starts_past", words, hint=canonical_span(today, last))
    if (last - first).days + 1 > MAX_SPAN_DAYS:
        raise DaysOffSyntaxError("too_long", words, days=str((last - first).days + 1))
    if (first - today).days > MAX_AHEAD_DAYS:
        raise DaysOffSyntaxError("too_far", words)
    return DaysOffRequest(action, first, last)
