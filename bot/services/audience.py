"""A conversation's members as its audience: who they are, and the hours of each (cached).

Used where a message's audience is the people in a conversation rather than one policy: a
channel whose team chose ``audience members``, and a group DM (issue #9 parts 3 and 4). The
platform names the members (Slack ``conversations.members``, a Teams roster — every page, via
:class:`~bot.services.access.Membership`, cached :data:`~bot.services.access.MEMBERS_TTL`
seconds); bots are left out, and members never seen are placed in the zone the platform gives
(:class:`PeopleSource`); each member's hours come from their stored person row through
:func:`member_hours`. The result is kept for the same TTL, so a burst of
posts to a channel of 5,000 costs one member list, one read of their rows and one parse per
distinct set of hours: after that only the sweep of :func:`~bot.domain.audience.first_quorum_open`.
A person's new hours reach a cached audience within that TTL.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import MembersHours
from bot.domain.decisions import Audience, ChannelAudience, MembersAudience
from bot.domain.hours import WorkingHours
from bot.domain.policy import AudienceKind, TeamPolicy
from bot.services.access import MEMBERS_TTL, Membership, MembersSource
from bot.services.directory import hours_of_person
from bot.services.person_hours import workspace_default
from bot.storage.models import PersonRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository

__all__ = [
    "ConversationAudiences",
    "GroupChats",
    "PeopleSource",
    "PlatformPeople",
    "member_hours",
]

log = logging.getLogger(__name__)

#: Person rows read per query (well under every database's limit on bound parameters).
ROWS_PER_QUERY = 500
#: Audiences kept at most (least recently computed go first).
MAX_CACHED = 500


@dataclass(frozen=True)
class PlatformPeople:
    """What a platform tells of a workspace's users at once (Slack ``users.list``): which are
    bots or deactivated, and the IANA zone of the others — for members never seen yet."""

    bots: frozenset[str] = frozenset()
    zones: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class PeopleSource(Protocol):
    """Platforms whose member lists include bots (Slack) say which users are bots, and where."""

    async def people_directory(self, workspace: str) -> PlatformPeople: ...


@runtime_checkable
class GroupChats(Protocol):
    """Platforms that can tell a group DM (Slack ``mpim``, a Teams group chat) from a channel."""

    async def is_group_chat(self, workspace: str, conversation: str) -> bool: ...


def _row_key(row: PersonRow) -> tuple[object, ...]:
    """What a person's hours depend on (people with the same key have the same hours)."""
    return (
        row.hours_spec,
        row.hours_source,
        row.tz,
        row.days_off,
        row.platform_hours_spec,
        row.platform_hours_days,
        row.outlook_away,
    )


def member_hours(
    row: PersonRow | None,
    team: TeamPolicy | None,
    default: TeamPolicy | None = None,
    *,
    zone: str | None = None,
) -> WorkingHours | None:
    """The hours that count for one member of a conversation; None when none apply.

    The one precedence rule (``bot.domain.whose_hours``, via
    :func:`bot.services.directory.hours_of_person`): the member's own hours > their platform
    schedule (with ``team``'s days, else ``default``'s) > ``team``'s windows in the member's
    zone > ``default``'s likewise; minus their days off. ``row`` is the stored person (None:
    never seen); ``zone`` what the platform says of their zone when nothing is stored.
    """
    found = hours_of_person(row, team=team, default=default, zone=zone)
    return found.hours if found is not None else None


@dataclass(frozen=True)
class _Cached:
    expires: float
    members: frozenset[str]
    team: TeamPolicy | None
    hours: MembersHours | None


class ConversationAudiences:
    """Turns a conversation's audience into its members' when its team (or its being a group
    DM) says so; see the module docstring for what is cached."""

    def __init__(
        self,
        *,
        membership: Callable[[str], Membership],
        sources: Mapping[str, object] | None = None,
        ttl: float = MEMBERS_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._membership = membership
        self._sources = dict(sources or {})
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: dict[tuple[str, str, str, frozenset[str]], _Cached] = {}

    @classmethod
    def of_platforms(cls, platforms: Mapping[str, MembersSource]) -> ConversationAudiences:
        """Its own member lists (cached like :class:`Membership`), asked of ``platforms``."""
        memberships = {name: Membership(source) for name, source in platforms.items()}

        def membership(platform: str) -> Membership:
            return memberships.get(platform) or Membership(None)

        return cls(membership=membership, sources=platforms)

    async def hours_for_channel(
        self,
        session: AsyncSession,
        *,
        platform: str,
        workspace: str,
        workspace_id: int,
        conversation: str,
        policy: TeamPolicy,
    ) -> WorkingHours | MembersHours:
        """The hours that make ``conversation`` "in hours" for its team: the team's own, or
        with ``audience members`` its members' (the team's when the platform names none)."""
        if policy.audience is not AudienceKind.MEMBERS:
            return policy.hours
        found = await self.members_hours(
            session,
            platform=platform,
            workspace=workspace,
            workspace_id=workspace_id,
            conversation=conversation,
            team=policy,
        )
        return policy.hours if found is None else found

    async def prepare(
        self,
        session: AsyncSession,
        *,
        platform: str,
        workspace: str,
        conversation: str,
        group: bool = False,
    ) -> None:
        """Ask the platform now what :meth:`widen` will need for ``conversation`` (its members,
        the workspace's bots and zones), so that no platform call waits inside the caller's
        write transaction; only for a group DM or a channel whose team chose ``audience
        members``. Never raises for the platform (both lookups fail closed and are cached)."""
        if not group:
            found = await WorkspaceRepository(session).find(platform, workspace)
            team = None
            if found is not None:
                team = await TeamRepository(session).for_channel(found.id, conversation)
            if team is None or team.audience != AudienceKind.MEMBERS.value:
                return
        await self._membership(platform).members(workspace, conversation)
        await self._people(platform, workspace)

    async def is_group_chat(self, platform: str, workspace: str, conversation: str) -> bool:
        """Whether the platform says ``conversation`` is a group DM (False when it cannot)."""
        source = self._sources.get(platform)
        if not isinstance(source, GroupChats):
            return False
        try:
            return await source.is_group_chat(workspace, conversation)
        except Exception as error:  # a channel, as far as we can tell
            log.info("could not tell whether a conversation is a group DM (%s)", error)
            return False

    async def widen(
        self,
        session: AsyncSession,
        audience: Audience,
        *,
        platform: str,
        workspace: str,
        workspace_id: int,
        group: bool = False,
        author: str | None = None,
    ) -> Audience:
        """``audience`` itself, or — for a channel whose team chose ``audience members``, or a
        group DM (``group``) — a :class:`MembersAudience` of its human members. Stays a
        :class:`ChannelAudience` when the platform names no members (the team's hours then).

        A group DM's audience is the people it reaches: its members but its ``author``. A
        channel's is all of its human members, as the team chose."""
        if not isinstance(audience, ChannelAudience):
            return audience
        team = audience.team
        wanted = group or (team is not None and team.audience is AudienceKind.MEMBERS)
        if not wanted:
            return audience
        hours = await self.members_hours(
            session,
            platform=platform,
            workspace=workspace,
            workspace_id=workspace_id,
            conversation=audience.channel_id,
            team=team,
            exclude=frozenset({author}) if group and author else frozenset(),
        )
        if hours is None:
            return audience
        return MembersAudience(audience.channel_id, hours, team, group=group)

    async def members_hours(
        self,
        session: AsyncSession,
        *,
        platform: str,
        workspace: str,
        workspace_id: int,
        conversation: str,
        team: TeamPolicy | None,
        exclude: frozenset[str] = frozenset(),
    ) -> MembersHours | None:
        """The hours of ``conversation``'s human members but ``exclude``, each by
        :func:`member_hours`; None when the platform names none, or none of them has hours."""
        members = await self._membership(platform).members(workspace, conversation)
        if not members:
            return None
        key = (platform, workspace, conversation, exclude)
        now = self._monotonic()
        cached = self._cached.get(key)
        if (
            cached is not None
            and cached.expires > now
            and cached.members == members
            and cached.team == team
        ):
            return cached.hours
        people = await self._people(platform, workspace)
        humans = sorted(members - exclude - people.bots)
        rows = await _person_rows(session, workspace_id, humans)
        default = await workspace_default(session, workspace_id)
        # one resolution per distinct set of inputs: most members share their hours
        memo: dict[tuple[object, ...], WorkingHours | None] = {}
        found = []
        for person in humans:
            row = rows.get(person)
            zone = people.zones.get(person)
            inputs = _row_key(row) if row is not None else ("zone", zone)
            if inputs not in memo:
                memo[inputs] = member_hours(row, team, default, zone=zone)
            found.append(memo[inputs])
        hours_list = [hours for hours in found if hours is not None]
        result = None
        if hours_list:
            tz = team.hours.tz if team is not None else _most_common_zone(hours_list)
            result = MembersHours.of(hours_list, tz)
        self._cached.pop(key, None)
        self._cached[key] = _Cached(now + self._ttl, members, team, result)
        while len(self._cached) > MAX_CACHED:
            self._cached.pop(next(iter(self._cached)))
        return result

    async def bots(self, platform: str, workspace: str) -> frozenset[str]:
        """The workspace's bot users (and deactivated ones), none where the platform lists no
        bots as members."""
        return (await self._people(platform, workspace)).bots

    async def _people(self, platform: str, workspace: str) -> PlatformPeople:
        source = self._sources.get(platform)
        if not isinstance(source, PeopleSource):
            return PlatformPeople()
        try:
            return await source.people_directory(workspace)
        except Exception as error:  # counted as people, in the team's zone: still decided
            log.warning("could not list the workspace's users (%s)", error)
            return PlatformPeople()


def _most_common_zone(hours: Sequence[WorkingHours]) -> ZoneInfo:
    return Counter(h.tz for h in hours).most_common(1)[0][0]


async def _person_rows(
    session: AsyncSession, workspace_id: int, people: Sequence[str]
) -> dict[str, PersonRow]:
    rows: dict[str, PersonRow] = {}
    for start in range(0, len(people), ROWS_PER_QUERY):
        chunk = people[start : start + ROWS_PER_QUERY]
        found = await session.scalars(
            select(PersonRow).where(
                PersonRow.workspace_id == workspace_id, PersonRow.external_id.in_(chunk)
            )
        )
        rows.update((row.external_id, row) for row in found)
    return rows
