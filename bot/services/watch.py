"""Off-hours messages in watched channels: record the metadata and label the thread once.

In-hours messages are recorded too while a member of the channel is away, for their
welcome-back digest (:mod:`bot.services.away_members` says why and what is kept)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.audience import MembersHours
from bot.domain.hours import WorkingHours
from bot.domain.policy import AudienceKind, Mode, TeamPolicy
from bot.i18n import shared_instant, translate
from bot.metrics import DeliveryMetrics
from bot.ports import ChatPlatform, Delivered, DeliveryError
from bot.services.audience import ConversationAudiences
from bot.services.away_members import AwayMembers
from bot.services.directory import policy_from_row
from bot.services.group_commit import GroupCommit
from bot.services.guard import DecisionGuard, PendingGuard
from bot.services.once import EventKey
from bot.services.single_flight import SingleFlight
from bot.services.watch_record import (
    EXCERPT_KEEP,
    ChannelMessage,
    RecordPlan,
    StaleSnapshot,
    needs_session,
    plan_rows,
    store,
    store_rows,
)
from bot.storage.crypto import Cipher
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import LabelRepository, TeamRepository, WorkspaceRepository

__all__ = ["EXCERPT_KEEP", "ChannelMessage", "OffHoursWatcher", "PendingLabel", "Watched"]

#: How often a message is planned again when its channel's team changed meanwhile.
_PLANS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watched:
    recorded: bool
    labelled: bool
    replies_due: datetime | None = None


@dataclass(frozen=True)
class PendingLabel:
    """What :meth:`OffHoursWatcher.record` made durable; the label is still to be posted."""

    message: ChannelMessage
    workspace_id: int
    opening: datetime | None
    claimed: bool
    text: str
    guard: PendingGuard | None = None  # a decision guard whose reply is still to be posted

    @property
    def label_to_post(self) -> bool:
        """Whether a label was claimed for the thread (and is still to be posted)."""
        return self.claimed and self.opening is not None

    @property
    def to_post(self) -> bool:
        """Whether :meth:`OffHoursWatcher.label` has anything to post (a claimed label or a
        guard's reply); when not, it only counts the message and no follow-up is needed."""
        return self.guard is not None or self.label_to_post


def _unlabelled(pending: PendingLabel) -> Watched:
    """A recorded message whose thread gets no label (now)."""
    return Watched(True, False, pending.opening)


@dataclass(frozen=True)
class _Watch:
    workspace: WorkspaceRow  # as read for the snapshot (detached: its columns only)
    team: TeamRow
    policy: TeamPolicy


class OffHoursWatcher:
    """Most messages arrive in working hours or in channels nobody watches: those are answered
    from an in-memory snapshot of the workspace's watched channels (refreshed every
    ``ttl`` seconds), without touching the database.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        platforms: dict[str, ChatPlatform],
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        cipher: Cipher | None = None,
        clock: Clock | None = None,
        metrics: DeliveryMetrics | None = None,
        writes: GroupCommit | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        #: the process's group commit of durable writes (its own when none is given)
        self.writes = writes or GroupCommit(sessions)
        # Labels are decided against the time of handling as well as the message's own time;
        # without a clock (some tests) the two are the same.
        self._clock = clock
        self._sessions = sessions
        self._cipher = cipher  # without one, digests list no first lines
        self._platforms = platforms
        self._ttl = ttl
        self._monotonic = monotonic
        self._snapshots: dict[tuple[str, str], tuple[float, dict[str, _Watch]]] = {}
        self._reading: SingleFlight[tuple[str, str], dict[str, _Watch]] = SingleFlight()
        self._generations: dict[tuple[str, str], int] = {}  # bumped by forget()
        # a team with ``audience members``: its channels are off-hours while fewer than half of
        # their members are in their own hours (member lists asked of the platform, cached)
        self._audiences = ConversationAudiences.of_platforms(platforms)
        #: in-hours messages are kept while someone in their channel is away
        self.away = AwayMembers(
            sessions=sessions, platforms=platforms, cipher=cipher, ttl=ttl, monotonic=monotonic
        )
        #: the decision guard: off-hours decisions in watched channels stay open for a while
        self.guard = DecisionGuard(
            sessions=sessions, platforms=platforms, clock=clock, metrics=self._metrics
        )

    async def _snapshot(self, platform: str, workspace: str) -> dict[str, _Watch]:
        key = (platform, workspace)
        cached = self._snapshots.get(key)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        return await self._reading.run(key, partial(self._read_snapshot, platform, workspace))

    async def _read_snapshot(self, platform: str, workspace: str) -> dict[str, _Watch]:
        key = (platform, workspace)
        generation = self._generations.get(key, 0)
        watched: dict[str, _Watch] = {}
        async with self._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is not None:
                teams = TeamRepository(session)
                for team in await teams.all():
                    if team.workspace_id != row.id:
                        continue
                    channels = await teams.channels(team.id)
                    policy = policy_from_row(
                        team, leaders=await teams.leaders(team.id), channels=channels
                    )
                    for channel in channels:
                        watched[channel] = _Watch(row, team, policy)
        if self._generations.get(key, 0) == generation:  # not forgotten meanwhile
            self._snapshots[key] = (self._monotonic() + self._ttl, watched)
        return watched

    def forget(self, platform: str, workspace: str) -> None:
        """Team settings changed: read them afresh on the next message (a read already
        running is not used for it)."""
        key = (platform, workspace)
        self._snapshots.pop(key, None)
        self._reading.forget(key)
        self._generations[key] = self._generations.get(key, 0) + 1

    async def relevant(self, message: ChannelMessage) -> bool:
        """Whether the message is off-hours in a watched channel, or in hours there while a
        member of the channel is away (cheap; no writes)."""
        watch = (await self._snapshot(message.platform, message.workspace)).get(
            message.conversation
        )
        if watch is None or watch.policy.mode is Mode.OFF:
            return False
        hours: WorkingHours | MembersHours = watch.policy.hours
        if watch.policy.audience is AudienceKind.MEMBERS:
            async with self._sessions() as session:
                hours = await self._hours(session, message, watch.workspace.id, watch.policy)
        if not hours.is_open(message.at):
            return True
        away = await self.away.away_until(
            message.platform, message.workspace, message.conversation, message.at
        )
        return away is not None

    async def _hours(
        self, session: AsyncSession, message: ChannelMessage, workspace_id: int, policy: TeamPolicy
    ) -> WorkingHours | MembersHours:
        return await self._audiences.hours_for_channel(
            session,
            platform=message.platform,
            workspace=message.workspace,
            workspace_id=workspace_id,
            conversation=message.conversation,
            policy=policy,
        )

    async def off_hours_in_watched(
        self, platform: str, workspace: str, conversation: str, at: datetime
    ) -> bool:
        """Whether ``at`` is off-hours in a watched channel by its team's hours (from the
        snapshot; no writes): where a reaction counts for the decision guard."""
        watch = (await self._snapshot(platform, workspace)).get(conversation)
        return (
            watch is not None
            and watch.policy.mode is not Mode.OFF
            and not watch.policy.hours.is_open(at)
        )

    async def after_urgent(self, delivered: Delivered) -> None:
        """An urgent override just went out: in a watched channel off-hours it is recorded for
        the digest, and its thread is *never* labelled "no reply expected" in any mode (an
        urgent "production is down" asks for an answer now); the thread's label slot for this
        quiet period is taken, so replies in it are not labelled either."""
        thread = delivered.thread or delivered.message_id
        await self.on_message(
            ChannelMessage(
                platform=delivered.platform,
                workspace=delivered.workspace,
                conversation=delivered.conversation,
                thread=thread,
                author=delivered.author,
                at=delivered.at,
                text="",
                is_thread_root=delivered.thread is None,
                urgent=True,
            )
        )

    async def on_message(self, message: ChannelMessage) -> Watched:
        """Record an off-hours message in a watched channel for the digest, and label its
        thread when the team labels (or it was urgent); counted in ``quiet_hours_events``."""
        return self.count(await self._on_message(message))

    def count(self, watched: Watched) -> Watched:
        """Count a handled channel message in ``quiet_hours_events``; returns it."""
        outcome = "labelled" if watched.labelled else "recorded" if watched.recorded else "ignored"
        self._metrics.events.labels(kind="channel_message", outcome=outcome).inc()
        return watched

    async def _on_message(self, message: ChannelMessage) -> Watched:
        if not await self.relevant(message):
            return Watched(False, False)
        pending = await self.record(message)
        return Watched(False, False) if pending is None else await self.label(pending)

    async def record(
        self, message: ChannelMessage, *, event: EventKey | None = None
    ) -> PendingLabel | None:
        """The durable part: the event's de-duplication row (raises
        :class:`~bot.services.once.Duplicate` for a retried one), the activity, the excerpt and
        the label claim, committed together with the writes of the events arriving meanwhile
        (:mod:`bot.services.group_commit`, :mod:`bot.services.watch_record`); returns once
        they are durable. None when the message is not off-hours in a watched channel, nor in
        hours while a member of it is away (nothing is written then). Database errors
        propagate: the caller must not acknowledge the event then."""
        for _ in range(_PLANS):
            plan = await self._plan(message)
            if plan is None:
                return None
            try:
                rows = plan_rows(plan, cipher=self._cipher)
                if needs_session(plan, rows):
                    write = partial(store, plan=plan, rows=rows, guard=self.guard, away=self.away)
                    claimed, guard = await self.writes.run(write, event=event, at=message.at)
                else:
                    claimed = await self.writes.run_rows(
                        rows, in_session=partial(store_rows, rows=rows), event=event, at=message.at
                    )
                    claimed, guard = claimed and not message.urgent, None
            except StaleSnapshot:
                self.forget(message.platform, message.workspace)  # read the teams afresh
                continue
            return self._pending(plan, claimed, guard)
        log.warning("a channel's team kept changing while a message was recorded; not recorded")
        return None

    def _pending(self, plan: RecordPlan, claimed: bool, guard: PendingGuard | None) -> PendingLabel:
        message, opening, hours, policy = plan.message, plan.opening, plan.hours, plan.policy
        if plan.back is not None:  # in hours, kept for someone away: no label, no guard
            return PendingLabel(message, plan.workspace.id, None, False, "")
        text = ""
        if claimed and opening is not None:
            # whose hours: the team's, or "half of the channel's N members"
            members = isinstance(hours, MembersHours)
            text = translate(
                "decision.label.members" if members else "decision.label",
                policy.locale,
                # each reader sees it in their own zone (the platform renders it)
                when=shared_instant(opening, hours.tz, policy.locale, now=plan.handled),
                count=hours.count if isinstance(hours, MembersHours) else 0,
            )
        return PendingLabel(message, plan.workspace.id, opening, claimed, text, guard)

    async def _plan(self, message: ChannelMessage) -> RecordPlan | None:
        """What to store, from the snapshot and the hours; None when nothing is to be kept."""
        watch = (await self._snapshot(message.platform, message.workspace)).get(
            message.conversation
        )
        if watch is None or watch.policy.mode is Mode.OFF:
            return None
        hours: WorkingHours | MembersHours = watch.policy.hours
        if watch.policy.audience is AudienceKind.MEMBERS:
            async with self._sessions() as session:
                hours = await self._hours(session, message, watch.workspace.id, watch.policy)
        # The activity counts (it was off-hours when written); the label only if it is still
        # off-hours now: a retried or late event must not mark a thread whose hours have
        # begun, with an "until" in the past.
        handled = message.at if self._clock is None else max(message.at, self._clock.now())
        parts = (message, watch.workspace, watch.team, watch.policy, hours, handled)
        if hours.is_open(message.at):  # kept only while a channel member is away
            back = await self.away.away_until(
                message.platform, message.workspace, message.conversation, message.at
            )
            return None if back is None else RecordPlan(*parts, back=back)
        # the next opening at or after ``handled`` is ``handled`` itself when it is open by now
        opening = hours.next_open(handled)
        still_off = opening is None or opening > handled
        return RecordPlan(*parts, opening=opening, still_off=still_off)

    async def label(self, pending: PendingLabel) -> Watched:
        """Post the claimed label, then the decision guard's reply if one was claimed (after
        the acknowledgement: a platform call may be slow)."""
        watched = await self._label(pending)
        if pending.guard is not None:
            await self.guard.post(pending.guard)
        return watched

    def count_unposted(self, pending: PendingLabel) -> None:
        """Count a recorded message with nothing to post (``not pending.to_post``), in place
        of a follow-up running :meth:`label` for it."""
        self.count(_unlabelled(pending))

    async def _label(self, pending: PendingLabel) -> Watched:
        message, opening = pending.message, pending.opening
        if not pending.label_to_post or opening is None:
            return _unlabelled(pending)
        platform = self._platforms.get(message.platform)
        if platform is None:
            return _unlabelled(pending)
        try:
            label_id = await platform.add_label(
                message.workspace, message.conversation, message.thread, pending.text
            )
        except DeliveryError as error:
            self._metrics.platform_errors.labels(
                platform=message.platform, kind=error.kind.value
            ).inc()
            log.warning("could not label a thread; will try again on its next message")
            ids = (pending.workspace_id, message.conversation, message.thread, opening)
            await self.writes.run(lambda session: LabelRepository(session).unclaim(*ids))
            return _unlabelled(pending)
        if label_id is not None:
            # with the other writes of the moment (labels come in bursts, as messages do)
            ids = (pending.workspace_id, message.conversation, message.thread, opening)
            await self.writes.run(
                lambda session: LabelRepository(session).set_message(*ids, label_id)
            )
        self._metrics.labels_posted.inc()
        self._metrics.decisions.labels(decision="labelled").inc()
        return Watched(True, True, opening)
