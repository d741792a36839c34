"""Welcome back: one private digest for a person returning from days off, covering the whole
absence.

A team's own digest covers the last closed stretch of the *team's* hours (a night, a weekend);
someone back from two weeks off would only hear about the last weekend. So when a person's
absence (typed days off, Outlook's scheduled automatic replies) has ended and their first
working hour after it has come, they get one private digest of the threads in the watched
channels they are a member of, from the moment their hours closed before the absence to their
return: off-hours threads, and the daytime ones kept because a member of their channel was away
(:mod:`bot.services.away_members`), each thread once. While they are away, the teams' private
(``team digest dm``) digests skip them (see :func:`bot.services.digest.away_at`). Each (person,
return) is claimed once in ``return_digests``, however many replicas run; one due more than
:data:`GRACE` ago is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.digest import ActivityEvent, DigestThread, DigestView, summarise
from bot.domain.hours import Interval, WorkingHours
from bot.domain.policy import Person
from bot.i18n import normalize_locale, translate
from bot.ports import ChatPlatform, DeliveryError
from bot.services.directory import person_from_row, zone_or_utc
from bot.services.person_hours import hours_for, team_policy
from bot.storage.models import PersonRow, TeamRow, WorkspaceRow
from bot.storage.repositories import ActivityRepository, TeamRepository
from bot.storage.return_digests import ReturnDigestRepository

__all__ = ["GRACE", "ReturnDigests"]

log = logging.getLogger(__name__)

#: A welcome-back digest due longer ago than this (the bot was down) is skipped.
GRACE = timedelta(hours=12)
#: How long after an absence ended its return is still looked for (a long weekend after it).
LOOK_BACK = timedelta(days=10)

Poster = Callable[[ChatPlatform, str, str, DigestView], Awaitable[bool]]
Lines = Callable[[AsyncSession, int, list[DigestThread]], Awaitable[dict[tuple[str, str], str]]]


class ReturnDigests:
    """Finds returns that are due and posts each person's digest once."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        platforms: dict[str, ChatPlatform],
        clock: Clock,
        owner: str,
        post: Poster,
        first_lines: Lines,
    ) -> None:
        self._sessions = sessions
        self._platforms = platforms
        self._clock = clock
        self._owner = owner
        self._post = post
        self._first_lines = first_lines

    async def run_due(self) -> int:
        """Post every welcome-back digest that is due now; returns how many were posted."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = list(
                (
                    await session.scalars(
                        select(PersonRow).where(
                            or_(
                                PersonRow.days_off.is_not(None), PersonRow.outlook_away.is_not(None)
                            )
                        )
                    )
                ).all()
            )
        posted = 0
        for row in rows:
            person = person_from_row(row)
            ended = person.absence.ended_between(now - LOOK_BACK, now)
            if not ended:
                continue
            try:
                posted += await self._for_person(row, person, ended, now)
            except Exception:  # one person's trouble never stops the others'
                log.exception("a welcome-back digest failed")
        return posted

    async def _for_person(
        self, row: PersonRow, person: Person, ended: tuple[Interval, ...], now: datetime
    ) -> int:
        async with self._sessions() as session:
            workspace = await session.get(WorkspaceRow, row.workspace_id)
            teams = await TeamRepository(session).all()
            mine = [team for team in teams if team.workspace_id == row.workspace_id]
            channels = {team.id: await TeamRepository(session).channels(team.id) for team in mine}
        if workspace is None or workspace.uninstalled_at is not None:
            return 0
        platform = self._platforms.get(workspace.platform)
        if platform is None:
            return 0
        watched = await self._member_of(platform, workspace.external_id, person.id, channels)
        if not watched:
            return 0
        team = next((t for t in mine if set(channels[t.id]) & watched), None)
        hours = await self._hours(row, team)
        posted = 0
        for start, end in ended:
            back = end if hours is None else hours.next_open(end)
            if back is None or back > now or now - back > GRACE:
                continue
            since = start
            if hours is not None:
                since = hours.previous_close(start - timedelta(microseconds=1)) or start
            if await self._one(platform, workspace, row, person, watched, since, back, now):
                posted += 1
        return posted

    async def _hours(self, row: PersonRow, team: TeamRow | None) -> WorkingHours | None:
        """The hours that decide for the person (their own > platform schedule > ``team`` >
        the workspace default), minus their absence."""
        async with self._sessions() as session:
            policy = await team_policy(session, team) if team is not None else None
            found = await hours_for(
                session, row.workspace_id, row.external_id, team=policy, row=row
            )
        return found.hours if found is not None else None

    async def _member_of(
        self, platform: ChatPlatform, workspace: str, person: str, channels: dict[int, list[str]]
    ) -> set[str]:
        found: set[str] = set()
        for channel in sorted({c for listed in channels.values() for c in listed}):
            try:
                if person in await platform.channel_members(workspace, channel):
                    found.add(channel)
            except DeliveryError as error:
                log.info("could not list a channel's members for a return: %s", error.code)
        return found

    async def _one(
        self,
        platform: ChatPlatform,
        workspace: WorkspaceRow,
        row: PersonRow,
        person: Person,
        channels: set[str],
        since: datetime,
        back: datetime,
        now: datetime,
    ) -> bool:
        async with self._sessions() as session, session.begin():
            claimed = await ReturnDigestRepository(session).claim(
                workspace.id,
                person.id,
                period_start=since,
                period_end=back,
                owner=self._owner,
                now=now,
            )
            if not claimed:
                return False
            # in-hours threads too: kept while someone in the channel was away (watch.py)
            activity = await ActivityRepository(session).between(
                workspace.id, since, back, in_hours=True
            )
            threads = summarise(
                ActivityEvent(
                    a.conversation_id, a.thread_id, a.person_id, a.occurred_at, a.decision_signal
                )
                for a in activity
                if a.conversation_id in channels
            )
            lines = await self._first_lines(session, workspace.id, threads)
        state = "empty"
        if threads:
            locale = normalize_locale(row.locale)
            view = DigestView(
                team=translate("digest.return.title", locale),
                locale=locale,
                tz=zone_or_utc(row.tz),
                since=since,
                now=now,
                threads=tuple(threads),
                first_lines=lines,
                audience="absence",
            )
            ok = await self._post(platform, workspace.external_id, person.id, view)
            state = "posted" if ok else "failed"
        async with self._sessions() as session, session.begin():
            await ReturnDigestRepository(session).finish(
                workspace.id, person.id, back, state=state, now=self._clock.now()
            )
        return state == "posted"
