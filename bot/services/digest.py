"""The digest: off-hours threads posted on the first working morning, once per team and period."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.digest import ActivityEvent, DigestThread, DigestView, summarise
from bot.domain.policy import DigestTarget, TeamPolicy
from bot.i18n import normalize_locale
from bot.metrics import DeliveryMetrics
from bot.ports import (
    ChatPlatform,
    DeliveryError,
    DeliveryErrorKind,
    DigestPoster,
    OutgoingMessage,
)
from bot.services.directory import absence_of, policy_from_row
from bot.services.return_digest import ReturnDigests
from bot.storage.crypto import Cipher
from bot.storage.guards import GuardRepository
from bot.storage.models import ActivityRow, PersonRow, TeamRow, WorkspaceRow
from bot.storage.repositories import (
    ActivityRepository,
    DigestRepository,
    ExcerptRepository,
    TeamRepository,
)

__all__ = ["DigestRun", "DigestService", "digest_due", "digest_period"]

log = logging.getLogger(__name__)

#: A digest that was due longer ago than this (the bot was down, or just installed) is skipped.
GRACE = timedelta(hours=12)
TINY = timedelta(microseconds=1)
#: Posting one digest message is tried this often (transient errors, 429) before giving up.
POST_ATTEMPTS = 4
RETRY_BASE_SECONDS = 0.5


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
        cipher: Cipher | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        self._sessions = sessions
        self._cipher = cipher  # reads (and then erases) the threads' first lines
        self._platforms = platforms
        self._clock = clock
        self._owner = owner
        self._returns = ReturnDigests(
            sessions=sessions,
            platforms=platforms,
            clock=clock,
            owner=owner,
            post=self._post,
            first_lines=self._first_lines,
        )

    async def run_due(self) -> list[DigestRun]:
        """Post every digest that is due now and not yet claimed (safe to run on every replica)."""
        async with self._sessions() as session, session.begin():
            if self._cipher is not None:
                await ExcerptRepository(session, self._cipher).purge_expired(self._clock.now())
        async with self._sessions() as session:
            teams = await TeamRepository(session).all()
        runs = []
        for team in teams:
            run = await self._run_team(team)
            if run is not None:
                runs.append(run)
        # people back from days off: one private digest of their whole absence each
        await self._returns.run_due()
        return runs

    async def preview(self, team_id: int, channel: str | None = None) -> list[DigestThread]:
        """What the team's next digest would list right now (for ``channel`` only, if named)."""
        return (await self.preview_with_lines(team_id, channel))[0]

    async def preview_with_lines(
        self, team_id: int, channel: str | None = None
    ) -> tuple[list[DigestThread], dict[tuple[str, str], str]]:
        """The threads the next digest would list right now, and their first lines; with
        ``channel``, only that channel's (what its own digest message will list; nothing when
        the team does not watch it)."""
        now = self._clock.now()
        async with self._sessions() as session:
            team, policy, channels = await self._load(session, team_id)
            if channel is not None:
                channels = [name for name in channels if name == channel]
            start = policy.hours.previous_close(now) or now - timedelta(days=7)
            threads = await self._threads(session, team, channels, start, now)
            return threads, await self._first_lines(session, team.workspace_id, threads)

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

    async def _activity(
        self,
        session: AsyncSession,
        team: TeamRow,
        channels: list[str],
        start: datetime,
        end: datetime,
    ) -> list[ActivityRow]:
        rows = await ActivityRepository(session).between(team.workspace_id, start, end)
        return [r for r in rows if r.team_id == team.id and r.conversation_id in channels]

    async def _threads(
        self,
        session: AsyncSession,
        team: TeamRow,
        channels: list[str],
        start: datetime,
        end: datetime,
    ) -> list[DigestThread]:
        rows = await self._activity(session, team, channels, start, end)
        return _summarise(rows, await _guards(session, team.id, start, end))

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
            rows = await self._activity(session, team, channels, start, end)
            workspace = await session.get(WorkspaceRow, team.workspace_id)
            threads = _summarise(rows, await _guards(session, team.id, start, end))
            lines = await self._first_lines(session, team.workspace_id, threads)
        if not threads:
            async with self._sessions() as session, session.begin():
                await DigestRepository(session).finish(team.id, end, state="empty", now=now)
            return DigestRun(team.name, end, 0, 0)
        assert workspace is not None
        platform = self._platforms.get(workspace.platform)
        posted, failed = 0, 0
        if platform is not None:
            if policy.digest.target is DigestTarget.DM:
                posted, failed = await self._post_to_people(
                    platform, workspace, policy, channels, rows, threads, start, lines
                )
            else:
                for channel in channels:
                    in_channel = tuple(t for t in threads if t.conversation == channel)
                    if not in_channel:
                        continue
                    view = self._view(policy, policy.locale, start, in_channel, lines)
                    if await self._post(platform, workspace.external_id, channel, view):
                        posted += 1
                    else:
                        failed += 1
        state = "failed" if failed and not posted else "posted"
        summary = {"threads": len(threads), "posted": posted, "failed": failed}
        async with self._sessions() as session, session.begin():
            if self._cipher is not None and posted:  # the first lines served their purpose
                # only the ones that were read: one the keys cannot read is never erased for
                # that (it expires with the others, see ExcerptRepository.purge_expired)
                await ExcerptRepository(session, self._cipher).erase(workspace.id, list(lines))
            await DigestRepository(session).finish(
                team.id, end, state=state, now=self._clock.now(), summary=summary
            )
        return DigestRun(team.name, end, posted, len(threads))

    def _view(
        self,
        policy: TeamPolicy,
        locale: str,
        since: datetime,
        threads: tuple[DigestThread, ...],
        lines: dict[tuple[str, str], str] | None = None,
    ) -> DigestView:
        return DigestView(
            team=policy.name,
            locale=locale,
            tz=policy.hours.tz,
            since=since,
            now=self._clock.now(),
            threads=threads,
            first_lines=lines or {},
            audience=policy.audience.value,
        )

    async def _first_lines(
        self, session: AsyncSession, workspace_id: int, threads: list[DigestThread]
    ) -> dict[tuple[str, str], str]:
        if self._cipher is None or not threads:
            return {}
        return await ExcerptRepository(session, self._cipher).lines(
            workspace_id, [(t.conversation, t.thread) for t in threads]
        )

    def _name(self, platform: ChatPlatform) -> str:
        """The name ``platform`` is configured under (for metrics' labels)."""
        return next((k for k, v in self._platforms.items() if v is platform), "unknown")

    async def _post(
        self, platform: ChatPlatform, workspace: str, conversation: str, view: DigestView
    ) -> bool:
        """Post one digest message, riding out brief platform trouble (5xx, 429)."""
        for attempt in range(POST_ATTEMPTS):
            try:
                if isinstance(platform, DigestPoster):
                    await platform.post_digest(workspace, conversation, view)
                else:
                    await platform.post(
                        OutgoingMessage(
                            workspace=workspace, conversation=conversation, text=view.text()
                        )
                    )
                self._metrics.digests_posted.inc()
                return True
            except DeliveryError as error:
                self._metrics.platform_errors.labels(
                    platform=self._name(platform), kind=error.kind.value
                ).inc()
                if error.kind is DeliveryErrorKind.PERMANENT or attempt + 1 == POST_ATTEMPTS:
                    log.warning("a digest could not be posted: %s", error.code)
                    return False
                await asyncio.sleep(error.retry_after or RETRY_BASE_SECONDS * 2**attempt)
        return False

    async def _post_to_people(
        self,
        platform: ChatPlatform,
        workspace: WorkspaceRow,
        policy: TeamPolicy,
        channels: list[str],
        rows: list[ActivityRow],
        threads: list[DigestThread],
        since: datetime,
        lines: dict[tuple[str, str], str],
    ) -> tuple[int, int]:
        """One private digest per person who was away: a member of a channel with off-hours
        threads who wrote nothing there in the period, listing only their channels' threads."""
        took_part: dict[str, set[str]] = {}
        for row in rows:
            took_part.setdefault(row.conversation_id, set()).add(row.person_id)
        wanted: dict[str, list[str]] = {}
        for channel in channels:
            if channel not in took_part:
                continue
            try:
                members = await platform.channel_members(workspace.external_id, channel)
            except DeliveryError as error:
                self._metrics.platform_errors.labels(
                    platform=workspace.platform, kind=error.kind.value
                ).inc()
                log.warning("could not list a channel's members for a digest: %s", error.code)
                continue
            for member in members:
                if member not in took_part[channel]:
                    wanted.setdefault(member, []).append(channel)
        async with self._sessions() as session:
            people = await session.scalars(
                select(PersonRow).where(
                    PersonRow.workspace_id == workspace.id, PersonRow.external_id.in_(list(wanted))
                )
            )
            known = list(people)
            locales = {row.external_id: row.locale for row in known}
            # someone away gets the digest of their whole absence when back (return_digest)
            now = self._clock.now()
            away = {row.external_id for row in known if absence_of(row).around(now)}
        posted = failed = 0
        for person, theirs in sorted(wanted.items()):
            if person in away:
                continue
            mine = tuple(t for t in threads if t.conversation in theirs)
            locale = normalize_locale(locales.get(person) or policy.locale)
            view = self._view(policy, locale, since, mine, lines)
            if await self._post(platform, workspace.external_id, person, view):
                posted += 1
            else:
                failed += 1
        return posted, failed


def _summarise(
    rows: list[ActivityRow], guards: dict[tuple[str, str], tuple[datetime, int | None]]
) -> list[DigestThread]:
    return summarise(
        (
            ActivityEvent(
                r.conversation_id, r.thread_id, r.person_id, r.occurred_at, r.decision_signal
            )
            for r in rows
        ),
        guards,
    )


async def _guards(
    session: AsyncSession, team_id: int, start: datetime, end: datetime
) -> dict[tuple[str, str], tuple[datetime, int | None]]:
    """The team's guarded decisions made in the period, by thread (listed first)."""
    rows = await GuardRepository(session).for_team(team_id, start, end)
    return {(r.conversation_id, r.thread_id): (r.guard_until, r.away) for r in rows}


def render_digest(
    threads: list[DigestThread], policy: TeamPolicy, since: datetime, now: datetime
) -> str:
    """Plain-text digest in the team's language (adapters may render richer layouts)."""
    return DigestView(
        team=policy.name,
        locale=policy.locale,
        tz=policy.hours.tz,
        since=since,
        now=now,
        threads=tuple(threads),
    ).text()
