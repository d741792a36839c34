"""Team policy: the quiet hours a leader sets for a team, and the people they apply to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.domain.absence import Absence, always_open
from bot.domain.hours import WorkingHours
from bot.domain.timeutil import ensure_utc, local_date, resolve_wall_time
from bot.i18n import translate

__all__ = [
    "DEFAULT_POLICY_NAME",
    "AudienceKind",
    "DigestSchedule",
    "DigestTarget",
    "Mode",
    "ModeNotAllowedError",
    "Person",
    "TeamPolicy",
    "UrgentRule",
    "UrgentWho",
    "policy_label",
]


#: The internal name of the workspace (tenant) default as a policy; people read
#: :func:`policy_label`'s translated phrase instead, never this.
DEFAULT_POLICY_NAME = "workspace default"

#: How far ahead the "first working morning after a rest day" is looked for.
DIGEST_SEARCH_DAYS = 60


class Mode(StrEnum):
    """What happens to a message sent outside the audience's hours."""

    HOLD = "hold"  # held and delivered when hours open
    LABEL = "label"  # delivered, thread marked "no reply expected until …"
    OFF = "off"  # quiet hours not enforced


class AudienceKind(StrEnum):
    """Whose hours decide for a team's channels."""

    TEAM = "team"  # the team policy's hours
    MEMBERS = "members"  # at least half of each channel's human members, each in their own hours


class UrgentWho(StrEnum):
    ANYONE = "anyone"
    LEADERS = "leaders"
    LISTED = "listed"
    NOBODY = "nobody"


class DigestTarget(StrEnum):
    CHANNEL = "channel"  # one digest message per watched channel
    DM = "dm"  # one private digest per person who was away


class ModeNotAllowedError(ValueError):
    """The policy's preset forbids this mode (e.g. Portugal's art. 199.º-A refuses label-only)."""

    def __init__(self, mode: Mode, preset: str, why: str) -> None:
        super().__init__(f"{preset} does not allow mode {mode}: {why}")
        self.mode = mode
        self.preset = preset
        self.why = why


@dataclass(frozen=True)
class UrgentRule:
    """Who may override quiet hours by marking a message urgent (every override is logged)."""

    who: UrgentWho = UrgentWho.ANYONE
    people: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class DigestSchedule:
    """When the team's digest is posted.

    ``weekday=None`` means *the first working morning after a weekend or holiday*, at the
    opening time (or at ``at`` when given); otherwise every week on ``weekday`` at ``at``.
    """

    weekday: int | None = None
    at: time | None = None
    target: DigestTarget = DigestTarget.CHANNEL

    def __post_init__(self) -> None:
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, not {self.weekday}")


@dataclass(frozen=True)
class Person:
    """Someone who receives messages: their own hours, when set, override the team's.

    ``hours`` are the hours as set or read, *without* the absence; ``absence`` (typed days off,
    Outlook automatic replies) is taken out of whichever hours apply by :meth:`available`.
    """

    id: str
    name: str
    hours: WorkingHours | None = None
    locale: str = "en"
    absence: Absence = field(default_factory=Absence)

    def available(self, hours: WorkingHours | None) -> WorkingHours | None:
        """``hours`` (from whatever source applies) minus this person's absence: the one place
        days off are subtracted (DESIGN: "Days off subtract from all of them"). With no hours
        at all, a person who is away is still away: hours that never close, minus the absence.
        """
        if hours is None:
            return None if not self.absence else self.absence.apply(always_open(self.absence.tz))
        return self.absence.apply(hours)


@dataclass(frozen=True)
class TeamPolicy:
    """A team's quiet hours, set by its leaders."""

    name: str
    hours: WorkingHours
    mode: Mode = Mode.HOLD
    urgent: UrgentRule = field(default_factory=UrgentRule)
    digest: DigestSchedule = field(default_factory=DigestSchedule)
    watched_channels: frozenset[str] = field(default_factory=frozenset)
    leaders: frozenset[str] = field(default_factory=frozenset)
    preset: str | None = None
    allowed_modes: frozenset[Mode] = frozenset(Mode)
    mode_restriction_reason: str = ""
    locale: str = "en"
    audience: AudienceKind = AudienceKind.TEAM
    # the workspace (Slack) / tenant (Teams) default, covering what no team covers
    workspace_default: bool = False

    def __post_init__(self) -> None:
        if self.mode not in self.allowed_modes:
            raise ModeNotAllowedError(
                self.mode, self.preset or self.name, self.mode_restriction_reason
            )

    def is_leader(self, person_id: str) -> bool:
        return person_id in self.leaders

    def may_mark_urgent(self, person_id: str) -> bool:
        rule = self.urgent
        if rule.who is UrgentWho.ANYONE:
            return True
        if rule.who is UrgentWho.LEADERS:
            return self.is_leader(person_id)
        if rule.who is UrgentWho.LISTED:
            return person_id in rule.people or self.is_leader(person_id)
        return False

    def hours_for(self, person: Person | None) -> WorkingHours:
        """Personal hours override the team default for messages *to that person*; their
        days off are taken out of either (:meth:`Person.available`)."""
        if person is None:
            return self.hours
        found = person.available(person.hours if person.hours is not None else self.hours)
        assert found is not None  # hours in, hours out
        return found

    def with_changes(self, **changes: object) -> TeamPolicy:
        return replace(self, **changes)  # type: ignore[arg-type]

    def next_digest_at(self, after: datetime) -> datetime | None:
        """The first digest instant strictly after ``after``."""
        after = ensure_utc(after)
        schedule = self.digest
        if schedule.weekday is None:
            return _first_working_morning(self.hours, after, schedule.at)
        tz = self.hours.tz
        day = local_date(after, tz)
        for offset in range(8):
            candidate_day = day + timedelta(days=offset)
            if candidate_day.weekday() != schedule.weekday:
                continue
            candidate = resolve_wall_time(candidate_day, schedule.at or time(8), tz)
            if candidate > after:
                return candidate
        return None


def _first_working_morning(
    hours: WorkingHours, after: datetime, at: time | None
) -> datetime | None:
    """The first opening after ``after`` that ends a closed stretch holding a whole rest day.

    A weekend (Fri 16:00 -> Mon 08:00) or a holiday (Wed 16:00 -> Thu off -> Fri 08:00)
    qualifies; an ordinary night does not. With ``at``, the digest goes out at that local time
    on that day, but never before the stretch ends. ``None`` when no such morning comes within
    :data:`DIGEST_SEARCH_DAYS` (a team that never rests a whole day needs an explicit weekday).
    """
    probe = after - timedelta(days=8)
    previous_end = probe
    limit = after + timedelta(days=DIGEST_SEARCH_DAYS)
    for start, end in hours.open_intervals(probe):
        if start > limit:
            return None
        if start > previous_end and _holds_whole_day(hours, previous_end, start):
            candidate = start
            if at is not None:
                candidate = max(start, resolve_wall_time(local_date(start, hours.tz), at, hours.tz))
            if candidate > after:
                return candidate
        if end is None:
            return None
        previous_end = end
    return None


def _holds_whole_day(hours: WorkingHours, start: datetime, end: datetime) -> bool:
    """Whether ``[start, end)`` contains a whole local calendar day."""
    tz = hours.tz
    first_day = local_date(start, tz)
    if resolve_wall_time(first_day, time(0), tz) < start:
        first_day += timedelta(days=1)
    return resolve_wall_time(first_day + timedelta(days=1), time(0), tz) <= end


def policy_label(policy: TeamPolicy, locale: str | None) -> str:
    """Where hours come from, as people read it: "the team Platform", or "the workspace
    default" in their language — never the default's internal name."""
    if policy.workspace_default:
        return translate("policy.label.workspace", locale)
    return translate("policy.label.team", locale, team=policy.name)
