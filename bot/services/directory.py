"""Turning stored rows into domain values: a team's policy, a person's hours."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.absence import Absence
from bot.domain.hours import Interval, WorkingHours
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
from bot.domain.timeutil import ensure_utc
from bot.domain.whose_hours import PersonHours, PlatformSchedule, resolve_person_hours
from bot.presets import PresetError, load_preset
from bot.storage.models import PersonRow, TeamRow

__all__ = [
    "absence_of",
    "days_off_of",
    "hours_of_person",
    "outlook_away_of",
    "person_from_row",
    "platform_schedule_from_row",
    "policy_from_row",
    "zone_or_utc",
]

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


@lru_cache(maxsize=4096)
def _parsed(spec: str, tz: str | None) -> WorkingHours:
    """A stored spec read in the person's zone; remembered, since a channel of thousands holds
    few distinct ones (raises :class:`HoursSyntaxError`, which is not remembered)."""
    return parse_hours(spec, default_tz=zone_or_utc(tz))


def days_off_of(row: PersonRow) -> frozenset[date]:
    """The person's typed days off (``people.days_off``, a JSON list of ISO dates)."""
    return _days_off(row.days_off)


def outlook_away_of(row: PersonRow) -> tuple[Interval, ...]:
    """The person's scheduled Outlook automatic replies (``people.outlook_away``: a JSON list
    of ``[start, end]`` ISO UTC instants)."""
    if not row.outlook_away:
        return ()
    try:
        found = tuple(
            (ensure_utc(datetime.fromisoformat(s)), ensure_utc(datetime.fromisoformat(e)))
            for s, e in json.loads(row.outlook_away)
        )
    except (ValueError, TypeError):
        log.warning("ignoring an unreadable Outlook absence")
        return ()
    return tuple(i for i in found if i[0] < i[1])


def absence_of(row: PersonRow) -> Absence:
    """When the person is away: typed days (whole days in their own zone) and Outlook's
    scheduled automatic replies."""
    return Absence(days=days_off_of(row), tz=zone_or_utc(row.tz), outlook=outlook_away_of(row))


def _known_zone(name: str | None) -> ZoneInfo | None:
    """The zone named, or None when there is none or it is not a zone (then nothing is moved)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def platform_schedule_from_row(row: PersonRow) -> PlatformSchedule | None:
    """The schedule the platform reported for the person (stored at first sight, refreshed),
    or None when it reported none or what is stored no longer parses."""
    if not row.platform_hours_spec:
        return None
    try:
        hours = _parsed(row.platform_hours_spec, row.tz)
    except HoursSyntaxError:
        log.warning("a stored platform schedule no longer parses; ignoring it")
        return None
    return PlatformSchedule(hours=hours, own_days=bool(row.platform_hours_days))


def hours_of_person(
    row: PersonRow | None,
    *,
    team: TeamPolicy | None,
    default: TeamPolicy | None,
    zone: str | None = None,
) -> PersonHours | None:
    """The hours that decide for a person, by the precedence of ``bot.domain.whose_hours``:
    their own > their platform schedule (with the applicable policy's days) > ``team`` >
    ``default`` (the workspace default), each in the person's own zone, minus their days off.

    ``row`` is the stored person (None: never seen; then only ``team``/``default`` apply, in
    ``zone`` when the platform told one, e.g. Slack's ``users.list``).
    Callers choose ``team``: a channel's team for its members, the recipient's team for a
    direct message. None when nothing applies at all.
    """
    if row is None:
        return resolve_person_hours(
            own=None, platform=None, team=team, default=default, tz=_known_zone(zone)
        )
    found = resolve_person_hours(
        own=_own_hours(row),
        platform=platform_schedule_from_row(row),
        team=team,
        default=default,
        tz=_known_zone(row.tz or zone),
        days_off=_days_off(row.days_off),
    )
    if found is None:
        return None
    # their whole absence, Outlook's scheduled automatic replies included, closes whichever
    # level applies (bot.domain.absence: the typed days again, which changes nothing)
    return replace(found, hours=absence_of(row).apply(found.hours))


def _own_hours(row: PersonRow) -> WorkingHours | None:
    """The hours the person typed themselves (without their days off), or None."""
    if not row.hours_spec or row.hours_source not in (None, "personal"):
        return None
    try:
        return _parsed(row.hours_spec, row.tz)
    except HoursSyntaxError:
        log.warning("stored hours for a person no longer parse; using team hours")
        return None


def person_from_row(row: PersonRow) -> Person:
    """A person with the hours they set themselves (and their days off); else ``hours=None``.

    A platform schedule is not the person's own: see :func:`hours_of_person` for the hours that
    decide for them."""
    hours = _own_hours(row)
    days = _days_off(row.days_off)
    if hours is not None and days:
        hours = hours.with_days_off(replace(hours.days_off, personal_days_off=days))
    return Person(
        id=row.external_id,
        name=row.display_name or row.external_id,
        hours=hours,
        locale=row.locale or "en",
        absence=absence_of(row),
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
