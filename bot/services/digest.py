"""The digest: off-hours threads posted on the first working morning, once per team and period."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.digest import ActivityEvent, DigestThread, summarise
from bot.domain.policy import TeamPolicy
from bot.i18n import format_instant, translate
from bot.ports import ChatPlatform, DeliveryError, OutgoingMessage
from bot.services.directory import policy_from_row
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import ActivityRepository, DigestRepository, TeamRepository

__all__ = ["DigestRun", "DigestService", "digest_due", "digest_period"]

log = logging.getLogger(__name__)

#: A digest that was due longer ago than this (the bot was down, or just installed) is skipped.
GRACE = timedelta(hours=12)
TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class DigestRun:
    team: str
    period_end: datetime
    posted: int  # messages posted (one per channel with threads)
    threads: int


def digest_due(policy: TeamPolicy, now: datetime) -> datetime | None:
    """The latest digest instant at or before ``now`` (within :data:`GRACE`), if any."""
    last = None
    probe = policy.next_digest_at(now - timedelta(days=8))
    while probe is not None and probe <= now:
        last = probe
        probe = policy.next_digest_at(probe)
    if last is None or now - last > GRACE:
        return None
    return last


def digest_period(policy: TeamPolicy, end: datetime) -> datetime:
    """When the off-hours stretch that the digest at ``end`` reports on began."""
    hours = policy.hours
    if policy.digest.weekday is not None:
        return end - timedelta(days=7)
    closed = end
    if hours.is_open(end):
        for start, finish in hours.open_intervals(end - timedelta(days=1)):
            if start <= end and (finish is None or end < finish):
                closed = start - TINY
                break
    began = hours.previous_close(closed)
    return began if began is not None else end - timedelta(days=7)


class DigestService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        platforms: dict[str, ChatPlatform],
        clock: Clock,
        owner: str,
    ) -> None:
        self._sessions = sessions
        self._platforms = platforms
        self._clock = clock
        self._owner = owner

    async def run_due(self) -> list[DigestRun]:
        """Post every digest that is due now and not yet claimed (safe to run on every replica)."""
        async with self._sessions() as session:
            teams = await TeamRepository(session).all()
        runs = []
        for team in teams:
            run = await self._run_team(team)
            if run is not None:
                runs.append(run)
        return runs

    async def preview(self, team_id: int) -> list[DigestThread]:
        """What the team's next digest would list right now."""
        now = self._clock.now()
        async with self._sessions() as session:
            team, policy, channels = await self._load(session, team_id)
            start = policy.hours.previous_close(now) or now - timedelta(days=7)
            return await self._threads(session, team, channels, start, now)

    async def _load(
        self, session: AsyncSession, team_id: int
    ) -> tuple[TeamRow, TeamPolicy, list[str]]:
        repo = TeamRepository(session)
        team = await repo.get(team_id)
        if team is None:
            raise LookupError(team_id)
        channels = await repo.channels(team.id)
        policy = policy_from_row(team, leaders=await repo.leaders(team.id), channels=channels)
        return team, policy, channels

    async def _threads(
        self,
        session: AsyncSession,
        team: TeamRow,
        channels: list[str],
        start: datetime,
        end: datetime,
    ) -> list[DigestThread]:
        rows = await ActivityRepository(session).between(team.workspace_id, start, end)
        return summarise(
            ActivityEvent(
                r.conversation_id, r.thread_id, r.person_id, r.occurred_at, r.decision_signal
            )
            for r in rows
            if r.team_id == team.id and r.conversation_id in channels
        )

    async def _run_team(self, team_row: TeamRow) -> DigestRun | None:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            team, policy, channels = await self._load(session, team_row.id)
            end = digest_due(policy, now)
            if end is None:
                return None
            start = digest_period(policy, end)
            if not await DigestRepository(session).claim(
                team.id, period_start=start, period_end=end, owner=self._owner, now=now
            ):
                return None  # another replica (or an earlier tick) has it
            threads = await self._threads(session, team, channels, start, end)
            workspace = await session.get(WorkspaceRow, team.workspace_id)
        if not threads:
            async with self._sessions() as session, session.begin():
                await DigestRepository(session).finish(team.id, end, state="empty", now=now)
            return DigestRun(team.name, end, 0, 0)
        assert workspace is not None
        platform = self._platforms.get(workspace.platform)
        posted = 0
        state = "posted"
        for channel in channels:
            in_channel = [t for t in threads if t.conversation == channel]
            if not in_channel or platform is None:
                continue
            text = render_digest(in_channel, policy, start, now)
            try:
                await platform.post(
                    OutgoingMessage(
                        workspace=workspace.external_id, conversation=channel, text=text
                    )
                )
                posted += 1
            except DeliveryError as error:
                log.warning("digest for team %s not posted in a channel: %s", team.id, error.code)
                state = "failed"
        summary = {"threads": len(threads), "channels": posted}
        async with self._sessions() as session, session.begin():
            await DigestRepository(session).finish(
                team.id, end, state=state, now=self._clock.now(), summary=summary
            )
        return DigestRun(team.name, end, posted, len(threads))


def render_digest(
    threads: list[DigestThread], policy: TeamPolicy, since: datetime, now: datetime
) -> str:
    """Plain-text digest in the team's language (adapters may render richer layouts)."""
    locale, tz = policy.locale, policy.hours.tz
    lines = [
        translate(
            "digest.header",
            locale,
            count=len(threads),
            since=format_instant(since, tz, locale, now=now),
        )
    ]
    for thread in threads:
        line = translate(
            "digest.thread",
            locale,
            when=format_instant(thread.first_at, tz, locale, now=now, with_zone=False),
            messages=thread.messages,
            people=thread.people,
        )
        if thread.looks_decided:
            line += translate("digest.decided", locale)
        lines.append(line)
    lines.append(translate("digest.footer", locale))
    return "\n".join(lines)
