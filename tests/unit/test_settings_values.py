"""Numeric settings: a value is what it says or one line naming the setting, for any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.settings import Settings


@given(text=st.text(max_size=12))
@settings(max_examples=200, deadline=None)
def test_retention_days_parse_or_refuse_in_one_line(text: str) -> None:
    """Any value is either a whole number of days ≥ 1 or a ConfigError naming the setting."""
    env = {"QUIET_HOURS_ACTIVITY_RETENTION_DAYS": text}
    stripped = text.strip()
    if stripped and not (stripped.isascii() and stripped.isdigit() and int(stripped) >= 1):
        with pytest.raises(ConfigError, match=r"^QUIET_HOURS_ACTIVITY_RETENTION_DAYS must be a"):
            Settings.from_env(env, dotenv=None)
        return
    days = Settings.from_env(env, dotenv=None).activity_retention_days
    assert days == (int(stripped) if stripped else 90)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "infinity"])
@pytest.mark.parametrize("name", ["QUIET_HOURS_LEASE_SECONDS", "QUIET_HOURS_SLACK_WORKSPACE_RATE"])
def test_numeric_settings_refuse_nan_and_infinity(name: str, value: str) -> None:
    """float() reads these; a lease of NaN seconds would never lapse nor renew."""
    with pytest.raises(ConfigError, match=f"^{name} must be a number, not '{value}'$"):
        Settings.from_env({name: value}, dotenv=None)
