"""The human hours syntax: ``mon-fri 08:00-16:00``, ``man-fre 8-16``, ``tz Europe/Oslo``.

Grammar (case-insensitive, English or Norwegian day names)::

    spec    := clause+ (";" clause)* [ "tz" ZONE ] [ "holidays" (COUNTRY[-REGION] | "none") ]
    clause  := days range+
    days    := day ("," day | "-" day)*     e.g. mon-fri, mon,wed, fri-mon, weekdays, helg
    range   := time "-" time                e.g. 08:00-16:00, 8-16, 8.30-14, 20-02 (past midnight)

Dashes and spacing: any dash (hyphen-minus, en and em dash, minus sign, non-breaking hyphen and
every other Unicode dash punctuation) counts as ``-``, and spaces around a dash are ignored, in
day ranges and time ranges alike: ``Mon – Fri 8 – 16`` is ``mon-fri 08:00-16:00``.

Times are on the 24-hour clock, and a range whose end is at or before its start runs past
midnight (``22-06``, ``20:00-02:00``). One exception guards against 12-hour habits: a range whose
end is a **bare hour** (written without minutes, like the ``5`` in ``9-5``) from 1 to 12, before
its start, and whose afternoon reading (end + 12 h) would come after the start, is refused with
that reading as the hint: ``9-5`` asks "did you mean 09:00-17:00?". A real overnight shift is
either written in full (``08:00-05:00`` is accepted as written) or has no afternoon reading that
fits (``22-06``: 18:00 is before 22:00, so it stays a night window).

:func:`parse_hours` raises only :class:`HoursSyntaxError`, which names the bad token and carries
a translatable message with a correct example. :func:`format_hours` writes the canonical form
(always in full), and ``parse_hours(format_hours(h)) == h``; given a reader's locale it writes the
same spec in their words (``man-fre 08:00-16:00 tz Europe/Oslo helligdager NO`` in bokmål,
the words from the catalog's ``hours.spec.*`` messages, each one this parser reads), so what a
person is shown can be typed back. :func:`display_spec` does the same for a stored spec.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain.calendar import HolidayRule, UnknownCountryError, validate_country
from bot.domain.hours import Window, WorkingHours
from bot.i18n import translate

__all__ = ["HoursSyntaxError", "display_spec", "format_hours", "names_holidays", "parse_hours"]

MAX_LENGTH = 500

_DAY_NAMES: dict[str, int] = {}
for _index, _names in enumerate(
    [
        ("mon", "monday", "man", "mandag", "ma"),
        ("tue", "tues", "tuesday", "tir", "tirs", "tirsdag", "ti"),
        ("wed", "wednesday", "ons", "onsdag", "on"),
        ("thu", "thur", "thurs", "thursday", "tor", "tors", "torsdag", "to"),
        ("fri", "friday", "fre", "fredag", "fr"),
        ("sat", "saturday", "lør", "lor", "lørdag", "lordag", "lø"),
        ("sun", "sunday", "søn", "son", "søndag", "sondag", "sø"),
    ]
):
    for _name in _names:
        _DAY_NAMES[_name] = _index

_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "weekdays": (0, 1, 2, 3, 4),
    "workdays": (0, 1, 2, 3, 4),
    "hverdager": (0, 1, 2, 3, 4),
    "ukedager": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
    "weekends": (5, 6),
    "helg": (5, 6),
    "helger": (5, 6),
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "everyday": (0, 1, 2, 3, 4, 5, 6),
    "alle": (0, 1, 2, 3, 4, 5, 6),
    "daglig": (0, 1, 2, 3, 4, 5, 6),
}

_ZONE_WORDS = {"tz", "tidssone", "zone", "sone"}
_HOLIDAY_WORDS = {"holidays", "helligdager", "helligdag", "holiday"}
#: ``holidays none``: no public holidays at all (an explicit opt-out; "no" is Norway)
_NO_HOLIDAYS = {"none", "ingen"}

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$", re.ASCII)
# Dash-like characters outside Unicode's "Pd" (dash punctuation) category that people type,
# or that keyboards and word processors substitute, between two days or two times.
_OTHER_DASHES = frozenset("\u2212\u2043\u02d7\u2796\ufe63\uff0d")
_AROUND_DASH = re.compile(r"\s*-\s*")
_ASCII_DIGITS = frozenset("0123456789")
_CANONICAL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursSyntaxError(ValueError):
    """A spec could not be read. ``message(locale)`` explains it to a person."""

    def __init__(self, code: str, token: str = "", **details: str) -> None:
        super().__init__(f"{code}: {token!r}")
        self.code = code
        self.token = token
        self.details = details  # extra message parameters, e.g. the hint for "twelve_hour_end"

    def message(self, locale: str | None = None) -> str:
        example = translate("hours.example", locale)
        return translate(
            f"hours.error.{self.code}", locale, token=self.token, example=example, **self.details
        )

    def __str__(self) -> str:
        return self.message("en")


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _zone(token: str) -> ZoneInfo:
    name = _zones_by_folded_name().get(token.casefold())
    if name is None:
        raise HoursSyntaxError("unknown_zone", token)
    try:
        return ZoneInfo(name)
    except (ValueError, OSError) as exc:  # listed but unreadable: treat as unknown
        raise HoursSyntaxError("unknown_zone", token) from exc


def _fold(token: str) -> str:
    # NFC so "lør" typed with a combining ring still matches; casefold for case.
    return unicodedata.normalize("NFC", token).casefold()


def _day(token: str, original: str) -> int:
    index = _DAY_NAMES.get(_fold(token).rstrip("."))
    if index is None:
        raise HoursSyntaxError("unknown_token", original)
    return index


def _days(token: str) -> tuple[int, ...] | None:
    """Weekdays named by a token like ``mon-fri`` or ``mon,wed``; ``None`` if it is not days."""
    folded = _fold(token)
    if folded in _DAY_GROUPS:
        return _DAY_GROUPS[folded]
    parts = [part for part in folded.split(",")]
    first = parts[0].split("-", 1)[0].rstrip(".")
    if first not in _DAY_NAMES and first not in _DAY_GROUPS:
        return None
    days: list[int] = []
    for part in parts:
        if not part:
            raise HoursSyntaxError("unknown_token", token)
        if part in _DAY_GROUPS:
            days.extend(_DAY_GROUPS[part])
            continue
        ends = part.split("-")
        if len(ends) == 1:
            days.append(_day(ends[0], token))
        elif len(ends) == 2:
            start, end = _day(ends[0], token), _day(ends[1], token)
            span = (end - start) % 7
            days.extend((start + step) % 7 for step in range(span + 1))
        else:
            raise HoursSyntaxError("unknown_token", token)
    return tuple(dict.fromkeys(days))


def _clock(text: str, token: str, *, is_end: bool) -> time:
    match = _TIME.match(text)
    if match is None:
        raise HoursSyntaxError("bad_time", token)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not is_end)):
        raise HoursSyntaxError("bad_time", token)
    return time(hour % 24, minute)


def _check_twelve_hour_end(start: time, end_text: str, end: time, token: str) -> None:
    """Refuse ``9-5``-style ranges (see the module docstring for the exact rule)."""
    bare_hour = end_text.isascii() and end_text.isdigit()  # "5", "05"; not "5:00" or "5.00"
    start_minutes = start.hour * 60 + start.minute
    afternoon = (end.hour + 12) * 60
    if bare_hour and 1 <= end.hour <= 12 and end < start and start_minutes < afternoon:
        hint_end = "24:00" if end.hour == 12 else f"{end.hour + 12:02d}:00"
        raise HoursSyntaxError(
            "twelve_hour_end",
            token,
            start=f"{start:%H:%M}",
            end=f"{end:%H:%M}",
            hint=f"{start:%H:%M}-{hint_end}",
        )


def _ranges(token: str) -> list[tuple[time, time]] | None:
    """Time ranges in a token like ``08:00-16:00`` or ``9-12,13-17``; ``None`` if not times."""
    if token[:1] not in _ASCII_DIGITS:
        return None
    ranges: list[tuple[time, time]] = []
    for part in token.split(","):
        ends = part.split("-")
        if len(ends) != 2 or not ends[0] or not ends[1]:
            raise HoursSyntaxError("bad_time", token)
        start = _clock(ends[0], token, is_end=False)
        end = _clock(ends[1], token, is_end=True)
        if start == end and not (start == time(0) and ends[1].startswith("24")):
            raise HoursSyntaxError("empty_range", token)
        _check_twelve_hour_end(start, ends[1], end, token)
        ranges.append((start, end))
    return ranges


def _is_dash(char: str) -> bool:
    return char in _OTHER_DASHES or unicodedata.category(char) == "Pd"


def _tokens(text: str) -> list[str]:
    text = "".join("-" if _is_dash(char) else char for char in text.strip())
    text = re.sub(r"\s*,\s*", ",", text)
    text = _AROUND_DASH.sub("-", text)  # "Mon – Fri 08:00 - 16:00" -> "Mon-Fri 08:00-16:00"
    return [token.strip(",") for token in re.split(r"[\s;]+", text) if token.strip(",")]


def parse_hours(
    text: str, *, default_tz: ZoneInfo | None = None, days_off: HolidayRule | None = None
) -> WorkingHours:
    """Read a spec into :class:`WorkingHours` (zone ``default_tz`` or UTC if none is given)."""
    if not isinstance(text, str):
        raise HoursSyntaxError("empty", "")
    if len(text) > MAX_LENGTH:
        raise HoursSyntaxError("too_long", text[:20])
    tokens = _tokens(text)
    if not tokens:
        raise HoursSyntaxError("empty", "")
    windows: list[Window] = []
    zone: ZoneInfo | None = None
    country: tuple[str, str | None] | None = None
    no_holidays = False
    current_days: tuple[int, ...] | None = None
    days_token = ""
    days_have_times = True
    position = 0
    while position < len(tokens):
        token = tokens[position]
        folded = _fold(token)
        word, _, inline_value = folded.partition("=")
        if word in _ZONE_WORDS or word in _HOLIDAY_WORDS:
            if inline_value:
                value = token.partition("=")[2]
            elif position + 1 < len(tokens):
                position += 1
                value = tokens[position]
            else:
                raise HoursSyntaxError(
                    "missing_zone" if word in _ZONE_WORDS else "missing_country", token
                )
            if word in _ZONE_WORDS:
                if zone is not None:
                    raise HoursSyntaxError("duplicate_zone", value)
                zone = _zone(value)
            elif _fold(value) in _NO_HOLIDAYS:
                country, no_holidays = None, True
            else:
                country, no_holidays = _country(value), False
            position += 1
            continue
        days = _days(token)
        if days is not None:
            if not days_have_times:
                raise HoursSyntaxError("days_without_times", days_token)
            current_days, days_token, days_have_times = days, token, False
            position += 1
            continue
        ranges = _ranges(token)
        if ranges is None:
            raise HoursSyntaxError("unknown_token", token)
        if current_days is None:
            raise HoursSyntaxError("times_without_days", token)
        for start, end in ranges:
            windows.extend(Window(day, start, end) for day in current_days)
        days_have_times = True
        position += 1
    if not days_have_times:
        raise HoursSyntaxError("days_without_times", days_token)
    if not windows:
        raise HoursSyntaxError("empty", "")
    rule = days_off or HolidayRule()
    if no_holidays:
        rule = replace(rule, country=None, subdivision=None)
    if country is not None:
        rule = HolidayRule(
            country=country[0],
            subdivision=country[1],
            eve_from=rule.eve_from,
            major_eve_from=rule.major_eve_from,
            sunday_is_rest_day=rule.sunday_is_rest_day,
            personal_days_off=rule.personal_days_off,
        )
    return WorkingHours(
        windows=tuple(windows), tz=zone or default_tz or ZoneInfo("UTC"), days_off=rule
    )


def names_holidays(text: str) -> bool:
    """True when the spec says which public holidays apply (``holidays NO``, ``holidays none``)."""
    return any(_fold(token).partition("=")[0] in _HOLIDAY_WORDS for token in _tokens(text))


def _country(token: str) -> tuple[str, str | None]:
    code, _, region = token.upper().partition("-")
    try:
        validate_country(code, region or None)
    except UnknownCountryError:
        raise HoursSyntaxError("unknown_country", token) from None
    return code, region or None


def _format_clock(value: time, *, is_end: bool) -> str:
    if is_end and value == time(0):
        return "24:00"
    return f"{value:%H:%M}"


def _words(locale: str | None) -> tuple[tuple[str, ...], str, str]:
    """The reader's weekday abbreviations (Monday first) and words for zone and holidays."""
    if locale is None:
        return _CANONICAL_DAYS, "tz", "holidays"
    days = tuple(translate("hours.spec.days", locale).split(","))
    if len(days) != 7:  # a broken translation must not break every answer naming hours
        days = _CANONICAL_DAYS
    return days, translate("hours.spec.zone", locale), translate("hours.spec.holidays", locale)


def _format_days(days: list[int], names: tuple[str, ...] = _CANONICAL_DAYS) -> str:
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}-{names[run[-1]]}")
        else:
            parts.extend(names[day] for day in run)
    return ",".join(parts)


def format_hours(
    hours: WorkingHours,
    locale: str | None = None,
    *,
    with_zone: bool = True,
    no_holidays: bool = False,
) -> str:
    """The canonical spec for ``hours``: windows, zone and holiday country (not eves, absences).

    ``locale`` None writes the stored (English) form; a reader's locale writes their words
    (``man-fre 08:00-16:00 tz Europe/Oslo helligdager NO``), which :func:`parse_hours`
    reads back to the same hours. ``with_zone=False`` leaves the zone out (a spec whose zone
    is kept elsewhere); ``no_holidays`` writes ``holidays none`` when no country applies."""
    names, zone_word, holidays_word = _words(locale)
    by_day: dict[int, tuple[tuple[time, time], ...]] = {}
    for day in range(7):
        by_day[day] = tuple((w.start, w.end) for w in hours.windows if w.weekday == day)
    groups: dict[tuple[tuple[time, time], ...], list[int]] = {}
    for day, ranges in by_day.items():
        if ranges:
            groups.setdefault(ranges, []).append(day)
    clauses = []
    for ranges, days in sorted(groups.items(), key=lambda item: item[1][0]):
        times = " ".join(
            f"{_format_clock(s, is_end=False)}-{_format_clock(e, is_end=True)}" for s, e in ranges
        )
        clauses.append(f"{_format_days(days, names)} {times}")
    text = "; ".join(clauses)
    if with_zone:
        text += f" {zone_word} {hours.tz.key}"
    if hours.days_off.country:
        region = f"-{hours.days_off.subdivision}" if hours.days_off.subdivision else ""
        text += f" {holidays_word} {hours.days_off.country}{region}"
    elif no_holidays:
        none_word = "none" if locale is None else translate("hours.spec.none", locale)
        text += f" {holidays_word} {none_word}"
    return text


def display_spec(spec: str, locale: str | None) -> str:
    """A stored spec as the reader writes it (:func:`format_hours` with their locale), keeping
    what it names: no zone when it names none, ``holidays none`` when it says so. A spec that
    no longer reads (stored by an older version) is shown as stored."""
    try:
        hours = parse_hours(spec)
    except HoursSyntaxError:
        return spec
    tokens = [_fold(token).partition("=")[0] for token in _tokens(spec)]
    return format_hours(
        hours,
        locale,
        with_zone=any(token in _ZONE_WORDS for token in tokens),
        no_holidays=names_holidays(spec) and not hours.days_off.country,
    )
