"""The translation layer: both catalogs complete and consistent, locale choice per person."""

from __future__ import annotations

import pytest

from bot.i18n import CATALOGS, normalize_locale, placeholders, translate


def test_catalogs_have_the_same_keys() -> None:
    assert set(CATALOGS["nb"]) == set(CATALOGS["en"])


@pytest.mark.parametrize("key", sorted(CATALOGS["en"]))
def test_translations_use_the_same_placeholders(key: str) -> None:
    assert placeholders(CATALOGS["nb"][key]) == placeholders(CATALOGS["en"][key])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn_NO", "nb"),
        ("en-US", "en"),
        ("de-DE", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_locale_is_chosen_per_person_with_english_fallback(raw: str | None, expected: str) -> None:
    assert normalize_locale(raw) == expected


def test_unknown_keys_are_a_programming_error() -> None:
    with pytest.raises(KeyError):
        translate("no.such.key", "en")


def test_norwegian_text_differs_from_english() -> None:
    assert translate("weekday.short.0", "nb") == "man."
    assert translate("weekday.short.0", "en") == "Mon"
