"""The workspace default's starting point: what a platform tells us at install, as settings.

Rules kept here (no I/O):

- the country of public holidays comes from the installer's time zone when the zone belongs to
  one country (``Europe/Oslo`` → ``NO``, whatever language the installer's client speaks: a
  Norwegian office on English Teams keeps Norway's holidays); only when the zone says nothing
  (``UTC``, none, unknown) from the locale's region (``nb-NO`` → ``NO``, ``en_US`` → ``US``),
  where a bare Norwegian language (``nb``, ``nn``, ``no``) means Norway; a country the holiday
  calendar does not know (or none) means no public holidays;
- Norway gets the ``norway-aml`` preset (the Working Environment Act), every other place
  ``office-standard``;
- the zone is the installer's IANA zone, or the preset's own when the platform gave none
  (or one ``zoneinfo`` does not know).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.calendar import UnknownCountryError, validate_country
from bot.domain.policy import Mode
from bot.domain.zone_country import country_of_zone

__all__ = [
    "DEFAULT_PRESET",
    "NORWAY_PRESET",
    "DefaultSettings",
    "country_for",
    "country_from_locale",
    "install_settings",
    "preset_for_country",
    "valid_zone",
]

NORWAY_PRESET = "norway-aml"
DEFAULT_PRESET = "office-standard"
_NORWEGIAN = frozenset({"nb", "nn", "no"})


@dataclass(frozen=True)
class DefaultSettings:
    """The four things an admin chooses for the workspace default (and we guess at install)."""

    preset: str
    tz: str
    country: str | None
    mode: Mode = Mode.HOLD


def valid_zone(name: str | None) -> str | None:
    """``name`` when it is an IANA zone ``zoneinfo`` knows, else None."""
    if not name or ("/" not in name and name != "UTC"):
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None
    return name


def country_from_locale(locale: str | None) -> str | None:
    """The ISO 3166 country of a platform locale (``nb-NO`` → ``NO``), if holidays know it."""
    if not locale:
        return None
    parts = locale.replace("_", "-").split("-")
    language = parts[0].strip().lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    if region is None and language in _NORWEGIAN:
        region = "NO"
    if region is None:
        return None
    try:
        validate_country(region)
    except UnknownCountryError:
        return None
    return region


def country_for(*, tz: str | None, locale: str | None) -> str | None:
    """The holiday country for someone in zone ``tz`` speaking ``locale``: the zone's country
    when the zone belongs to one (and the holiday calendar knows it), else the locale's."""
    from_zone = country_of_zone(valid_zone(tz))
    if from_zone is None:
        return country_from_locale(locale)
    try:
        validate_country(from_zone)
    except UnknownCountryError:
        return None
    return from_zone


def preset_for_country(country: str | None) -> str:
    """``norway-aml`` for Norway, ``office-standard`` everywhere else."""
    return NORWAY_PRESET if country == "NO" else DEFAULT_PRESET


def install_settings(
    *, tz: str | None, locale: str | None, preset_zone: dict[str, str]
) -> DefaultSettings:
    """The default made at install from the installer's zone and locale.

    ``preset_zone`` maps a preset name to its own zone, used when the installer's is unknown.
    """
    country = country_for(tz=tz, locale=locale)
    preset = preset_for_country(country)
    zone = valid_zone(tz) or preset_zone.get(preset) or "UTC"
    return DefaultSettings(preset=preset, tz=zone, country=country, mode=Mode.HOLD)
