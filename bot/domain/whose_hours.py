"""Whose hours apply to one person: the precedence rule, kept in one place.

DESIGN.md, "Whose hours", most specific first:

1. **the person's own hours** (what they typed with ``/quiet hours``), exactly as they set them;
2. **their platform schedule** (Slack's notification schedule, Outlook's working hours), in the
   person's own zone. A schedule with no weekdays of its own (Slack's: "notifications 08:00-16:00"
   every day) takes its days from the policy that applies — their team's, else the workspace
   default — so a weekend never becomes a working day. Outlook names its days; they are kept;
3. **their team's policy**: its windows, read in the person's own zone when that is known (an
   Oslo team's 08:00 is a New York member's 08:00 in New York, not 02:00);
4. **the workspace default** (Slack workspace / Teams tenant), the same way.

Days off subtract from all of them: the person's own absences always; the applicable policy's
public holidays (and eves) from every level but the person's own hours, which carry their own
``holidays`` clause when they want one.

Nothing here does I/O: the caller reads the rows and the platform, this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.calendar import HolidayRule
from bot.domain.hours import WorkingHours
from bot.domain.policy import TeamPolicy

__all__ = [
    "FALLBACK_WORKDAYS",
    "HoursSource",
    "PersonHours",
    "PlatformSchedule",
    "resolve_person_hours",
]

#: The days a day-less platform schedule keeps when no policy at all applies (a workspace with
#: neither a team for the person nor a workspace default): Monday to Friday — never a weekend.
FALLBACK_WORKDAYS: frozenset[int] = frozenset(range(5))


class HoursSource(StrEnum):
    """Where a person's hours came from (shown to them: "from your Slack notification schedule")."""

    OWN = "own"  # typed by the person
    PLATFORM = "platform"  # read from the platform, never chosen by the person
    TEAM = "team"  # their team's policy
    WORKSPACE = "workspace"  # the workspace (tenant) default


@dataclass(frozen=True)
class PlatformSchedule:
    """A person's schedule as their chat platform reports it.

    ``hours`` holds the windows in the person's zone. ``own_days`` is False when the platform
    has no notion of weekdays (Slack's notification schedule: the same window every day); then
    only the days the applicable policy works on are kept.
    """

    hours: WorkingHours
    own_days: bool


@dataclass(frozen=True)
class PersonHours:
    """The hours that decide for a person, and why.

    ``policy`` is the policy whose days (for a day-less schedule) and holidays were used, or
    whose hours these are; None for the person's own hours, or when no policy applied.
    ``policy_from`` says which level that policy is (``TEAM`` or ``WORKSPACE``).
    ``days_from_policy`` is True when a day-less platform schedule took that policy's days
    (or :data:`FALLBACK_WORKDAYS` when no policy applied).
    """

    hours: WorkingHours
    source: HoursSource
    policy: TeamPolicy | None = None
    days_from_policy: bool = False
    policy_from: HoursSource | None = None


def _workdays(policy: TeamPolicy | None) -> frozenset[int]:
    if policy is None:
        return FALLBACK_WORKDAYS
    return frozenset(window.weekday for window in policy.hours.windows)


def _holidays(policy: TeamPolicy | None, days_off: frozenset[date]) -> HolidayRule:
    rule = policy.hours.days_off if policy is not None else HolidayRule()
    return rule.with_days_off(rule.personal_days_off | days_off)


def _in_zone(hours: WorkingHours, tz: ZoneInfo | None, rule: HolidayRule) -> WorkingHours:
    return WorkingHours(windows=hours.windows, tz=tz or hours.tz, days_off=rule)


def resolve_person_hours(
    *,
    own: WorkingHours | None,
    platform: PlatformSchedule | None,
    team: TeamPolicy | None,
    default: TeamPolicy | None,
    tz: ZoneInfo | None = None,
    days_off: frozenset[date] = frozenset(),
) -> PersonHours | None:
    """The hours that decide for one person, by the precedence in this module's docstring.

    ``own``: hours the person set; ``platform``: what their platform reports (None when it has
    nothing, or was not asked); ``team``: their team's policy; ``default``: the workspace
    default policy; ``tz``: the person's own zone, when known (team and default windows are
    read in it); ``days_off``: the person's own absences (local dates, subtracted from any
    level). None only when nothing applies at all: no hours, no team and no default.
    """
    applicable = team if team is not None else default
    level = HoursSource.TEAM if team is not None else HoursSource.WORKSPACE
    policy_from = None if applicable is None else level
    if own is not None:
        rule = own.days_off.with_days_off(own.days_off.personal_days_off | days_off)
        return PersonHours(own.with_days_off(rule), HoursSource.OWN)
    if platform is not None:
        windows = platform.hours.windows
        if not platform.own_days:
            days = _workdays(applicable)
            windows = tuple(w for w in windows if w.weekday in days)
        hours = WorkingHours(
            windows=windows, tz=platform.hours.tz, days_off=_holidays(applicable, days_off)
        )
        return PersonHours(
            hours,
            HoursSource.PLATFORM,
            applicable,
            days_from_policy=not platform.own_days,
            policy_from=policy_from,
        )
    if applicable is None:
        return None
    hours = _in_zone(applicable.hours, tz, _holidays(applicable, days_off))
    return PersonHours(hours, level, applicable, policy_from=level)
