"""Daytime messages kept for a welcome-back digest: only while a member of their channel is away.

Why this much and no more. Someone back from two weeks off gets one private digest of what
happened in their watched channels while they were away (:mod:`bot.services.return_digest`),
and most of that happens in ordinary working hours. Off-hours messages are recorded anyway
(:mod:`bot.services.watch`); a message *in* its team's hours is recorded only when, at the
instant it was written, at least one member of its channel is away (typed days off, Outlook's
scheduled automatic replies). Only then can any welcome-back digest show it — a digest lists a
thread only to members of its channel — so on an ordinary day with nobody away, nothing about a
daytime message is stored, and a channel nobody away is in leaves no trace either.

What is kept is the same metadata as for an off-hours message (ids, instant, author, thread,
whether it reads like a decision) in ``off_hours_activity`` with ``in_hours`` true, so every
off-hours reader (team digest, insights, the decision guard) leaves it out by that marker, and
retention, export and erasure treat it like the rest; plus the thread's encrypted first line,
kept until the absence it was written in has ended and its welcome-back digest was due
(:data:`~bot.services.return_digest.LOOK_BACK` after the return), never less than
:data:`EXCERPT_KEEP`. Such a message gets no label and no decision guard: it was written in
hours.

The absences of a workspace's people are read at most once per ``ttl`` seconds (an in-memory
snapshot, like the watched channels'), so a day off typed a moment ago counts within that time;
channel members come from the platform through :class:`~bot.services.access.Membership` (cached
:data:`~bot.services.access.MEMBERS_TTL` seconds; a platform that cannot say counts as nobody).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.digest import excerpt, looks_decided
from bot.domain.hours import Interval
from bot.domain.timeutil import ensure_utc
from bot.services.access import Membership, MembersSource
from bot.services.directory import absence_of
from bot.services.return_digest import LOOK_BACK
from bot.storage.crypto import Cipher
from bot.storage.models import PersonRow, WorkspaceRow
from bot.storage.repositories import ActivityRepository, ExcerptRepository

__all__ = ["EXCERPT_KEEP", "AwayMembers"]

#: A thread's first line is kept (encrypted) at least this long (as for off-hours threads).
EXCERPT_KEEP = timedelta(days=14)

Absences = tuple[tuple[str, tuple[Interval, ...]], ...]


class AwayMembers:
    """Answers "is a member of this channel away at this instant?", and keeps a daytime
    message's metadata when one is (see the module docstring for why)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        platforms: Mapping[str, MembersSource],
        cipher: Cipher | None = None,
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._memberships = {name: Membership(source) for name, source in platforms.items()}
        self._cipher = cipher
        self._ttl = ttl
        self._monotonic = monotonic
        self._absences: dict[tuple[str, str], tuple[float, Absences]] = {}

    async def _snapshot(self, platform: str, workspace: str) -> Absences:
        """Every person of the workspace with an absence on record: (id, UTC intervals)."""
        key = (platform, workspace)
        cached = self._absences.get(key)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(PersonRow)
                    .join(WorkspaceRow, WorkspaceRow.id == PersonRow.workspace_id)
                    .where(
                        WorkspaceRow.platform == platform,
                        WorkspaceRow.external_id == workspace,
                        or_(PersonRow.days_off.is_not(None), PersonRow.outlook_away.is_not(None)),
                    )
                )
            ).all()
        found = tuple(
            (row.external_id, intervals) for row in rows if (intervals := absence_of(row).intervals)
        )
        self._absences[key] = (self._monotonic() + self._ttl, found)
        return found

    async def away_until(
        self, platform: str, workspace: str, conversation: str, at: datetime
    ) -> datetime | None:
        """When the last of ``conversation``'s members who are away at ``at`` (UTC) is back
        (the end of their absence, UTC); None when no member of it is away then. Asks the
        platform for the members only when someone in the workspace is away at ``at``."""
        at = ensure_utc(at)
        away = {
            person: end
            for person, intervals in await self._snapshot(platform, workspace)
            for start, end in intervals
            if start <= at < end
        }
        if not away:
            return None
        membership = self._memberships.get(platform)
        if membership is None:
            return None
        members = await membership.members(workspace, conversation)
        ends = [end for person, end in away.items() if person in members]
        return max(ends) if ends else None

    async def keep(
        self,
        session: AsyncSession,
        *,
        back: datetime,
        workspace_id: int,
        team_id: int,
        conversation: str,
        thread: str,
        author: str,
        at: datetime,
        text: str,
        is_thread_root: bool,
        message_id: str | None,
    ) -> None:
        """Record a message written in its team's hours (``in_hours``), in the caller's
        transaction, for a member of its channel away at ``at`` until ``back`` (UTC; from
        :meth:`away_until`, asked before the transaction: it may ask the platform)."""
        await ActivityRepository(session).record(
            workspace_id=workspace_id,
            team_id=team_id,
            conversation_id=conversation,
            thread_id=thread,
            person_id=author,
            occurred_at=at,
            is_thread_root=is_thread_root,
            decision_signal=looks_decided(text),
            message_id=message_id,
            in_hours=True,
        )
        line = excerpt(text)
        if self._cipher is not None and line:
            await ExcerptRepository(session, self._cipher).remember(
                workspace_id,
                conversation,
                thread,
                line,
                now=at,
                keep=max(EXCERPT_KEEP, back + LOOK_BACK - at),
                is_thread_root=is_thread_root,
            )
