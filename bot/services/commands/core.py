"""The command layer's base: who is calling, in which language and zone."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.guard_view import format_grace
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import format_hours
from bot.domain.markup import inert, plain
from bot.domain.policy import TeamPolicy
from bot.i18n import format_instant, normalize_locale, translate, weekday_name
from bot.metrics import DeliveryMetrics
from bot.ports import UserProfile
from bot.services.commands.replies import (
    MAX_LISTED,
    Invocation,
    PeopleSource,
    Section,
    first_line,
    held_buttons,
)
from bot.services.compose import ComposeService, NotInstalledError
from bot.services.days_off import save_outlook_away
from bot.services.digest import DigestService
from bot.services.directory import policy_from_row, zone_or_utc
from bot.services.insights import InsightService
from bot.services.platform_defaults import PlatformDefaults
from bot.services.workspace_default import ensure_workspace_default
from bot.storage.crypto import Cipher
from bot.storage.models import (
    HeldMessageRow,
    PersonRow,
    TeamRow,
)
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    DigestRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldItem:
    row: HeldMessageRow
    first_line: str
    for_person: bool  # held for a person's private chat, not for a conversation


@dataclass
class Caller:
    workspace_id: int
    person: PersonRow
    locale: str
    profile: UserProfile | None = None
    team: TeamRow | None = None
    policy: TeamPolicy | None = None
    extra: dict[str, object] = field(default_factory=dict)


class CommandBase:
    """What every verb needs: the caller, their language and zone, shared summaries."""

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
        metrics: DeliveryMetrics | None = None,
        defaults: PlatformDefaults | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        # reads each caller's zone, locale and platform schedule the first time they are seen
        self._defaults = defaults
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._compose = compose
        self._digests = digests
        self._people = people
        self._wake = wake
        self.insights = InsightService(sessions=sessions, clock=clock)

    # -- who is calling --------------------------------------------------------------------------

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

    async def _caller(self, call: Invocation) -> Caller:
        """Who is calling, and the team of the conversation; the person is created, or their
        missing zone, locale and name filled in, only when something is to be written (most
        commands come from someone known: they cost reads, no write transaction)."""
        if self._defaults is not None:
            await self._defaults.seen(call.platform, call.workspace, call.person)
        now = self._clock.now()
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(call.platform, call.workspace)
            if workspace is None or workspace.uninstalled_at is not None:
                raise NotInstalledError(call.workspace)
            person = await PersonRepository(session).find(workspace.id, call.person)
            has_default = await WorkspaceDefaultRepository(session).find(workspace.id) is not None
            teams = TeamRepository(session)
            team = await teams.for_channel(workspace.id, call.conversation)
            policy = None
            if team is not None:
                policy = policy_from_row(
                    team,
                    leaders=await teams.leaders(team.id),
                    channels=await teams.channels(team.id),
                )
        profile: UserProfile | None = None
        if (person is None or person.tz is None) and self._people is not None:
            try:
                profile = await self._people.user_profile(call.workspace, call.person)
            except Exception:  # the profile only fills in defaults; never fail a command on it
                log.info("could not read the profile of a person; using defaults")
        if person is None or _fills_in(person, profile, call, has_default=has_default):
            person = await self._remember_caller(call, workspace.id, profile, now)
        return Caller(
            workspace_id=workspace.id,
            person=person,
            locale=normalize_locale(person.locale or call.locale),
            profile=profile,
            team=team,
            policy=policy,
        )

    async def _remember_caller(
        self, call: Invocation, workspace_id: int, profile: UserProfile | None, now: datetime
    ) -> PersonRow:
        """Create the caller, fill in what is missing of them, and give a workspace without a
        default the first known zone (one write transaction); the caller's row, detached."""
        async with self._sessions() as session, session.begin():
            people = PersonRepository(session)
            person = await people.get_or_create(
                workspace_id,
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
            if person.tz and await WorkspaceDefaultRepository(session).find(workspace_id) is None:
                # a workspace with no default yet (token mode, or installed before defaults
                # existed): the first person seen with a known zone sets it, so the command
                # they are typing is already protected
                await ensure_workspace_default(
                    session,
                    workspace_id,
                    tz=person.tz,
                    locale=person.locale,
                    now=now,
                    source="first_seen",
                )
            session.expunge(person)
        return person

    async def _is_admin(self, call: Invocation, caller: Caller) -> bool:
        profile = caller.profile
        if profile is None and self._people is not None:
            try:
                profile = await self._people.user_profile(call.workspace, call.person)
            except Exception:
                return False
        return bool(profile and profile.is_admin)

    async def present(self, call: Invocation, verb: str) -> bool:
        """Whether the caller may use ``verb`` in the conversation the command was typed in:
        they are one of its members, asked of the platform through
        :class:`bot.services.access.Membership` (cached, fail closed).

        A signed Slack command only says who typed where, not that they could (a crafted or
        replayed payload, a channel they left). A direct message needs no question: only its
        people can type there, and the bot may not list its members (Slack answers
        ``channel_not_found``). A call with no conversation (an admin form) shows nothing of
        one. A Teams command or card came through the conversation itself, sent by Microsoft
        for one of its members (``call.came_from_conversation``, see
        :meth:`ComposeService.typed_anywhere`); anything else — a Teams settings card acting in
        one of a team's channels from the 1:1 chat — is asked of the platform like Slack's.
        Where the bot cannot see the conversation at all, ``later``/``urgent`` go on to be
        refused by compose (the bot cannot post there) and ``status`` shows only the caller's
        own.
        """
        if call.direct or not call.conversation:
            return True
        if call.came_from_conversation and not self._compose.typed_anywhere(call.platform):
            return True
        members = await self._compose.membership(call.platform).members(
            call.workspace, call.conversation
        )
        if not members and verb in ("later", "urgent", "status"):
            return True
        return call.person in members

    async def visible_to(self, call: Invocation, conversations: Iterable[str]) -> frozenset[str]:
        """Which of ``conversations`` the caller may see the content of: the one they typed
        in, and those the platform lists them as a member of (see ``bot.services.access``)."""
        wanted = set(conversations)
        here = {call.conversation} & wanted
        others = await self._compose.membership(call.platform).visible(
            call.workspace, call.person, sorted(wanted - here)
        )
        return frozenset(here | others)

    async def refresh_outlook(self, platform: str, workspace: str, person: str) -> None:
        """Read ``person``'s scheduled Outlook automatic replies where the platform can (Teams,
        with Graph) and store them as days off from Outlook, re-planning what is held for
        them. Anything unknown leaves what is stored; never fails the command."""
        read = getattr(self._people, "outlook_away", None)
        if read is None:
            return
        try:
            windows = await read(workspace, person)
            if windows is None:
                return
            async with self._sessions() as session, session.begin():
                found = await WorkspaceRepository(session).find(platform, workspace)
                row = await PersonRepository(session).find(found.id, person) if found else None
                if row is not None:
                    await save_outlook_away(session, row, windows, now=self._clock.now())
        except Exception:
            log.info("could not read a person's Outlook automatic replies", exc_info=True)

    def _when(self, instant: datetime, tz: WorkingHours | None, caller: Caller) -> str:
        """``instant`` for the caller alone: in their own zone, named, when it is known; else
        in the zone of ``tz`` (the hours it comes from), named, else UTC."""
        zone = self._reader_zone(tz, caller)
        return format_instant(instant, zone, caller.locale, now=self._clock.now())

    @staticmethod
    def _reader_zone(tz: WorkingHours | None, caller: Caller) -> ZoneInfo:
        """The zone a private answer shows times in: the caller's own, when known."""
        if caller.person.tz or tz is None:
            return zone_or_utc(caller.person.tz)
        return tz.tz

    # -- help ----------------------------------------------------------------------------------

    async def held_by(self, workspace_id: int, person: str) -> list[HeldItem]:
        """The person's held messages, soonest first, with their (decrypted) first line and
        whether each is for a person (held with ``later @person``) or a conversation."""
        async with self._sessions() as session:
            repo = HeldMessageRepository(session, self._cipher)
            rows = (await repo.list_for_author(workspace_id, person))[:MAX_LISTED]
            people = await PersonRepository(session).known(
                workspace_id, {row.conversation_id for row in rows}
            )
            return [
                HeldItem(
                    row,
                    inert(first_line(plain(repo.body(row) or ""))),  # shown, never acting
                    row.conversation_id in people,
                )
                for row in rows
            ]

    def held_sections(
        self, items: list[HeldItem], caller_tz: str | None, locale: str
    ) -> list[Section]:
        sections = []
        for item in items:
            row, first = item.row, item.first_line
            where = f"<@{row.conversation_id}>" if item.for_person else f"<#{row.conversation_id}>"
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
            translate("cmd.team.hours", locale, spec=format_hours(policy.hours, locale)),
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
            translate(
                "cmd.team.audience",
                locale,
                audience=translate(f"cmd.audience.{policy.audience.value}", locale),
            ),
        ]
        lines.append(guard_summary(team.guard_minutes, locale))
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
        else:
            lines.append(translate("home.team.last_digest_none", locale))
        return "\n".join(lines)


def guard_summary(minutes: int, locale: str) -> str:
    """The team summary's line about the decision guard (``minutes`` 0: off)."""
    if minutes <= 0:
        return translate("cmd.team.guard_off", locale)
    grace = format_grace(timedelta(minutes=minutes), locale)
    return translate("cmd.team.guard", locale, grace=grace)


def _fills_in(
    person: PersonRow, profile: UserProfile | None, call: Invocation, *, has_default: bool
) -> bool:
    """Whether :meth:`CommandBase._remember_caller` would change anything for a known person."""
    return bool(
        (profile is not None and person.tz is None and profile.tz)
        or (person.locale is None and (call.locale or (profile and profile.locale)))
        or (person.display_name is None and (call.person_name or profile))
        or (not has_default and (person.tz or (profile and profile.tz)))
    )
