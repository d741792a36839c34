"""The translation layer: locale choice per person, fallbacks. The catalogs' completeness and
consistency: tests/unit/test_i18n_catalogs.py."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import has_message, normalize_locale, translate


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


def test_an_unknown_key_shows_itself_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """gettext's fallback: the key, never a crash in front of a person (the catalog check finds
    every key the code names literally, so this is for keys built at run time)."""
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        assert translate("no.such.key", "nb") == "no.such.key"
    assert "no.such.key" in caplog.text
    assert not has_message("no.such.key", "en")


def test_a_missing_parameter_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        translate("cmd.hours.saved", "en")


def test_norwegian_text_differs_from_english() -> None:
    assert translate("cmd.working", "nb") == "Jobber med saken…"
    assert translate("cmd.working", "en") == "Working on it…"
