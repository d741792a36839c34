"""Auto-hold: a person's own off-hours message is taken down at once and re-posted as them later.

Opt-in per person (they grant the platform rights to act as them). The order of steps keeps
every message safe: the text is stored (encrypted) *before* the original is removed, and if
removing fails the stored copy is cancelled and erased, so a message is never both visible and
held, nor lost. Within the platform's limits the platform itself schedules the re-post (Slack's
``chat.scheduleMessage``: it then arrives on time even if we are down); beyond them our outbox
posts it.

A reply in the thread of a message we hold follows it: its root was taken down (it will get a
new id when it is re-posted), so a reply scheduled into the old thread would be posted into a
thread that no longer exists — lost. Such a reply is held in our outbox chained after its root
(``after_id``), whatever the hour, and never scheduled with the platform; the root's own
platform schedule is withdrawn so our outbox posts it and learns its new id. When the root is
delivered, the same transaction gives its replies the new thread; cancelled or failed, they go
out at the conversation's top. A reply to a root someone else deletes while the reply is held
goes out at the conversation's top too (:meth:`AutoHoldService.thread_deleted`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.decisions import Action, Audience, ChannelAudience, Decision, Reason, decide
from bot.ports import AuthorActions, DeliveryError, OutgoingMessage
from bot.services.audience import ConversationAudiences
from bot.services.directory import policy_from_row
from bot.services.once import EventKey, claim_event
from bot.services.person_hours import person_audience
from bot.services.single_flight import SingleFlight
from bot.services.workspace_default import workspace_policy
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow, WorkspaceRow
from bot.storage.outbox import OPEN_STATES, HeldMessageRepository
from bot.storage.repositories import TeamRepository, WorkspaceRepository

__all__ = ["SCHEDULE_HORIZON", "AutoHeld", "AutoHoldService", "OwnMessage", "PendingHold"]

log = logging.getLogger(__name__)

#: Slack schedules at most 120 days ahead, and at most 30 messages per channel in 5 minutes.
SCHEDULE_HORIZON = timedelta(days=120)
SCHEDULE_WINDOW = timedelta(minutes=5)
SCHEDULE_PER_WINDOW = 30
#: Scheduling a post that is due within this is pointless; the outbox takes it.
SCHEDULE_MIN_LEAD = timedelta(seconds=60)
#: How long the set of people who opted in is trusted before it is read again.
OPT_IN_TTL = 10.0


@dataclass(frozen=True)
class OwnMessage:
    """A message a person just posted, as the platform reported it."""

    platform: str
    workspace: str
    conversation: str
    message_id: str
    author: str
    at: datetime
    text: str
    thread: str | None = None
    is_direct: bool = False


@dataclass(frozen=True)
class AutoHeld:
    held_id: str
    decision: Decision
    scheduled: bool


@dataclass(frozen=True)
class PendingHold:
    """A held copy made durable by :meth:`AutoHoldService.hold`; the original is still up."""

    message: OwnMessage
    held_id: str
    workspace_id: int
    decision: Decision
    #: a reply held after its held root: (root id, the root's platform schedule to withdraw,
    #: the root's author); never scheduled with the platform itself
    root: tuple[str, str | None, str] | None = None


@dataclass(frozen=True)
class Unschedule:
    """A held reply whose thread root was deleted: the platform's own schedule (into the old
    thread) to withdraw, after which our outbox posts it at the conversation's top."""

    workspace: str
    conversation: str
    held_id: str
    schedule_id: str
    author: str


class AutoHoldService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        actions: dict[str, AuthorActions],
        wake: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
        opt_in_ttl: float = OPT_IN_TTL,
        audiences: ConversationAudiences | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._actions = actions
        self._wake = wake
        self._monotonic = monotonic
        self._ttl = opt_in_ttl
        self._opted_in: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._reading: SingleFlight[tuple[str, str], tuple[float, frozenset[str]]] = SingleFlight()
        # a watched channel whose team chose ``audience members``: its members' hours decide
        self._audiences = audiences

    async def opted_in(self, platform: str, workspace: str, person: str) -> bool:
        """Cheap check for every incoming message: is this author using auto-hold?"""
        key = (platform, workspace)
        cached = self._opted_in.get(key)
        if cached is None or cached[0] <= self._monotonic():
            cached = await self._reading.run(key, partial(self._read_opted_in, platform, workspace))
        return person in cached[1]

    async def _read_opted_in(self, platform: str, workspace: str) -> tuple[float, frozenset[str]]:
        async with self._sessions() as session:
            people = await session.scalars(
                select(PersonRow.external_id)
                .join(WorkspaceRow, WorkspaceRow.id == PersonRow.workspace_id)
                .where(
                    WorkspaceRow.platform == platform,
                    WorkspaceRow.external_id == workspace,
                    PersonRow.auto_hold.is_(True),
                    PersonRow.user_token_enc.is_not(None),
                )
            )
            cached = (self._monotonic() + self._ttl, frozenset(people.all()))
        self._opted_in[(platform, workspace)] = cached
        return cached

    def forget(self, platform: str, workspace: str) -> None:
        self._opted_in.pop((platform, workspace), None)

    async def on_own_message(self, message: OwnMessage) -> AutoHeld | None:
        """Hold the message if its audience is off; None when it may stay where it is."""
        pending = await self.hold(message)
        return None if pending is None else await self.settle(pending)

    async def hold(
        self, message: OwnMessage, *, event: EventKey | None = None
    ) -> PendingHold | None:
        """The durable part: decide and store the held copy (encrypted), with the event's
        de-duplication row in the same transaction (raises :class:`~bot.services.once.Duplicate`
        for a retried event that was held). None when the message may stay; nothing is
        written then. Database errors propagate: the caller must not acknowledge the event."""
        actions = self._actions.get(message.platform)
        if actions is None or not await self.opted_in(
            message.platform, message.workspace, message.author
        ):
            return None
        recipient = None
        if message.is_direct:
            try:
                recipient = await actions.dm_partner(
                    message.workspace, message.conversation, message.author
                )
            except DeliveryError:
                log.info("could not tell who a direct message is for; leaving it")
                return None
            if recipient is None:
                return None
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).find(message.platform, message.workspace)
            if workspace is None or workspace.uninstalled_at is not None:
                return None
            audience = await self._audience(session, workspace.id, message, recipient)
            if audience is None:
                return None
            if self._audiences is not None:
                audience = await self._audiences.widen(
                    session,
                    audience,
                    platform=message.platform,
                    workspace=message.workspace,
                    workspace_id=workspace.id,
                )
            # against the time of handling too: hours that began meanwhile leave it alone
            decision = decide(
                sender=message.author, audience=audience, at=message.at, handled_at=now
            )
            repository = HeldMessageRepository(session, self._cipher)
            root = None
            if message.thread is not None:
                root = await repository.held_root(
                    workspace.id, message.conversation, message.thread
                )
            if root is not None and root.state in (*OPEN_STATES, "delivered"):
                decision = _following(decision, root, now)  # held whatever the hour
            if not decision.held:
                return None
            await claim_event(session, event, now)
            thread, after = message.thread, None
            if root is not None:  # its thread as it will be once the root is posted
                thread, after = _thread_after(root)
            held = await repository.add(
                workspace_id=workspace.id,
                conversation_id=message.conversation,
                thread_id=thread,
                author_id=message.author,
                body=message.text,
                deliver_at=decision.deliver_at,
                now=now,
                kind="auto_hold",
                as_author=True,
                source_message_id=message.message_id,
                after_id=after,
            )
            chained = None
            if root is not None and after is not None:
                chained = (root.id, root.platform_schedule_id, root.author_id)
            pending = PendingHold(message, held.id, workspace.id, decision, chained)
        return pending

    async def settle(self, pending: PendingHold) -> AutoHeld | None:
        """Take the original down (the copy is stored), then let the platform schedule it."""
        message, held_id = pending.message, pending.held_id
        actions = self._actions[message.platform]
        # Stored first; now take the original down. If that fails the message stays visible, so
        # the copy must go: never both visible and held.
        try:
            await actions.take_down(
                message.workspace, message.conversation, message.message_id, message.author
            )
        except DeliveryError as error:
            log.warning("could not take down an off-hours message (%s); not holding it", error.code)
            async with self._sessions() as session, session.begin():
                await HeldMessageRepository(session, self._cipher).cancel(
                    held_id, self._clock.now()
                )
            return None
        if pending.root is not None:  # follows its held root: our outbox posts both
            await self._withdraw_root(actions, message, *pending.root)
            return AutoHeld(held_id=held_id, decision=pending.decision, scheduled=False)
        scheduled = await self._schedule(
            actions, message, held_id, pending.workspace_id, pending.decision
        )
        return AutoHeld(held_id=held_id, decision=pending.decision, scheduled=scheduled)

    async def _withdraw_root(
        self,
        actions: AuthorActions,
        message: OwnMessage,
        root_id: str,
        schedule_id: str | None,
        root_author: str,
    ) -> None:
        """The platform was to post the root itself (its new id unknown to us): withdraw that,
        so our outbox posts it and gives its replies the new thread. If the platform will not,
        the root stays scheduled and its replies go out at the conversation's top."""
        if schedule_id is None:
            return
        try:
            withdrawn = await actions.unschedule(
                message.workspace, message.conversation, schedule_id, root_author
            )
        except DeliveryError as error:
            log.info("could not withdraw a held root's schedule (%s)", error.code)
            return
        if withdrawn:
            async with self._sessions() as session, session.begin():
                await HeldMessageRepository(session, self._cipher).set_schedule(
                    root_id, None, self._clock.now()
                )

    async def thread_deleted(
        self,
        platform: str,
        workspace: str,
        conversation: str,
        root: str,
        *,
        event: EventKey | None,
    ) -> list[Unschedule]:
        """A message was deleted (by its author, an admin, or us): held replies into its
        thread go out at the conversation's top instead, since a reply posted into a deleted
        thread is never seen. Durable with the event's de-duplication row (raises
        :class:`~bot.services.once.Duplicate` for a retry); nothing is written when nothing
        waits for that thread. Returns the platform schedules to withdraw (after the
        acknowledgement: :meth:`unschedule_moved`)."""
        async with self._sessions() as session:
            found = await WorkspaceRepository(session).find(platform, workspace)
            if found is None:
                return []
            waiting = await session.scalar(
                select(HeldMessageRow.id)
                .where(
                    HeldMessageRow.workspace_id == found.id,
                    HeldMessageRow.conversation_id == conversation,
                    HeldMessageRow.thread_id == root,
                    HeldMessageRow.state == "held",
                )
                .limit(1)
            )
        if waiting is None:
            return []  # nearly every deletion: no write at all
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            await claim_event(session, event, now)
            moved = await HeldMessageRepository(session, self._cipher).retarget_thread(
                found.id, conversation, root, now
            )
        log.info("%d held repl(ies) lost their thread root: posted at the top instead", len(moved))
        return [
            Unschedule(workspace, conversation, row.id, row.platform_schedule_id, row.author_id)
            for row in moved
            if row.platform_schedule_id is not None
        ]

    async def unschedule_moved(self, platform: str, moved: list[Unschedule]) -> None:
        """Withdraw the platform's schedules of replies moved out of a deleted thread; each
        withdrawn one is then posted by our outbox (at the top). One the platform keeps goes
        out where it was scheduled (logged)."""
        actions = self._actions.get(platform)
        if actions is None:
            return
        for item in moved:
            try:
                withdrawn = await actions.unschedule(
                    item.workspace, item.conversation, item.schedule_id, item.author
                )
            except DeliveryError as error:
                log.warning("a held reply into a deleted thread stays scheduled (%s)", error.code)
                continue
            if withdrawn:
                async with self._sessions() as session, session.begin():
                    await HeldMessageRepository(session, self._cipher).set_schedule(
                        item.held_id, None, self._clock.now()
                    )
                self._wake()

    async def _audience(
        self,
        session: AsyncSession,
        workspace_id: int,
        message: OwnMessage,
        recipient: str | None,
    ) -> Audience | None:
        teams = TeamRepository(session)
        if recipient is not None:
            audience = await person_audience(session, workspace_id, recipient)
            if audience.person.hours is None:
                return None  # nothing known about the recipient's hours: leave the DM alone
            return audience
        team_row = await teams.for_channel(workspace_id, message.conversation)
        if team_row is None:
            # no team covers the channel: the workspace default does (protected by default)
            default = await workspace_policy(session, workspace_id)
            return None if default is None else ChannelAudience(message.conversation, default)
        channels = await teams.channels(team_row.id)
        if message.conversation not in channels:
            return None  # only watched channels
        policy = policy_from_row(
            team_row, leaders=await teams.leaders(team_row.id), channels=channels
        )
        return ChannelAudience(message.conversation, policy)

    async def _schedule(
        self,
        actions: AuthorActions,
        message: OwnMessage,
        held_id: str,
        workspace_id: int,
        decision: Decision,
    ) -> bool:
        now = self._clock.now()
        at = decision.deliver_at
        if not (SCHEDULE_MIN_LEAD <= at - now <= SCHEDULE_HORIZON):
            return False
        async with self._sessions() as session:
            near = await HeldMessageRepository(session, self._cipher).scheduled_near(
                workspace_id, message.conversation, at, SCHEDULE_WINDOW
            )
        if near >= SCHEDULE_PER_WINDOW:
            return False
        try:
            schedule_id = await actions.schedule_as_author(
                OutgoingMessage(
                    workspace=message.workspace,
                    conversation=message.conversation,
                    text=message.text,
                    thread=message.thread,
                    as_author=message.author,
                ),
                at,
            )
        except DeliveryError as error:
            log.info("platform scheduling refused (%s); the outbox will post it", error.code)
            return False
        if schedule_id is None:
            return False
        async with self._sessions() as session, session.begin():
            recorded = await HeldMessageRepository(session, self._cipher).set_schedule(
                held_id, schedule_id, self._clock.now()
            )
        if not recorded:  # cancelled meanwhile: withdraw what we just scheduled
            try:
                await actions.unschedule(
                    message.workspace, message.conversation, schedule_id, message.author
                )
            except DeliveryError:
                log.warning("a cancelled auto-held message may still be scheduled on the platform")
            return False
        return True


def _following(decision: Decision, root: HeldMessageRow, now: datetime) -> Decision:
    """A reply to a root we hold is held too, at the earliest when the root goes out."""
    at = decision.deliver_at if decision.held else now
    if root.state != "delivered":
        at = max(at, root.deliver_at)
    return replace(
        decision,
        action=Action.HOLD,
        deliver_at=at,
        reason=Reason("decision.follows_root"),
        label_until=None,
    )


def _thread_after(root: HeldMessageRow) -> tuple[str | None, str | None]:
    """(thread, after_id) for a reply to a held root: still held, after it (thread set when it
    is posted); delivered by us, into its new post; else (the platform posted it from its own
    schedule, or it was cancelled or failed) at the conversation's top."""
    if root.state in OPEN_STATES:
        return None, root.id
    posted = root.platform_message_id
    if root.state == "delivered" and posted and not posted.startswith("scheduled:"):
        return posted, None
    return None, None
