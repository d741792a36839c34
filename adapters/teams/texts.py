"""Teams' user-facing strings come from the shared catalogs (bot/i18n), like everyone's."""

from __future__ import annotations

from bot.i18n import translate, translate_plural

__all__ = ["text", "text_plural"]


def text(key: str, locale: str | None = None, /, **params: object) -> str:
    return translate(key, locale, **params)


def text_plural(key: str, count: int, locale: str | None = None, /, **params: object) -> str:
    return translate_plural(key, count, locale, **params)
