"""One translation layer for every user-facing string: English and Norwegian bokmål catalogs."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.i18n import en, en_app, nb, nb_app

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "Locale",
    "format_instant",
    "normalize_locale",
    "placeholders",
    "translate",
    "weekday_name",
]

Locale = Literal["en", "nb"]
DEFAULT_LOCALE: Locale = "en"
SUPPORTED_LOCALES: tuple[Locale, ...] = ("en", "nb")

CATALOGS: dict[Locale, dict[str, str]] = {
    "en": {**en.MESSAGES, **en_app.MESSAGES},
    "nb": {**nb.MESSAGES, **nb_app.MESSAGES},
}

# Norwegian users may report "no", "nb", "nn" or a region variant; all read bokmål well.
_ALIASES: dict[str, Locale] = {"nb": "nb", "no": "nb", "nn": "nb", "nob": "nb", "nno": "nb"}


def normalize_locale(raw: str | None) -> Locale:
    """Map a platform locale (``nb-NO``, ``en_US``, ``no``…) onto a catalog; English otherwise."""
    if not raw:
        return DEFAULT_LOCALE
    language = raw.replace("_", "-").split("-", 1)[0].strip().lower()
    return _ALIASES.get(language, DEFAULT_LOCALE)


def translate(key: str, locale: str | None = None, /, **params: object) -> str:
    """The message ``key`` in ``locale`` (English fallback), formatted with ``params``."""
    catalog = CATALOGS[normalize_locale(locale)]
    template = catalog.get(key) or CATALOGS[DEFAULT_LOCALE].get(key)
    if template is None:
        raise KeyError(f"no message {key!r} in any catalog")
    return template.format(**params)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def weekday_name(weekday: int, locale: str | None = None, *, short: bool = True) -> str:
    kind = "short" if short else "long"
    return translate(f"weekday.{kind}.{weekday}", locale)


def format_instant(
    instant: datetime,
    tz: ZoneInfo,
    locale: str | None = None,
    *,
    now: datetime | None = None,
    with_zone: bool = True,
) -> str:
    """``Mon 08:00 Europe/Oslo``; with the date when it is not within the coming week."""
    local = instant.astimezone(tz)
    day = weekday_name(local.weekday(), locale)
    clock = f"{local:%H:%M}"
    within_week = now is not None and abs((instant - now).total_seconds()) < 6 * 86400
    if within_week:
        text = translate("time.weekday_clock", locale, day=day, clock=clock)
    else:
        month = translate(f"month.short.{local.month}", locale)
        text = translate(
            "time.date_clock", locale, day=day, date=local.day, month=month, clock=clock
        )
    if with_zone:
        text = translate("time.with_zone", locale, time=text, zone=tz.key)
    return text
