"""The workspace default's starting point (locale → country → preset), and its policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.decisions import ChannelAudience, PersonAudience, decide
from bot.domain.hours_syntax import parse_hours
from bot.domain.policy import Mode, Person
from bot.domain.workspace_default import (
    country_for,
    country_from_locale,
    install_settings,
    preset_for_country,
    valid_zone,
)
from bot.services.workspace_default import policy_from_default, preset_zones
from bot.storage.models import WorkspaceDefaultRow

FRIDAY_2200_OSLO = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
MONDAY_0800_OSLO = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "country"),
    [
        ("nb-NO", "NO"),
        ("nn_NO", "NO"),
        ("nb", "NO"),
        ("no", "NO"),
        ("en-US", "US"),
        ("en_GB", "GB"),
        ("pt-PT", "PT"),
        ("en", None),
        ("", None),
        (None, None),
        ("en-ZZ", None),  # a region the holiday calendar does not know
        ("zh-Hant-TW", "TW"),  # a script between language and region
    ],
)
def test_the_country_comes_from_the_locale_region(locale: str | None, country: str | None) -> None:
    assert country_from_locale(locale) == country


@given(st.text(max_size=20))
def test_any_locale_gives_a_known_country_or_none(locale: str) -> None:
    found = country_from_locale(locale)
    assert found is None or (len(found) == 2 and found.isupper())


@pytest.mark.parametrize(
    ("zone", "locale", "country"),
    [
        ("Europe/Oslo", "en-GB", "NO"),  # a Norwegian office on English clients: Norway's days
        ("Europe/Oslo", "en-US", "NO"),
        ("Europe/Lisbon", "en-GB", "PT"),
        ("America/New_York", "nb-NO", "US"),
        ("UTC", "en-GB", "GB"),  # the zone says nothing: the locale's region
        ("UTC", "nb", "NO"),
        (None, "en-US", "US"),
        ("Not/AZone", "nb-NO", "NO"),
        ("UTC", "en", None),
    ],
)
def test_the_country_comes_from_the_zone_before_the_locale(
    zone: str | None, locale: str, country: str | None
) -> None:
    assert country_for(tz=zone, locale=locale) == country


def test_an_oslo_installer_on_english_gets_norway_aml() -> None:
    settings = install_settings(tz="Europe/Oslo", locale="en-GB", preset_zone=preset_zones())
    assert (settings.preset, settings.tz, settings.country) == ("norway-aml", "Europe/Oslo", "NO")


def test_norway_gets_the_working_environment_act_and_everyone_else_office_hours() -> None:
    assert preset_for_country("NO") == "norway-aml"
    assert preset_for_country("US") == "office-standard"
    assert preset_for_country(None) == "office-standard"


def test_install_settings_use_the_installers_zone_or_the_presets_own() -> None:
    oslo = install_settings(tz="Europe/Oslo", locale="nb-NO", preset_zone=preset_zones())
    assert (oslo.preset, oslo.tz, oslo.country, oslo.mode) == (
        "norway-aml",
        "Europe/Oslo",
        "NO",
        Mode.HOLD,
    )
    unknown = install_settings(tz="Not/AZone", locale="nb-NO", preset_zone=preset_zones())
    assert unknown.tz == "Europe/Oslo"  # the preset's zone
    nothing = install_settings(tz=None, locale=None, preset_zone=preset_zones())
    assert (nothing.preset, nothing.tz, nothing.country) == ("office-standard", "UTC", None)
    assert valid_zone("../../etc/passwd") is None


def _row(**fields: object) -> WorkspaceDefaultRow:
    values: dict[str, object] = dict(
        workspace_id=1, preset="norway-aml", tz="Europe/Oslo", country="NO", mode="hold"
    )
    values.update(fields)
    return WorkspaceDefaultRow(**values)


def test_the_default_holds_a_friday_night_channel_message_until_monday() -> None:
    policy = policy_from_default(_row())
    decision = decide(sender="U1", audience=ChannelAudience("C1", policy), at=FRIDAY_2200_OSLO)
    assert decision.held and decision.deliver_at == MONDAY_0800_OSLO
    assert decision.explain("en").startswith("This workspace's quiet hours end")


def test_the_default_lets_anyone_mark_urgent_although_its_preset_says_leaders() -> None:
    policy = policy_from_default(_row())
    decision = decide(
        sender="U1", audience=ChannelAudience("C1", policy), at=FRIDAY_2200_OSLO, urgent=True
    )
    assert decision.urgent and not decision.held


def test_a_default_turned_off_delivers_channels_but_keeps_a_persons_own_hours() -> None:
    policy = policy_from_default(_row(mode="off"))
    channel = decide(sender="U1", audience=ChannelAudience("C1", policy), at=FRIDAY_2200_OSLO)
    assert not channel.held
    assert "turned off for this workspace" in channel.explain("en")
    own = parse_hours("mon-fri 09:00-17:00 tz Europe/Oslo")
    person = decide(
        sender="U1",
        audience=PersonAudience(Person("U2", "Bo", hours=own), policy),
        at=FRIDAY_2200_OSLO,
    )
    assert person.held
    nobody = decide(
        sender="U1", audience=PersonAudience(Person("U3", "Cy"), policy), at=FRIDAY_2200_OSLO
    )
    assert not nobody.held


def test_the_default_uses_its_own_country_holidays_and_zone() -> None:
    policy = policy_from_default(
        _row(preset="office-standard", tz="America/New_York", country="US")
    )
    assert policy.hours.tz.key == "America/New_York"
    assert policy.hours.days_off.country == "US"
    # Thanksgiving, Thursday 26 November 2026, 10:00 New York: closed
    thanksgiving = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert not policy.hours.is_open(thanksgiving)
