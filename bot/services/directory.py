"""Turning stored rows into domain values: a team's policy, a person's hours."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, time
from zoneinfo import ZoneInfo

from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import HoursSyntaxError, parse_hours
from bot.domain.policy import (
    AudienceKind,
    DigestSchedule,
    DigestTarget,
    Mode,
    Person,
    TeamPolicy,
    UrgentRule,
    UrgentWho,
)
from bot.presets import PresetError, load_preset
from bot.storage.models import PersonRow, TeamRow

__all__ = ["person_from_row", "policy_from_row", "zone_or_utc"]

log = logging.getLogger(__name__)


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def _days_off(text: str | None) -> frozenset[date]:
    if not text:
        return frozenset()
    try:
        return frozenset(date.fromisoformat(day) for day in json.loads(text))
    except (ValueError, TypeError):
        log.warning("ignoring unreadable days off")
        return frozenset()


def person_from_row(row: PersonRow) -> Person:
    """A person with their own hours when they set (or we read) some; else ``hours=None``."""
    hours: WorkingHours | None = None
    if row.hours_spec:
        try:
            hours = parse_hours(row.hours_spec, default_tz=zone_or_utc(row.tz))
        except HoursSyntaxError:
            log.warning("stored hours for a person no longer parse; using team hours")
        days = _days_off(row.days_off)
        if hours is not None and days:
            hours = hours.with_days_off(replace(hours.days_off, personal_days_off=days))
    return Person(
        id=row.external_id,
        name=row.display_name or row.external_id,
        hours=hours,
        locale=row.locale or "en",
    )


def policy_from_row(team: TeamRow, *, leaders: list[str], channels: list[str]) -> TeamPolicy:
    """The team's policy, with its preset's days off and mode restrictions applied."""
    hours = parse_hours(team.hours_spec)
    policy: TeamPolicy
    preset = None
    if team.preset:
        try:
            preset = load_preset(team.preset)
        except PresetError:
            log.warning("team %s names an unknown preset %r", team.id, team.preset)
    mode = Mode(team.mode)
    if preset is not None:
        policy = preset.to_policy(
            team.name,
            leaders=frozenset(leaders),
            watched_channels=frozenset(channels),
            hours=hours,
            mode=mode if mode in preset.allowed_modes else preset.mode,
        )
    else:
        policy = TeamPolicy(
            name=team.name,
            hours=hours,
            mode=mode,
            leaders=frozenset(leaders),
            watched_channels=frozenset(channels),
        )
    digest_at = time.fromisoformat(team.digest_at) if team.digest_at else None
    return replace(
        policy,
        urgent=UrgentRule(
            who=UrgentWho(team.urgent_who), people=frozenset(json.loads(team.urgent_people or "[]"))
        ),
        digest=DigestSchedule(
            weekday=team.digest_weekday, at=digest_at, target=DigestTarget(team.digest_target)
        ),
        locale=team.locale,
        audience=AudienceKind(team.audience or AudienceKind.TEAM),
    )
