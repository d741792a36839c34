"""The workspace (Slack) / tenant (Teams) default policy: made at install, changed by admins.

It covers every channel no team covers and every person with no hours of their own, so a
fresh install protects people before anyone types a command. Other code asks for it with
:func:`workspace_policy` (the default as a :class:`TeamPolicy`, or None when the workspace has
none yet) or :func:`channel_policy` (the team covering a channel, else the default).

The default's hours are its preset's, in its own zone, with its own country's public holidays.
Its urgent rule is always *anyone* (every override is logged and counted): it has no leaders
of its own, and a preset's ``leaders`` would leave nobody able to mark a message urgent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import HolidayRule, UnknownCountryError
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import format_hours
from bot.domain.policy import DEFAULT_POLICY_NAME, Mode, TeamPolicy, UrgentRule, UrgentWho
from bot.domain.workspace_default import DEFAULT_PRESET, DefaultSettings, install_settings
from bot.i18n import translate
from bot.presets import Preset, PresetError, list_presets, load_preset
from bot.services.directory import policy_from_row, zone_or_utc
from bot.storage.models import WorkspaceDefaultRow
from bot.storage.repositories import TeamRepository
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = [
    "WORKSPACE_DEFAULT_NAME",
    "channel_policy",
    "describe_default",
    "ensure_workspace_default",
    "policy_from_default",
    "preset_zones",
    "workspace_policy",
]

log = logging.getLogger(__name__)

#: The name the default carries as a policy; people read ``policy_label``'s phrase instead.
WORKSPACE_DEFAULT_NAME = DEFAULT_POLICY_NAME


@cache
def preset_zones() -> dict[str, str]:
    """Each shipped preset's own zone (``norway-aml`` → ``Europe/Oslo``)."""
    return {name: load_preset(name).timezone.key for name in list_presets()}


def _preset(name: str) -> Preset:
    try:
        return load_preset(name)
    except PresetError:
        log.warning(
            "the workspace default names an unknown preset %r; using %s", name, DEFAULT_PRESET
        )
        return load_preset(DEFAULT_PRESET)


def policy_from_default(row: WorkspaceDefaultRow) -> TeamPolicy:
    """The stored default as a policy: the preset's hours in ``row.tz``, ``row.country``'s
    holidays (the preset's when none is named) and the preset's eve and Sunday rules."""
    preset = _preset(row.preset)
    try:
        days_off = HolidayRule(country=row.country) if row.country else HolidayRule()
    except UnknownCountryError:
        days_off = HolidayRule()
    hours = WorkingHours(preset.hours.windows, zone_or_utc(row.tz), days_off)
    mode = Mode(row.mode)
    policy = preset.to_policy(WORKSPACE_DEFAULT_NAME, hours=hours, mode=preset.mode)
    # the preset's allowed modes guard what admins may choose; `off` stays their explicit choice
    return replace(
        policy,
        mode=mode,
        allowed_modes=policy.allowed_modes | {mode},
        urgent=UrgentRule(who=UrgentWho.ANYONE),
        workspace_default=True,
    )


async def workspace_policy(session: AsyncSession, workspace_id: int) -> TeamPolicy | None:
    """The default policy of workspace ``workspace_id`` (a ``workspaces.id``), or None when
    it has none yet. Mode ``off`` is returned as such: callers decide what "off" means."""
    row = await WorkspaceDefaultRepository(session).find(workspace_id)
    return None if row is None else policy_from_default(row)


async def channel_policy(
    session: AsyncSession, workspace_id: int, conversation: str
) -> TeamPolicy | None:
    """The policy that covers ``conversation``: its team's, else the workspace default."""
    teams = TeamRepository(session)
    team_row = await teams.for_channel(workspace_id, conversation)
    if team_row is None:
        return await workspace_policy(session, workspace_id)
    return policy_from_row(
        team_row,
        leaders=await teams.leaders(team_row.id),
        channels=await teams.channels(team_row.id),
    )


async def ensure_workspace_default(
    session: AsyncSession,
    workspace_id: int,
    *,
    tz: str | None,
    locale: str | None,
    now: datetime,
    source: str,
    installed_by: str | None = None,
) -> tuple[WorkspaceDefaultRow, bool]:
    """Make the workspace's default from an installer's (or first person's) zone and locale,
    unless it has one: a reinstall keeps what admins chose. Returns (row, made now)."""
    settings: DefaultSettings = install_settings(tz=tz, locale=locale, preset_zone=preset_zones())
    return await WorkspaceDefaultRepository(session).create_if_missing(
        workspace_id, settings, source=source, now=now, installed_by=installed_by
    )


def describe_default(row: WorkspaceDefaultRow, locale: str) -> list[str]:
    """The workspace default in words: what it covers, its preset, hours, zone, holidays, mode."""
    policy = policy_from_default(row)
    try:
        title = f"{load_preset(row.preset).title_in(locale)} (`{row.preset}`)"
    except PresetError:
        title = row.preset
    lines = [
        translate("cmd.workspace.title", locale),
        translate("cmd.workspace.preset", locale, preset=title),
        translate("cmd.team.hours", locale, spec=format_hours(policy.hours, locale)),
        translate("cmd.workspace.zone", locale, zone=row.tz),
        translate(
            "cmd.workspace.country",
            locale,
            country=policy.hours.days_off.country or translate("cmd.workspace.no_country", locale),
        ),
        translate("cmd.team.mode", locale, mode=translate(f"cmd.mode.{row.mode}", locale)),
    ]
    if row.mode == Mode.OFF.value:
        lines.append(translate("cmd.workspace.off_warning", locale))
    return lines
