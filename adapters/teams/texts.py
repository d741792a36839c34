"""Teams' user-facing strings come from the shared catalogs (bot/i18n), like everyone's."""

from __future__ import annotations

from bot.i18n import translate

__all__ = ["text"]


def text(key: str, locale: str | None = None, /, **params: object) -> str:
    return translate(key, locale, **params)
