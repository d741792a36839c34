"""One translation layer for every user-facing string: gettext catalogs in English and
Norwegian bokmål (``bot/i18n/locale/<lang>/LC_MESSAGES/messages.po``, see README, Translations).

A message is looked up by its key (the ``msgid``); the English catalog holds the English text.
Text is a Python format string with ``{name}`` fields, filled from the keyword arguments.
"""

from __future__ import annotations

import copy
import functools
import logging
from typing import Literal

from babel.numbers import format_decimal
from babel.support import Translations

from bot.i18n.catalogs import load_translations

__all__ = [
    "CLDR_LOCALES",
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "InstantRenderer",
    "Locale",
    "format_clock",
    "format_day",
    "format_instant",
    "has_message",
    "normalize_locale",
    "render_instants",
    "shared_instant",
    "split_instants",
    "strip_instant_marks",
    "translate",
    "translate_plural",
    "weekday_name",
]

Locale = Literal["en", "nb"]
DEFAULT_LOCALE: Locale = "en"
SUPPORTED_LOCALES: tuple[Locale, ...] = ("en", "nb")

# Babel's (CLDR's) locale for dates and numbers in each catalog's language: English follows
# en_GB (day before month, 24-hour clock, as the hours syntax does), whatever the region
CLDR_LOCALES: dict[Locale, str] = {"en": "en_GB", "nb": "nb"}

_log = logging.getLogger(__name__)

# Norwegian users may report "no", "nb", "nn" or a region variant; all read bokmål well.
_ALIASES: dict[str, Locale] = {"nb": "nb", "no": "nb", "nn": "nb", "nob": "nb", "nno": "nb"}


def normalize_locale(raw: str | None) -> Locale:
    """Map a platform locale (``nb-NO``, ``en_US``, ``no``…) onto a catalog; English otherwise."""
    if not raw:
        return DEFAULT_LOCALE
    language = raw.replace("_", "-").split("-", 1)[0].strip().lower()
    return _ALIASES.get(language, DEFAULT_LOCALE)


@functools.cache
def _own(locale: Locale) -> Translations:
    """``locale``'s own catalog, loaded once per process."""
    return load_translations(locale)


@functools.cache
def _translations(locale: Locale) -> Translations:
    """``locale``'s catalog, falling back to English for a message it lacks (or leaves empty)."""
    if locale == DEFAULT_LOCALE:
        return _own(locale)
    chain = copy.copy(_own(locale))  # shares the messages; the fallback is this copy's own
    chain.add_fallback(_own(DEFAULT_LOCALE))
    return chain


def has_message(key: str, locale: str | None = None) -> bool:
    """Whether ``locale``'s own catalog translates ``key`` (singular or plural), no fallback."""
    return _own(normalize_locale(locale)).gettext(key) != key  # a plural entry answers too


def _missing(key: str) -> str:
    # the check test (tests/unit/test_i18n_catalogs.py) finds every key the code names; this is
    # for a key built at run time that the catalogs lack: show the key rather than fail
    _log.warning("no message %r in the catalogs", key)
    return key


def translate(key: str, locale: str | None = None, /, **params: object) -> str:
    """The message ``key`` in ``locale`` (English, then the key itself, as fallbacks),
    formatted with ``params`` (``str.format``; a missing parameter raises ``KeyError``).

    A plural entry takes its form from the ``count`` parameter (an ``int`` or a numeric string),
    as :func:`translate_plural` does; that is for keys built at run time (decision reasons).
    Where the code names the key, call :func:`translate_plural`."""
    translations = _translations(normalize_locale(locale))
    template = key
    if "count" in params:  # a plural entry's form; a singular entry answers the key here
        template = translations.ngettext(key, key, _as_count(params["count"]))
    if template == key:
        # (for a plural entry without a count, Python's gettext gives the singular form)
        template = translations.gettext(key)
    if template == key:
        return _missing(key)
    return template.format(**params)


def _as_count(value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise TypeError(f"count must be a whole number, not {value!r}")


def translate_plural(key: str, count: int, locale: str | None = None, /, **params: object) -> str:
    """The plural message ``key`` in the form ``locale``'s ``Plural-Forms`` rule picks for
    ``count`` (English: 1 → singular, 0 and 2+ → plural; bokmål the same), formatted with
    ``params`` and ``{count}`` written as the locale writes numbers (``1,234`` / ``1 234``).
    Fallbacks as in :func:`translate`."""
    language = normalize_locale(locale)
    template = _translations(language).ngettext(key, key, count)
    if template == key:
        return _missing(key)
    written = format_decimal(count, locale=CLDR_LOCALES[language])
    return template.format(**{"count": written, **params})


# dates and times come from Babel's locale data (CLDR); they use translate() above
from bot.i18n.dates import (  # noqa: E402
    InstantRenderer,
    format_clock,
    format_day,
    format_instant,
    render_instants,
    shared_instant,
    split_instants,
    strip_instant_marks,
    weekday_name,
)
