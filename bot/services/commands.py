"""The `/quiet` verbs, platform-free: parse the text, act, and answer with a :class:`Reply`.

Slack renders a reply as Block Kit (ephemeral), Teams as an Adaptive Card; both call
:meth:`CommandService.run` with an :class:`Invocation`. Mentions arrive in one canonical form,
``<@PERSON>`` and ``<#CHANNEL>`` (optionally ``|label``), which is what Slack sends and what the
Teams adapter rewrites its mentions into.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import HoursSyntaxError, format_hours, parse_hours
from bot.domain.policy import Mode, ModeNotAllowedError, TeamPolicy, UrgentWho
from bot.domain.timeutil import local_date
from bot.i18n import format_instant, normalize_locale, translate, weekday_name
from bot.ports import UserProfile
from bot.presets import PresetError, list_presets, load_preset
from bot.services.compose import ComposeService, NotInstalledError
from bot.services.digest import DigestService
from bot.services.directory import person_from_row, policy_from_row, zone_or_utc
from bot.storage.crypto import Cipher
from bot.storage.models import (
    ActivityRow,
    HeldMessageRow,
    PersonRow,
    TeamLeaderRow,
    TeamRow,
    UrgentOverrideRow,
)
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    DigestRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)

__all__ = [
    "Button",
    "CommandService",
    "HomeService",
    "Invocation",
    "PeopleSource",
    "Reply",
    "Section",
    "split_command",
]

log = logging.getLogger(__name__)

#: Longest text the bot will hold (Slack truncates far later; Teams cards get unwieldy).
MAX_TEXT = 4000
#: Held messages listed in one answer (the App Home lists the same).
MAX_LISTED = 10

_MENTION = re.compile(r"^<@([A-Za-z0-9_.:-]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([A-Za-z0-9_.:-]+)(?:\|[^>]*)?>$")
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DAYS_NB = {
    "man": 0,
    "tir": 1,
    "ons": 2,
    "tor": 3,
    "fre": 4,
    "lør": 5,
    "lor": 5,
    "søn": 6,
    "son": 6,
}
_CLOCK = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")

_VERBS = ("help", "hours", "status", "later", "urgent", "digest", "me", "team")
_ALIASES = {
    "hjelp": "help",
    "timer": "hours",
    "arbeidstid": "hours",
    "senere": "later",
    "seinere": "later",
    "haster": "urgent",
    "oppsummering": "digest",
    "meg": "me",
    "?": "help",
}


@dataclass(frozen=True)
class Button:
    """An action the person can take on a reply: ``action`` names it, ``value`` identifies it."""

    action: str
    value: str
    label: str
    style: str | None = None  # "primary" | "danger"


@dataclass(frozen=True)
class Section:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Reply:
    """A private answer: sections of text with optional buttons; ``error`` for refusals."""

    sections: tuple[Section, ...]
    error: bool = False
    locale: str = "en"

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)

    @classmethod
    def of(cls, *texts: str, error: bool = False, locale: str = "en") -> Reply:
        return cls(tuple(Section(text) for text in texts), error=error, locale=locale)


@dataclass(frozen=True)
class Invocation:
    """One command: who typed what, where."""

    platform: str
    workspace: str
    person: str
    conversation: str
    text: str
    person_name: str | None = None
    locale: str | None = None  # the platform's locale for this person, when it sends one


class PeopleSource(Protocol):
    """What the command layer asks the platform about people (Slack: users.info, dnd.teamInfo)."""

    async def user_profile(self, workspace: str, person: str) -> UserProfile: ...

    async def notification_hours(self, workspace: str, person: str, tz: str | None) -> str | None:
        """The person's notification schedule as an hours spec, if the platform has one."""
        ...


def split_command(text: str) -> tuple[str, str]:
    """``("later", "the rest")``; unknown or empty verbs come back as they are."""
    stripped = (text or "").strip()
    if not stripped:
        return "help", ""
    head, _, rest = stripped.partition(" ")
    verb = head.lower()
    return _ALIASES.get(verb, verb), rest.strip()


@dataclass
class _Caller:
    workspace_id: int
    person: PersonRow
    locale: str
    profile: UserProfile | None = None
    team: TeamRow | None = None
    policy: TeamPolicy | None = None
    extra: dict[str, object] = field(default_factory=dict)


class CommandService:
    """Runs the verbs; every answer is in the caller's language."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        compose: ComposeService,
        digests: DigestService,
        people: PeopleSource | None = None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._compose = compose
        self._digests = digests
        self._people = people
        self._wake = wake

    # -- entry points --------------------------------------------------------------------------

    async def run(self, call: Invocation) -> Reply:
        verb, rest = split_command(call.text)
        try:
            caller = await self._caller(call)
        except NotInstalledError:
            return Reply.of(translate("cmd.not_installed", call.locale), error=True)
        handlers: dict[str, Callable[[Invocation, _Caller, str], Awaitable[Reply]]] = {
            "help": self._help,
            "hours": self._hours,
            "status": self._status,
            "later": self._later,
            "urgent": self._urgent,
            "digest": self._digest,
            "me": self._me,
            "team": self._team,
        }
        handler = handlers.get(verb)
        if handler is None:
            return Reply.of(
                translate("cmd.unknown", caller.locale, verb=verb[:40]),
                self._help_text(caller.locale),
                error=True,
                locale=caller.locale,
            )
        return await handler(call, caller, rest)

    async def person(self, platform: str, workspace: str, person: str) -> tuple[str, str | None]:
        """(locale, time zone) of someone, reading their platform profile the first time."""
        caller = await self._caller(Invocation(platform, workspace, person, "", ""))
        return caller.locale, caller.person.tz

    async def locale_of(self, platform: str, workspace: str, person: str) -> str:
        async with self._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None:
                return "en"
            found = await PersonRepository(session).find(row.id, person)
            return normalize_locale(found.locale if found else None)

    # -- who is calling ------------------------------------------------------------------------

    async def _caller(self, call: Invocation) -> _Caller:
        now = self._clock.now()
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(call.platform, call.workspace)
            if workspace is None or workspace.uninstalled_at is not None:
                raise NotInstalledError(call.workspace)
            person = await PersonRepository(session).find(workspace.id, call.person)
        profile: UserProfile | None = None
        if (person is None or person.tz is None) and self._people is not None:
            try:
                profile = await self._people.user_profile(call.workspace, call.person)
            except Exception:  # the profile only fills in defaults; never fail a command on it
                log.info("could not read the profile of a person; using defaults")
        async with self._sessions() as session, session.begin():
            people = PersonRepository(session)
            person = await people.get_or_create(
                workspace.id,
                call.person,
                now=now,
                display_name=(profile.name if profile else None) or call.person_name,
                tz=profile.tz if profile else None,
                locale=(profile.locale if profile else None) or call.locale,
            )
            if profile is not None and person.tz is None and profile.tz:
                person.tz, person.updated_at = profile.tz, now
            if person.locale is None and (call.locale or (profile and profile.locale)):
                person.locale = call.locale or (profile.locale if profile else None)
            if person.display_name is None and (call.person_name or profile):
                person.display_name = (profile.name if profile else None) or call.person_name
            session.expunge(person)
            teams = TeamRepository(session)
            team = await teams.for_channel(workspace.id, call.conversation)
            policy = None
            if team is not None:
                policy = policy_from_row(
                    team,
                    leaders=await teams.leaders(team.id),
                    channels=await teams.channels(team.id),
                )
                session.expunge(team)
        return _Caller(
            workspace_id=workspace.id,
            person=person,
            locale=normalize_locale(person.locale or call.locale),
            profile=profile,
            team=team,
            policy=policy,
        )

    async def _is_admin(self, call: Invocation, caller: _Caller) -> bool:
        profile = caller.profile
        if profile is None and self._people is not None:
            try:
                profile = await self._people.user_profile(call.workspace, call.person)
            except Exception:
                return False
        return bool(profile and profile.is_admin)

    def _when(self, instant: datetime, tz: WorkingHours | None, caller: _Caller) -> str:
        zone = tz.tz if tz is not None else zone_or_utc(caller.person.tz)
        return format_instant(instant, zone, caller.locale, now=self._clock.now())

    # -- help ----------------------------------------------------------------------------------

    def _help_text(self, locale: str) -> str:
        lines = [translate("cmd.help.title", locale)]
        lines += [translate(f"cmd.help.{verb}", locale) for verb in _VERBS]
        return "\n".join(lines)

    async def _help(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        return Reply.of(self._help_text(caller.locale), locale=caller.locale)

    # -- hours ---------------------------------------------------------------------------------

    def _my_hours(self, caller: _Caller) -> WorkingHours | None:
        return person_from_row(caller.person).hours

    def _open_line(self, hours: WorkingHours, caller: _Caller) -> str:
        now = self._clock.now()
        if hours.is_open(now):
            closes = hours.next_close(now)
            if closes is None:
                return translate("cmd.hours.open_always", caller.locale)
            return translate(
                "cmd.hours.open_now", caller.locale, until=self._when(closes, hours, caller)
            )
        opens = hours.next_open(now)
        if opens is None:
            return translate("cmd.hours.never_opens", caller.locale)
        return translate(
            "cmd.hours.closed_now", caller.locale, when=self._when(opens, hours, caller)
        )

    async def _hours(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        locale = caller.locale
        words = rest.lower().split()
        if words and words[0] in ("clear", "reset", "fjern", "nullstill"):
            async with self._sessions() as session, session.begin():
                row = await PersonRepository(session).find(caller.workspace_id, call.person)
                assert row is not None
                await PersonRepository(session).set_hours(
                    row, None, source=None, now=self._clock.now()
                )
            return Reply.of(translate("cmd.hours.cleared", locale), locale=locale)
        if rest:
            try:
                hours = parse_hours(rest, default_tz=zone_or_utc(caller.person.tz))
            except HoursSyntaxError as error:
                return Reply.of(error.message(locale), error=True, locale=locale)
            spec = format_hours(hours)
            async with self._sessions() as session, session.begin():
                row = await PersonRepository(session).find(caller.workspace_id, call.person)
                assert row is not None
                await PersonRepository(session).set_hours(
                    row, spec, source="personal", now=self._clock.now()
                )
            return Reply.of(
                translate("cmd.hours.saved", locale, spec=spec),
                self._open_line(hours, caller),
                locale=locale,
            )
        mine = self._my_hours(caller)
        if mine is not None and caller.person.hours_source == "personal":
            return Reply.of(
                translate("cmd.hours.yours", locale, spec=caller.person.hours_spec),
                self._open_line(mine, caller),
                translate("cmd.hours.how_to_change", locale),
                locale=locale,
            )
        # Nothing set by the person: read the platform's notification schedule, use it as the
        # default, and say so.
        read: str | None = None
        if self._people is not None:
            try:
                read = await self._people.notification_hours(
                    call.workspace, call.person, caller.person.tz
                )
            except Exception:
                log.info("could not read a notification schedule")
        if read is not None:
            read_hours: WorkingHours | None
            try:
                read_hours = parse_hours(read, default_tz=zone_or_utc(caller.person.tz))
            except HoursSyntaxError:
                read_hours = None
            if read_hours is not None:
                hours = read_hours
                async with self._sessions() as session, session.begin():
                    row = await PersonRepository(session).find(caller.workspace_id, call.person)
                    assert row is not None
                    await PersonRepository(session).set_hours(
                        row, format_hours(hours), source="platform", now=self._clock.now()
                    )
                return Reply.of(
                    translate("cmd.hours.from_platform", locale, spec=format_hours(hours)),
                    self._open_line(hours, caller),
                    translate("cmd.hours.how_to_change", locale),
                    locale=locale,
                )
        texts = [translate("cmd.hours.none", locale)]
        if caller.policy is not None:
            texts.append(
                translate(
                    "cmd.hours.team_default",
                    locale,
                    team=caller.policy.name,
                    spec=format_hours(caller.policy.hours),
                )
            )
            texts.append(self._open_line(caller.policy.hours, caller))
        texts.append(translate("cmd.hours.how_to_change", locale))
        return Reply.of(*texts, locale=locale)

    # -- status --------------------------------------------------------------------------------

    async def held_by(self, workspace_id: int, person: str) -> list[tuple[HeldMessageRow, str]]:
        """The person's held messages, soonest first, with their (decrypted) first line."""
        async with self._sessions() as session:
            repo = HeldMessageRepository(session, self._cipher)
            rows = await repo.list_for_author(workspace_id, person)
            return [(row, _first_line(repo.body(row) or "")) for row in rows[:MAX_LISTED]]

    def held_sections(
        self, rows: list[tuple[HeldMessageRow, str]], caller_tz: str | None, locale: str
    ) -> list[Section]:
        sections = []
        for row, first in rows:
            where = (
                f"<#{row.conversation_id}>"
                if row.conversation_id[:1] in "CG"
                else f"<@{row.conversation_id}>"
            )
            text = translate(
                "cmd.status.held_item",
                locale,
                where=where,
                when=format_instant(
                    row.deliver_at, zone_or_utc(caller_tz), locale, now=self._clock.now()
                ),
                text=first,
            )
            sections.append(Section(text, held_buttons(row.id, locale, edit=False)))
        return sections

    async def _status(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        locale = caller.locale
        hours = self._my_hours(caller) or (caller.policy.hours if caller.policy else None)
        sections: list[Section] = []
        if hours is None:
            sections.append(Section(translate("cmd.status.no_hours", locale)))
        else:
            sections.append(Section(self._open_line(hours, caller)))
        mine = await self.held_by(caller.workspace_id, call.person)
        if mine:
            sections.append(Section(translate("cmd.status.held_by_you", locale, count=len(mine))))
            sections += self.held_sections(mine, caller.person.tz, locale)
        else:
            sections.append(Section(translate("cmd.status.nothing_held_by_you", locale)))
        async with self._sessions() as session:
            waiting = await HeldMessageRepository(session, self._cipher).list_for_conversation(
                caller.workspace_id, call.person
            )
        if waiting:
            first = min(row.deliver_at for row in waiting)
            sections.append(
                Section(
                    translate(
                        "cmd.status.held_for_you",
                        locale,
                        count=len(waiting),
                        when=self._when(first, hours, caller),
                    )
                )
            )
        return Reply(tuple(sections), locale=locale)

    # -- later / urgent ------------------------------------------------------------------------

    def _target(self, call: Invocation, rest: str) -> tuple[str, str | None, str]:
        """(conversation, recipient, text): ``@person text`` holds a DM from the bot to them."""
        head, _, tail = rest.partition(" ")
        mention = _MENTION.match(head)
        if mention:
            return mention.group(1), mention.group(1), tail.strip()
        channel = _CHANNEL.match(head)
        if channel:
            return channel.group(1), None, tail.strip()
        return call.conversation, None, rest

    async def _later(
        self, call: Invocation, caller: _Caller, rest: str, *, urgent: bool = False
    ) -> Reply:
        locale = caller.locale
        verb = "urgent" if urgent else "later"
        conversation, recipient, text = self._target(call, rest)
        if not text.strip():
            return Reply.of(translate(f"cmd.{verb}.empty", locale), error=True, locale=locale)
        if len(text) > MAX_TEXT:
            return Reply.of(
                translate("cmd.later.too_long", locale, limit=MAX_TEXT, length=len(text)),
                error=True,
                locale=locale,
            )
        if recipient is None and conversation[:1] == "D" and not caller.person.auto_hold:
            return Reply.of(translate("cmd.later.in_dm", locale), error=True, locale=locale)
        composed = await self._compose.compose(
            platform=call.platform,
            workspace=call.workspace,
            author=call.person,
            conversation=conversation,
            recipient=recipient,
            text=text,
            urgent=urgent,
            author_name=caller.person.display_name or call.person_name,
            kind="later",
            as_author=recipient is None and conversation[:1] == "D",
        )
        decision = composed.decision
        why = decision.explain(locale, now=self._clock.now())
        if urgent and decision.urgent:
            return Reply.of(translate("cmd.urgent.sent", locale), why, locale=locale)
        if decision.held:
            when = self._when(decision.deliver_at, None, caller)
            lead = "cmd.urgent.refused_held" if urgent else "cmd.later.held"
            return Reply(
                (
                    Section(translate(lead, locale, when=when)),
                    Section(why, held_buttons(composed.held_id, locale)),
                ),
                locale=locale,
            )
        return Reply.of(translate("cmd.later.sent_now", locale), why, locale=locale)

    async def _urgent(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        return await self._later(call, caller, rest, urgent=True)

    # -- digest --------------------------------------------------------------------------------

    async def _digest(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        locale = caller.locale
        if caller.team is None or caller.policy is None:
            return Reply.of(translate("cmd.no_team", locale), error=True, locale=locale)
        threads, first_lines = await self._digests.preview_with_lines(caller.team.id)
        now = self._clock.now()
        due = caller.policy.next_digest_at(now)
        when = (
            self._when(due, caller.policy.hours, caller)
            if due
            else translate("check.never", locale)
        )
        if not threads:
            return Reply.of(translate("cmd.digest.empty", locale, when=when), locale=locale)
        lines = [translate("cmd.digest.preview", locale, when=when, count=len(threads))]
        for thread in threads[:20]:
            line = translate(
                "cmd.digest.thread",
                locale,
                where=f"<#{thread.conversation}>",
                when=format_instant(
                    thread.first_at, caller.policy.hours.tz, locale, now=now, with_zone=False
                ),
                messages=thread.messages,
                people=thread.people,
            )
            if thread.looks_decided:
                line += translate("digest.decided", locale)
            first = first_lines.get((thread.conversation, thread.thread))
            lines.append(line + (f"\n> {first}" if first else ""))
        return Reply.of("\n".join(lines), locale=locale)

    # -- me ------------------------------------------------------------------------------------

    async def _me(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        """The caller's own off-hours activity this week; shown to no one else."""
        locale = caller.locale
        tz = zone_or_utc(caller.person.tz)
        now = self._clock.now()
        today = local_date(now, tz)
        monday = today - timedelta(days=today.weekday())
        from bot.domain.timeutil import resolve_wall_time

        start = resolve_wall_time(monday, time(0), tz)
        async with self._sessions() as session:
            rows = list(
                (
                    await session.scalars(
                        select(ActivityRow).where(
                            ActivityRow.workspace_id == caller.workspace_id,
                            ActivityRow.person_id == call.person,
                            ActivityRow.occurred_at >= start,
                            ActivityRow.occurred_at < now,
                        )
                    )
                ).all()
            )
            urgent = len(
                (
                    await session.scalars(
                        select(UrgentOverrideRow.id).where(
                            UrgentOverrideRow.workspace_id == caller.workspace_id,
                            UrgentOverrideRow.sender_id == call.person,
                            UrgentOverrideRow.occurred_at >= start,
                        )
                    )
                ).all()
            )
        since = f"{weekday_name(0, locale)} {monday.day}.{monday.month}."
        if not rows and not urgent:
            return Reply.of(translate("cmd.me.none", locale, since=since), locale=locale)
        local = [row.occurred_at.astimezone(tz) for row in rows]
        evenings = sum(1 for t in local if t.weekday() < 5 and (t.hour >= 18 or t.hour < 6))
        weekend = sum(1 for t in local if t.weekday() >= 5)
        days = len({t.date() for t in local})
        texts = [
            translate(
                "cmd.me.summary",
                locale,
                since=since,
                count=len(rows),
                days=days,
                evenings=evenings,
                weekend=weekend,
            )
        ]
        if urgent:
            texts.append(translate("cmd.me.urgent", locale, count=urgent))
        texts.append(translate("cmd.me.private", locale))
        return Reply.of(*texts, locale=locale)

    # -- team (leaders) ------------------------------------------------------------------------

    async def team_summary(self, team: TeamRow, policy: TeamPolicy, locale: str) -> str:
        digest = policy.digest
        if digest.weekday is None:
            schedule = translate("cmd.team.digest_auto", locale)
            if digest.at is not None:
                schedule += f" {digest.at:%H:%M}"
        else:
            day = weekday_name(digest.weekday, locale, short=False)
            schedule = f"{day} {(digest.at or time(8)):%H:%M}"
        target = translate(f"cmd.team.target.{digest.target.value}", locale)
        async with self._sessions() as session:
            last = await DigestRepository(session).last(team.id)
        lines = [
            translate("cmd.team.title", locale, name=team.name),
            translate("cmd.team.hours", locale, spec=format_hours(policy.hours)),
            translate(
                "cmd.team.mode", locale, mode=translate(f"cmd.mode.{policy.mode.value}", locale)
            ),
            translate("cmd.team.digest", locale, schedule=schedule, target=target),
            translate(
                "cmd.team.channels",
                locale,
                channels=", ".join(f"<#{c}>" for c in sorted(policy.watched_channels)) or "—",
            ),
            translate(
                "cmd.team.leaders",
                locale,
                leaders=", ".join(f"<@{p}>" for p in sorted(policy.leaders)) or "—",
            ),
            translate(
                "cmd.team.urgent",
                locale,
                who=translate(f"cmd.urgent_who.{policy.urgent.who.value}", locale),
            ),
        ]
        if team.preset:
            lines.append(translate("cmd.team.preset", locale, preset=team.preset))
        if last is not None and last.posted_at is not None:
            lines.append(
                translate(
                    "cmd.team.last_digest",
                    locale,
                    when=format_instant(
                        last.posted_at, policy.hours.tz, locale, now=self._clock.now()
                    ),
                )
            )
        return "\n".join(lines)

    async def _team(self, call: Invocation, caller: _Caller, rest: str) -> Reply:
        locale = caller.locale
        sub, _, args = rest.strip().partition(" ")
        sub, args = sub.lower(), args.strip()
        if sub in ("create", "opprett", "new", "ny"):
            return await self._team_create(call, caller, args)
        if caller.team is None or caller.policy is None:
            return Reply.of(translate("cmd.team.none_here", locale), locale=locale)
        if not sub or sub in ("show", "vis"):
            return Reply.of(
                await self.team_summary(caller.team, caller.policy, locale), locale=locale
            )
        if not (caller.policy.is_leader(call.person) or await self._is_admin(call, caller)):
            leaders = ", ".join(f"<@{p}>" for p in sorted(caller.policy.leaders)) or "—"
            return Reply.of(
                translate("cmd.team.leaders_only", locale, leaders=leaders),
                error=True,
                locale=locale,
            )
        setters: dict[str, Callable[[Invocation, _Caller, str], Awaitable[Reply]]] = {
            "hours": self._team_hours,
            "timer": self._team_hours,
            "mode": self._team_mode,
            "modus": self._team_mode,
            "digest": self._team_digest,
            "watch": self._team_watch,
            "overvåk": self._team_watch,
            "unwatch": self._team_unwatch,
            "leader": self._team_leader,
            "leder": self._team_leader,
            "urgent": self._team_urgent,
            "language": self._team_language,
            "språk": self._team_language,
        }
        setter = setters.get(sub)
        if setter is None:
            return Reply.of(translate("cmd.team.usage", locale), error=True, locale=locale)
        return await setter(call, caller, args)

    async def _update_team(self, caller: _Caller, **fields: object) -> TeamPolicy:
        """Write the fields, re-read the policy (raising if a preset refuses it)."""
        assert caller.team is not None
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            team = await teams.get(caller.team.id)
            assert team is not None
            await teams.update(team, now=self._clock.now(), **fields)
            policy = policy_from_row(
                team, leaders=await teams.leaders(team.id), channels=await teams.channels(team.id)
            )
        return policy

    async def _team_create(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        if caller.team is not None:
            return Reply.of(
                translate("cmd.team.already", locale, name=caller.team.name),
                error=True,
                locale=locale,
            )
        if not await self._is_admin(call, caller):
            return Reply.of(translate("cmd.team.admins_create", locale), error=True, locale=locale)
        words = args.split()
        if not words:
            return Reply.of(translate("cmd.team.create_usage", locale), error=True, locale=locale)
        preset_name = words[-1] if len(words) > 1 and words[-1] in list_presets() else None
        name = " ".join(words[:-1] if preset_name else words)[:100]
        try:
            preset = load_preset(preset_name or "office-standard")
        except PresetError:
            return Reply.of(translate("cmd.team.create_usage", locale), error=True, locale=locale)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            if await teams.by_name(caller.workspace_id, name) is not None:
                return Reply.of(
                    translate("cmd.team.name_taken", locale, name=name), error=True, locale=locale
                )
            team = await teams.create(
                caller.workspace_id,
                name,
                hours_spec=format_hours(preset.hours),
                now=now,
                mode=preset.mode.value,
                preset=preset_name,
                urgent_who=preset.urgent.who.value,
                locale=locale,
            )
            await teams.watch(team, call.conversation)
            person = await PersonRepository(session).find(caller.workspace_id, call.person)
            assert person is not None
            await teams.add_leader(team.id, person.id)
            policy = policy_from_row(team, leaders=[call.person], channels=[call.conversation])
            summary = await self.team_summary(team, policy, locale)
        return Reply.of(translate("cmd.team.created", locale, name=name), summary, locale=locale)

    async def _team_hours(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        assert caller.policy is not None
        if not args:
            return Reply.of(
                translate("cmd.team.hours", locale, spec=format_hours(caller.policy.hours)),
                locale=locale,
            )
        try:
            hours = parse_hours(args, default_tz=caller.policy.hours.tz)
        except HoursSyntaxError as error:
            return Reply.of(error.message(locale), error=True, locale=locale)
        policy = await self._update_team(caller, hours_spec=format_hours(hours))
        texts = [
            translate("cmd.team.saved", locale),
            translate("cmd.team.hours", locale, spec=format_hours(policy.hours)),
        ]
        if caller.team is not None and caller.team.preset:
            try:
                problems = load_preset(caller.team.preset).check_hours(policy.hours)
            except PresetError:
                problems = []
            texts += [
                translate("cmd.team.rule_warning", locale, problem=p.message(locale))
                for p in problems[:5]
            ]
        return Reply.of(*texts, locale=locale)

    async def _team_mode(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        assert caller.policy is not None
        names = {
            "hold": Mode.HOLD,
            "hold-back": Mode.HOLD,
            "hold_back": Mode.HOLD,
            "hold tilbake": Mode.HOLD,
            "label": Mode.LABEL,
            "merk": Mode.LABEL,
            "off": Mode.OFF,
            "av": Mode.OFF,
        }
        mode = names.get(args.lower().strip())
        if mode is None:
            return Reply.of(translate("cmd.team.mode_usage", locale), error=True, locale=locale)
        if mode not in caller.policy.allowed_modes:
            error = ModeNotAllowedError(
                mode,
                caller.policy.preset or caller.policy.name,
                caller.policy.mode_restriction_reason,
            )
            return Reply.of(
                translate(
                    "policy.error.mode_not_allowed",
                    locale,
                    preset=error.preset,
                    mode=mode.value,
                    why=error.why,
                ),
                error=True,
                locale=locale,
            )
        await self._update_team(caller, mode=mode.value)
        return Reply.of(
            translate("cmd.team.saved", locale),
            translate("cmd.team.mode", locale, mode=translate(f"cmd.mode.{mode.value}", locale)),
            locale=locale,
        )

    async def _team_digest(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        words = args.lower().split()
        fields: dict[str, object] = {}
        for word in words:
            if word in ("auto", "default", "standard"):
                fields["digest_weekday"] = None
                fields["digest_at"] = None
            elif word in ("dm", "person", "personal", "personlig"):
                fields["digest_target"] = "dm"
            elif word in ("channel", "kanal"):
                fields["digest_target"] = "channel"
            elif word[:3] in _DAYS or word[:3] in _DAYS_NB:
                fields["digest_weekday"] = _DAYS.get(word[:3], _DAYS_NB.get(word[:3]))
            elif (clock := _CLOCK.match(word)) is not None:
                fields["digest_at"] = f"{int(clock.group(1)):02d}:{clock.group(2) or '00'}"
            else:
                return Reply.of(
                    translate("cmd.team.digest_usage", locale, token=word[:40]),
                    error=True,
                    locale=locale,
                )
        if not fields:
            return Reply.of(
                translate("cmd.team.digest_usage", locale, token=""), error=True, locale=locale
            )
        if (
            fields.get("digest_weekday") is not None
            and "digest_at" not in fields
            and (caller.team and not caller.team.digest_at)
        ):
            fields["digest_at"] = "08:00"
        policy = await self._update_team(caller, **fields)
        assert caller.team is not None
        async with self._sessions() as session:
            team = await TeamRepository(session).get(caller.team.id)
            assert team is not None
            summary = await self.team_summary(team, policy, locale)
        return Reply.of(translate("cmd.team.saved", locale), summary, locale=locale)

    def _channel_arg(self, call: Invocation, args: str) -> str | None:
        if not args:
            return call.conversation
        match = _CHANNEL.match(args.split()[0])
        return match.group(1) if match else None

    async def _team_watch(
        self, call: Invocation, caller: _Caller, args: str, *, watched: bool = True
    ) -> Reply:
        locale = caller.locale
        channel = self._channel_arg(call, args)
        if channel is None:
            return Reply.of(translate("cmd.team.channel_usage", locale), error=True, locale=locale)
        assert caller.team is not None
        async with self._sessions() as session, session.begin():
            teams = TeamRepository(session)
            team = await teams.get(caller.team.id)
            assert team is not None
            if watched:
                await teams.watch(team, channel)
            else:
                await teams.watch(team, channel, watched=False)
        key = "cmd.team.watching" if watched else "cmd.team.unwatched"
        return Reply.of(
            translate(key, locale, channel=f"<#{channel}>", name=caller.team.name), locale=locale
        )

    async def _team_unwatch(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        return await self._team_watch(call, caller, args, watched=False)

    async def _team_leader(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        words = args.split()
        if (
            len(words) != 2
            or words[0].lower() not in ("add", "remove", "legg", "fjern")
            or not _MENTION.match(words[1])
        ):
            return Reply.of(translate("cmd.team.leader_usage", locale), error=True, locale=locale)
        match = _MENTION.match(words[1])
        assert match is not None and caller.team is not None and caller.policy is not None
        who = match.group(1)
        adding = words[0].lower() in ("add", "legg")
        if not adding and caller.policy.leaders == {who}:
            return Reply.of(translate("cmd.team.last_leader", locale), error=True, locale=locale)
        async with self._sessions() as session, session.begin():
            person = await PersonRepository(session).get_or_create(
                caller.workspace_id, who, now=self._clock.now()
            )
            teams = TeamRepository(session)
            if adding:
                await teams.add_leader(caller.team.id, person.id)
            else:
                await teams.remove_leader(caller.team.id, person.id)
        key = "cmd.team.leader_added" if adding else "cmd.team.leader_removed"
        return Reply.of(
            translate(key, locale, who=f"<@{who}>", name=caller.team.name), locale=locale
        )

    async def _team_urgent(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        locale = caller.locale
        names = {
            "anyone": UrgentWho.ANYONE,
            "alle": UrgentWho.ANYONE,
            "leaders": UrgentWho.LEADERS,
            "ledere": UrgentWho.LEADERS,
            "nobody": UrgentWho.NOBODY,
            "ingen": UrgentWho.NOBODY,
        }
        who = names.get(args.lower().strip())
        if who is None:
            return Reply.of(translate("cmd.team.urgent_usage", locale), error=True, locale=locale)
        await self._update_team(caller, urgent_who=who.value)
        return Reply.of(
            translate("cmd.team.saved", locale),
            translate(
                "cmd.team.urgent", locale, who=translate(f"cmd.urgent_who.{who.value}", locale)
            ),
            locale=locale,
        )

    async def _team_language(self, call: Invocation, caller: _Caller, args: str) -> Reply:
        value = args.strip().lower()
        if value not in ("en", "nb", "no", "english", "norsk", "engelsk"):
            return Reply.of(
                translate("cmd.team.language_usage", caller.locale),
                error=True,
                locale=caller.locale,
            )
        locale = "en" if value in ("en", "english", "engelsk") else "nb"
        await self._update_team(caller, locale=locale)
        return Reply.of(
            translate(
                "cmd.team.language_saved",
                caller.locale,
                language=translate(f"language.{locale}", caller.locale),
            ),
            locale=caller.locale,
        )


def held_buttons(held_id: str, locale: str, *, edit: bool = True) -> tuple[Button, ...]:
    buttons = [Button("held.send_now", held_id, translate("button.send_now", locale), "primary")]
    if edit:
        buttons.append(Button("held.edit", held_id, translate("button.edit", locale)))
    buttons.append(Button("held.cancel", held_id, translate("button.cancel", locale), "danger"))
    return tuple(buttons)


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class HomeService:
    """What a person's home page shows (Slack App Home; a Teams personal tab could use it too)."""

    def __init__(self, commands: CommandService) -> None:
        self._commands = commands

    async def home(self, platform: str, workspace: str, person: str) -> Reply:
        c = self._commands
        async with c._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None or row.uninstalled_at is not None:
                return Reply.of(translate("cmd.not_installed", None), error=True)
            me = await PersonRepository(session).find(row.id, person)
            led = list(
                (
                    await session.scalars(
                        select(TeamRow)
                        .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
                        .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
                        .where(PersonRow.workspace_id == row.id, PersonRow.external_id == person)
                        .order_by(TeamRow.name)
                    )
                ).all()
            )
            teams = TeamRepository(session)
            policies = [
                (
                    team,
                    policy_from_row(
                        team,
                        leaders=await teams.leaders(team.id),
                        channels=await teams.channels(team.id),
                    ),
                )
                for team in led
            ]
        locale = normalize_locale(me.locale if me else None)
        tz = me.tz if me else None
        sections = [Section(translate("home.intro", locale))]
        hours_text = translate("home.hours.title", locale) + "\n"
        if me is not None and me.hours_spec:
            hours_text += f"`{me.hours_spec}`"
        else:
            hours_text += translate("home.hours.unset", locale)
        sections.append(
            Section(
                hours_text,
                (Button("home.edit_hours", "hours", translate("button.edit_hours", locale)),),
            )
        )
        held = await c.held_by(row.id, person)
        sections.append(Section(translate("home.held.title", locale)))
        if held:
            sections += c.held_sections(held, tz, locale)
        else:
            sections.append(Section(translate("home.held.none", locale)))
        if policies:
            sections.append(Section(translate("home.team.title", locale)))
            for team, policy in policies:
                summary = await c.team_summary(team, policy, locale)
                async with c._sessions() as session:
                    last = await DigestRepository(session).last(team.id)
                if last is None or last.posted_at is None:
                    summary += "\n" + translate("home.team.last_digest_none", locale)
                sections.append(Section(summary))
        sections.append(Section(translate("home.help", locale)))
        return Reply(tuple(sections), locale=locale)
