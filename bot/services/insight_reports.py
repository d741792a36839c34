"""The weekly team insight: on Monday, privately to each leader (in their language), the
week that just ended.

It goes out at the team's digest time (08:00 when the digest has no fixed time) on Monday, in
the team's zone, within :data:`GRACE` (a bot that was down longer skips that week). Each
(team, week) is claimed once across replicas before anything is sent — the same once-row that
de-duplicates platform events (``bot.services.once``), keyed ``("insight", "team:ID:MONDAY")``
— so a report goes out at most once; if sending fails after the claim, that week's report is
not retried (the leader can still ask with ``/quiet team insight``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.insights import week_of
from bot.domain.policy import TeamPolicy
from bot.domain.timeutil import local_date, resolve_wall_time
from bot.i18n import normalize_locale
from bot.services.access import Membership, MembersSource
from bot.services.audience import ConversationAudiences
from bot.services.commands.insight_text import team_reply
from bot.services.commands.replies import Reply
from bot.services.directory import policy_from_row
from bot.services.insights import InsightService
from bot.services.once import Duplicate, claim_event
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import PersonRepository, TeamRepository

__all__ = ["GRACE", "ReplySender", "WeeklyTeamInsight"]

log = logging.getLogger(__name__)

#: A Monday report due longer ago than this is skipped (the bot was down, or just installed).
GRACE = timedelta(hours=12)
#: When on Monday, if the team's digest has no time of its own.
DEFAULT_AT = time(8)


@runtime_checkable
class ReplySender(Protocol):
    """A platform that can put a reply (text and its chart) in a person's private chat."""

    async def send_reply(self, workspace: str, person: str, reply: Reply) -> None: ...


class WeeklyTeamInsight:
    """Sends each team's weekly insight to its leaders; safe to run on every replica, often."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        senders: Mapping[str, ReplySender],
        members: Mapping[str, MembersSource],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._senders = senders
        self._insights = InsightService(sessions=sessions, clock=clock)
        self._memberships = {name: Membership(source) for name, source in members.items()}
        self._audiences = ConversationAudiences.of_platforms(dict(members))

    def due(self, policy: TeamPolicy, now: datetime) -> datetime | None:
        """This week's report instant (Monday, the digest's time), if it is due at ``now``."""
        tz = policy.hours.tz
        monday = week_of(local_date(now, tz))
        at = resolve_wall_time(monday, policy.digest.at or DEFAULT_AT, tz)
        return at if at <= now < at + GRACE else None

    async def run_due(self) -> int:
        """Send every report due now and not yet claimed; returns how many leaders got one."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = list(
                (
                    await session.execute(
                        select(TeamRow, WorkspaceRow)
                        .join(WorkspaceRow, WorkspaceRow.id == TeamRow.workspace_id)
                        .where(WorkspaceRow.uninstalled_at.is_(None))
                    )
                ).all()
            )
        sent = 0
        for team, workspace in rows:
            sender = self._senders.get(workspace.platform)
            if sender is None:
                continue
            try:
                sent += await self._run_team(team, workspace, sender, now)
            except Exception:  # one team's trouble must not stop the others'
                log.exception("the weekly insight of team %s failed", team.id)
        return sent

    async def _run_team(
        self, team: TeamRow, workspace: WorkspaceRow, sender: ReplySender, now: datetime
    ) -> int:
        async with self._sessions() as session:
            teams = TeamRepository(session)
            policy = policy_from_row(
                team, leaders=await teams.leaders(team.id), channels=await teams.channels(team.id)
            )
        due = self.due(policy, now)
        if due is None or not policy.leaders:
            return 0
        monday = week_of(local_date(due, policy.hours.tz))
        try:
            async with self._sessions() as session, session.begin():
                await claim_event(session, ("insight", f"team:{team.id}:{monday}"), now)
        except Duplicate:
            return 0
        # the weeks up to the one that ended when this Monday began
        until = resolve_wall_time(monday, time(0), policy.hours.tz)
        insight = await self._insights.team(
            workspace.id,
            team.id,
            policy,
            members=await self._members(workspace.platform, workspace.external_id, policy),
            until=until,
        )
        replies: dict[str, Reply] = {}  # one per language: each leader reads their own
        sent = 0
        for leader in sorted(policy.leaders):
            locale = await self._locale(workspace.id, leader, policy.locale)
            if locale not in replies:
                replies[locale] = await team_reply(insight, locale)
            try:
                await sender.send_reply(workspace.external_id, leader, replies[locale])
                sent += 1
            except Exception:
                log.warning("could not send the weekly insight of team %s to a leader", team.id)
        return sent

    async def _locale(self, workspace_id: int, person: str, fallback: str) -> str:
        async with self._sessions() as session:
            row = await PersonRepository(session).find(workspace_id, person)
        return normalize_locale((row.locale if row else None) or fallback)

    async def _members(self, platform: str, workspace: str, policy: TeamPolicy) -> int | None:
        membership = self._memberships.get(platform) or Membership(None)
        people: set[str] = set()
        for channel in sorted(policy.watched_channels):
            people |= await membership.members(workspace, channel)
        people -= await self._audiences.bots(platform, workspace)
        return len(people) or None
