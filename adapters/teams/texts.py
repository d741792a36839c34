"""Teams' user-facing strings come from the shared catalogs (bot/i18n), like everyone's, with
any Slack emoji shortcode made the emoji itself (:func:`adapters.teams.markup.emoji`)."""

from __future__ import annotations

from adapters.teams.markup import emoji
from bot.i18n import translate, translate_plural

__all__ = ["text", "text_plural"]


def text(key: str, locale: str | None = None, /, **params: object) -> str:
    return emoji(translate(key, locale, **params))


def text_plural(key: str, count: int, locale: str | None = None, /, **params: object) -> str:
    return emoji(translate_plural(key, count, locale, **params))
