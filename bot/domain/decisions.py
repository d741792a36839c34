"""Decisions: for (sender, audience, instant), deliver now or hold until an instant, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.audience import MembersHours
from bot.domain.policy import DEFAULT_POLICY_NAME, Mode, Person, TeamPolicy, UrgentWho
from bot.domain.timeutil import ensure_utc
from bot.i18n import format_instant, translate

__all__ = [
    "Action",
    "ChannelAudience",
    "Decision",
    "MembersAudience",
    "PersonAudience",
    "Reason",
    "decide",
]


class Action(StrEnum):
    DELIVER = "deliver"
    HOLD = "hold"


@dataclass(frozen=True)
class PersonAudience:
    """A direct message: the recipient's own hours (or their team's default) decide."""

    person: Person
    team: TeamPolicy | None = None

    @property
    def display_name(self) -> str:
        return self.person.name


@dataclass(frozen=True)
class ChannelAudience:
    """A channel message: the channel's team policy decides."""

    channel_id: str
    team: TeamPolicy | None = None

    @property
    def display_name(self) -> str:
        return self.team.name if self.team is not None else self.channel_id


@dataclass(frozen=True)
class MembersAudience:
    """A conversation decided by its human members' own hours: a channel whose team chose
    ``audience members``, or a group DM. It is "in hours" when at least half of them are
    (:class:`~bot.domain.audience.MembersHours`). ``team`` gives the mode and urgent rules
    (None for a group DM no team covers: held, like a DM)."""

    conversation: str
    members: MembersHours
    team: TeamPolicy | None = None
    group: bool = False

    @property
    def display_name(self) -> str:
        return self.team.name if self.team is not None else self.conversation


Audience = PersonAudience | ChannelAudience | MembersAudience


@dataclass(frozen=True)
class Reason:
    """A translatable explanation; instants are rendered in ``tz`` for the reader's locale."""

    key: str
    params: dict[str, str] = field(default_factory=dict)
    when: datetime | None = None
    tz: ZoneInfo | None = None

    def text(self, locale: str | None = None, *, now: datetime | None = None) -> str:
        params: dict[str, object] = dict(self.params)
        if self.when is not None and self.tz is not None:
            params["when"] = format_instant(self.when, self.tz, locale, now=now)
        if params.get("audience") == DEFAULT_POLICY_NAME:  # never the internal name
            params["audience"] = translate("policy.label.workspace", locale)
        if "who" in params:
            params["who"] = translate(f"urgent.who.{params['who']}", locale)
        if "fallback" in params:
            inner = {k: v for k, v in self.params.items() if k not in ("fallback", "who")}
            params["fallback"] = Reason(
                key=str(params["fallback"]), params=inner, when=self.when, tz=self.tz
            ).text(locale, now=now)
        return translate(self.key, locale, **params)


@dataclass(frozen=True)
class Decision:
    """What to do with one message.

    ``deliver_at`` is the instant to deliver (``at`` itself when delivering now). ``label_until``
    is set when the message goes out now but its thread should say "no reply expected until"
    (label mode, off-hours). Never on an urgent override: an urgent post asks to be read and
    answered now, so it is delivered now with no label in any mode. ``urgent`` is true when an
    urgent override was granted (it must be logged and counted).
    """

    action: Action
    deliver_at: datetime
    reason: Reason
    label_until: datetime | None = None
    urgent: bool = False
    urgent_refused: bool = False

    @property
    def held(self) -> bool:
        return self.action is Action.HOLD

    def explain(self, locale: str | None = None, *, now: datetime | None = None) -> str:
        return self.reason.text(locale, now=now)


class Hours(Protocol):
    """What a decision asks of hours: one person's or team's, or a conversation's members'."""

    @property
    def tz(self) -> ZoneInfo: ...

    def next_open(self, instant: datetime) -> datetime | None: ...


def _hours_and_mode(audience: Audience) -> tuple[Hours | None, Mode]:
    team = audience.team
    if isinstance(audience, MembersAudience):
        # a group DM is held by default, like a DM: its members are the people it would reach
        return audience.members, team.mode if team is not None else Mode.HOLD
    if isinstance(audience, PersonAudience):
        if team is not None and team.workspace_default and team.mode is Mode.OFF:
            team = None  # the workspace default is off; a person's own hours still count
        person = audience.person
        hours = team.hours_for(person) if team is not None else person.available(person.hours)
        # A DM is held by default: the recipient is one person whose evening it would interrupt.
        mode = team.mode if team is not None else Mode.HOLD
        return hours, mode
    if team is None:
        return None, Mode.OFF
    return team.hours, team.mode


def _key(audience: Audience, key: str) -> str:
    """A channel held by the workspace default says so, in words of its own."""
    default = audience.team is not None and audience.team.workspace_default
    return f"{key}.workspace" if default and isinstance(audience, ChannelAudience) else key


def decide(
    *,
    sender: str,
    audience: Audience,
    at: datetime,
    urgent: bool = False,
    sender_name: str | None = None,
    handled_at: datetime | None = None,
    asked_to_wait: bool = False,
) -> Decision:
    """Decide for one message from ``sender`` to ``audience`` sent at ``at``.

    Anyone may write at any time; only the *recipient's* hours matter. Urgent overrides are
    granted when the team policy lets ``sender`` mark messages urgent (anyone, by default).

    ``handled_at`` is when the event is handled, which may be minutes later than ``at`` (Slack
    retries after 1 and 5 minutes; the app may have been down). The decision is made against
    the later of the two: if the audience's hours have begun by then, the message goes (or
    stays) as it is, with no label; if not, it waits for the next opening after handling.

    ``asked_to_wait``: the sender asked for it to wait (``later``, Send later, an urgent
    override that was refused): ``label`` mode — which leaves a person's own post where it is
    and marks its thread — holds it as ``hold`` mode does, since a post the bot makes now
    carries no label (the bot never labels its own posts) and the person asked for later.
    """
    at = ensure_utc(at)
    now = at if handled_at is None else max(at, ensure_utc(handled_at))
    name = audience.display_name
    whose = _whose(audience)
    hours, mode = _hours_and_mode(audience)
    if asked_to_wait and mode is Mode.LABEL:
        mode = Mode.HOLD
    if hours is None:
        return Decision(Action.DELIVER, at, Reason("decision.deliver.no_policy"))
    if mode is Mode.OFF:
        return Decision(
            Action.DELIVER,
            at,
            Reason(_key(audience, "decision.deliver.mode_off"), {"audience": name}),
        )
    opening = hours.next_open(now)
    if opening is None:
        return Decision(Action.DELIVER, at, Reason(*whose("decision.deliver.never_opens", name)))
    if opening == now:
        return Decision(Action.DELIVER, at, Reason(*whose("decision.deliver.open", name)))
    if urgent:
        team = audience.team
        if team is None or team.may_mark_urgent(sender):
            return Decision(
                Action.DELIVER,
                at,
                Reason("decision.urgent", {"sender": sender_name or sender}),
                urgent=True,
            )
        fallback = "decision.hold" if mode is Mode.HOLD else "decision.label"
        who = team.urgent.who if team.urgent.who is not UrgentWho.ANYONE else UrgentWho.NOBODY
        key, params = whose(fallback, name)
        refused = Reason(
            "decision.urgent_refused",
            {**params, "who": who.value, "fallback": key},
            when=opening,
            tz=hours.tz,
        )
        return _off_hours(mode, at, opening, refused, urgent_refused=True)
    reason_key = "decision.hold" if mode is Mode.HOLD else "decision.label"
    reason = Reason(*whose(reason_key, name), when=opening, tz=hours.tz)
    return _off_hours(mode, at, opening, reason, urgent_refused=False)


def _whose(audience: Audience) -> Callable[[str, str], tuple[str, dict[str, str]]]:
    """The reason's key and parameters, saying whose hours were used: for members, the
    ``….members`` (channel) or ``….group`` (group DM) variant with how many people they are."""

    def plain(key: str, name: str) -> tuple[str, dict[str, str]]:
        return _key(audience, key), {"audience": name}

    if not isinstance(audience, MembersAudience):
        return plain
    suffix = ".group" if audience.group else ".members"
    count = str(audience.members.count)

    def members(key: str, name: str) -> tuple[str, dict[str, str]]:
        return key + suffix, {"audience": name, "count": count}

    return members


def _off_hours(
    mode: Mode,
    at: datetime,
    opening: datetime,
    reason: Reason,
    *,
    urgent_refused: bool,
) -> Decision:
    if mode is Mode.HOLD:
        return Decision(Action.HOLD, opening, reason, urgent_refused=urgent_refused)
    return Decision(Action.DELIVER, at, reason, label_until=opening, urgent_refused=urgent_refused)
