"""What a new team starts from, however it is made (Slack ``team create``, a Teams team adding
the app): one rule, so no path makes a team less protective than the workspace default.

- No preset named: the workspace default's preset, hours, zone and public holidays. A workspace
  with no default yet: ``office-standard`` in the creator's zone, with the holidays of the
  country that zone belongs to (else their locale's; see ``bot.domain.workspace_default``).
- A preset named (``team create NAME PRESET``): its hours; its own zone and holidays when it has
  them (``norway-aml`` is Oslo and Norway's days), else (``office-standard``: UTC, none) the
  default's zone and holidays, else the creator's.

The team's mode and urgent rule are the preset's (the default's ``off`` is an admin's choice for
the workspace, not a starting point for a team).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import HolidayRule, UnknownCountryError
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import format_hours
from bot.domain.workspace_default import DEFAULT_PRESET, country_for, valid_zone
from bot.presets import Preset, PresetError, load_preset
from bot.services.directory import zone_or_utc
from bot.services.workspace_default import workspace_policy

__all__ = ["TeamStart", "team_start"]


@dataclass(frozen=True)
class TeamStart:
    """A new team's first settings: ``preset`` (the stored preset name), its hours and rules."""

    preset: Preset
    hours: WorkingHours

    def fields(self) -> dict[str, str]:
        """The columns ``TeamRepository.create`` takes for these settings."""
        return {
            "hours_spec": format_hours(self.hours),
            "mode": self.preset.mode.value,
            "preset": self.preset.name,
            "urgent_who": self.preset.urgent.who.value,
        }


def _creator_days_off(tz: str | None, locale: str | None) -> HolidayRule:
    country = country_for(tz=tz, locale=locale)
    try:
        return HolidayRule(country=country) if country else HolidayRule()
    except UnknownCountryError:
        return HolidayRule()


async def team_start(
    session: AsyncSession,
    workspace_id: int,
    *,
    preset_name: str | None,
    creator_tz: str | None,
    creator_locale: str | None,
) -> TeamStart:
    """The settings a team made now in workspace ``workspace_id`` starts from.

    Raises :class:`bot.presets.PresetError` when ``preset_name`` names no shipped preset.
    """
    default = await workspace_policy(session, workspace_id)
    if preset_name is None:
        if default is not None:
            try:
                preset = load_preset(default.preset or DEFAULT_PRESET)
            except PresetError:
                preset = load_preset(DEFAULT_PRESET)
            return TeamStart(preset, default.hours)
        preset = load_preset(DEFAULT_PRESET)
        zone = zone_or_utc(valid_zone(creator_tz))
        days = _creator_days_off(creator_tz, creator_locale)
        return TeamStart(preset, replace(preset.hours, tz=zone, days_off=days))
    preset = load_preset(preset_name)
    hours = preset.hours
    if hours.tz.key == "UTC":  # a preset tied to no place: the workspace's (or creator's) zone
        hours = replace(
            hours,
            tz=default.hours.tz if default is not None else zone_or_utc(valid_zone(creator_tz)),
        )
    if hours.days_off.country is None:
        days = (
            default.hours.days_off
            if default is not None
            else _creator_days_off(creator_tz, creator_locale)
        )
        hours = replace(
            hours,
            days_off=replace(hours.days_off, country=days.country, subdivision=days.subdivision),
        )
    return TeamStart(preset, hours)
