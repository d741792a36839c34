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


@pytest.mark.parametrize("text", ["0", "-1", "2.5", "x", "²", " "])
def test_workspace_burst_is_a_whole_number_or_one_line(text: str) -> None:
    """A burst is a count of messages: anything else is refused naming the setting."""
    env = {"QUIET_HOURS_SLACK_WORKSPACE_BURST": text}
    if not text.strip():
        assert Settings.from_env(env, dotenv=None).slack_workspace_burst is None
        return
    with pytest.raises(ConfigError, match=r"^QUIET_HOURS_SLACK_WORKSPACE_BURST must be a whole"):
        Settings.from_env(env, dotenv=None)


def test_workspace_burst_defaults_to_one_seconds_worth() -> None:
    """Unset, the workspace budget lets one second's messages through at once; set, its value."""
    from bot.delivery.ratelimit import slack_workspace

    unset = Settings.from_env({"QUIET_HOURS_SLACK_WORKSPACE_RATE": "100"}, dotenv=None)
    assert slack_workspace(unset.slack_workspace_rate, unset.slack_workspace_burst)[0].burst == 100
    env = {"QUIET_HOURS_SLACK_WORKSPACE_RATE": "100", "QUIET_HOURS_SLACK_WORKSPACE_BURST": "20"}
    chosen = Settings.from_env(env, dotenv=None)
    assert slack_workspace(chosen.slack_workspace_rate, chosen.slack_workspace_burst)[0].burst == 20
