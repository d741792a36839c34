"""Who a person is on Teams: a profile from our records or a roster, team ownership, Outlook
working hours and automatic replies (Microsoft Graph). A part of
:class:`adapters.teams.platform.TeamsPlatform` (the ``PeopleSource`` port), kept apart so the
platform module stays one job."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.cache import TtlCache
from adapters.teams.connector import BotConnector
from adapters.teams.graph import GraphClient, hours_spec, same_zone
from adapters.teams.targets import (
    BOT_PREFIX,
    PERSON_PREFIXES,
    Person,
    Target,
    current_team,
    personal_with,
    target_of,
)
from bot.clock import Clock
from bot.ports import DeliveryError, DeliveryErrorKind, PlatformHours, UserProfile
from bot.storage.models import ConversationRow
from bot.storage.repositories import ConversationRepository, PersonRepository

__all__ = ["TeamsPeopleLookup"]

log = logging.getLogger(__name__)


class TeamsPeopleLookup:
    """Mixed into ``TeamsPlatform``, which provides the sessions, connector, Graph and caches."""

    _sessions: async_sessionmaker[AsyncSession]
    _connector: BotConnector
    _graph: GraphClient | None
    _clock: Clock
    _owners: TtlCache[tuple[str, str, str], bool]

    if TYPE_CHECKING:
        # provided by TeamsPlatform, which this is mixed into (declared for the type checker only)
        async def _workspace_id(self, session: AsyncSession, tenant: str) -> int: ...

        async def _person(self, workspace_id: int, person: str) -> Person: ...

        async def _member_name(self, target: Target, person: str) -> str | None: ...

    async def known_profile(self, workspace: str, person: str) -> UserProfile:
        """What Teams told us about the person, with no call: the name, and the zone and
        locale their client reported (``clientInfo``), as stored when they were seen."""
        async with self._sessions() as session:
            workspace_id = await self._workspace_id(session, workspace)
            row = await PersonRepository(session).find(workspace_id, person)
        if row is None:
            return UserProfile(id=person, name=person)
        return UserProfile(id=person, name=row.display_name or person, tz=row.tz, locale=row.locale)

    async def user_profile(self, workspace: str, person: str) -> UserProfile:
        """Name from our records or a roster; time zone and locale as Teams' client reported.

        Raises :class:`DeliveryError` ``user_not_found`` (permanent) for an id that is no
        person's nor a bot's (a tag's, a team's or a channel's, mentioned like a person): no
        message can be held for it.
        """
        if not person.startswith((*PERSON_PREFIXES, BOT_PREFIX)):
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "user_not_found")
        async with self._sessions() as session:
            workspace_id = await self._workspace_id(session, workspace)
        known = await self._person(workspace_id, person)
        rows: list[ConversationRow] = []
        if known.name is None:
            async with self._sessions() as session:
                rows = await ConversationRepository(session).for_workspace(workspace_id, limit=5)
        name = known.name
        for row in sorted(rows, key=lambda row: not personal_with(row, person)):
            target = target_of(row, workspace)
            if target is not None and (name := await self._member_name(target, person)):
                break
        return UserProfile(
            id=person,
            name=name or person,
            tz=known.tz,
            locale=known.locale,
            is_admin=await self._owns_current_team(workspace, person),
            # Bot Framework ids: people are ``29:…`` (AAD ``8:orgid:…`` elsewhere), bots ``28:…``
            is_bot=person.startswith(BOT_PREFIX),
        )

    async def _owns_current_team(self, workspace: str, person: str) -> bool:
        """Whether the Bot Connector's roster of the team being asked in names ``person`` owner.

        ``GET /v3/conversations/{teamId}/members/{userId}`` answers with ``userRole``; Microsoft
        documents ``user``, ``guest`` and ``anonymous``, and owners as ``owner`` only in the
        Bot Framework SDKs' change notes, so anything but ``owner`` (or no answer) means "not an
        owner": a team's named leaders can always act, and can name others.
        """
        context = current_team.get()
        if context is None:
            return False
        key = (workspace, context.team, person)
        known = self._owners.get(key)
        if known is not None:
            return known
        try:
            member = await self._connector.member(context.service_url, context.team, person)
        except DeliveryError as error:
            log.info("could not read a team member's role (%s)", error.code)
            return False
        owner = str(member.get("userRole") or "").lower() == "owner"
        self._owners.put(key, owner)
        return owner

    async def platform_hours(
        self, workspace: str, person: str, tz: str | None
    ) -> PlatformHours | None:
        """The person's Outlook working hours (Microsoft Graph), with their own days, when
        Graph is configured, the person's directory id can be found (:meth:`_directory_id`)
        and the admin granted MailboxSettings.Read; None otherwise."""
        directory_id = await self._graph_id(workspace, person)
        if directory_id is None or self._graph is None:
            return None
        found = await self._graph.working_hours(directory_id)
        if found is None:
            return None
        return PlatformHours(hours_spec(same_zone(found, tz), tz), own_days=True)

    async def _graph_id(self, workspace: str, person: str) -> str | None:
        """The person's directory id when Graph is configured and the id can be found
        (:meth:`_directory_id`); None otherwise."""
        if self._graph is None:
            return None
        async with self._sessions() as session:
            workspace_id = await self._workspace_id(session, workspace)
        return await self._directory_id(workspace, workspace_id, person)

    async def _directory_id(self, workspace: str, workspace_id: int, person: str) -> str | None:
        """The person's Entra ID object id: stored when they spoke to the bot, else read from
        a roster that lists them (``GET /v3/conversations/{id}/members/{person}`` answers
        ``aadObjectId``; their own 1:1 chat first, at most five conversations) and kept, so
        a person who never wrote — the target of a held message — has their Outlook hours too.
        """
        async with self._sessions() as session:
            row = await PersonRepository(session).find(workspace_id, person)
            if row is not None and row.directory_id:
                return row.directory_id
            rows = await ConversationRepository(session).for_workspace(workspace_id, limit=5)
        for conversation in sorted(rows, key=lambda row: not personal_with(row, person)):
            target = target_of(conversation, workspace)
            if target is None:
                continue
            try:
                member = await self._connector.member(
                    target.service_url, target.conversation, person
                )
            except DeliveryError:
                continue
            found = member.get("aadObjectId")
            if not isinstance(found, str) or not found:
                continue
            name = member.get("name")
            async with self._sessions() as session, session.begin():
                stored = await PersonRepository(session).get_or_create(
                    workspace_id,
                    person,
                    now=self._clock.now(),
                    display_name=name if isinstance(name, str) and name else None,
                )
                stored.directory_id = found
            return found
        return None

    async def outlook_away(
        self, workspace: str, person: str
    ) -> list[tuple[datetime, datetime]] | None:
        """The person's scheduled Outlook automatic replies (Graph ``automaticRepliesSetting``)
        as UTC windows, ``[]`` when none is scheduled; None when it cannot be known (no Graph,
        no directory id, Graph away): then what is stored stays as it is."""
        directory_id = await self._graph_id(workspace, person)
        if directory_id is None or self._graph is None:
            return None
        try:
            found = await self._graph.automatic_replies(directory_id)
        except LookupError:
            return None
        return [] if found is None else [found]
