"""Writing through the bot: decide, then hold in the outbox (durable before we answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.decisions import Audience, ChannelAudience, Decision, decide
from bot.metrics import DeliveryMetrics
from bot.ports import AuthorActions, DeliveryError
from bot.services.access import Membership, MembersSource
from bot.services.audience import ConversationAudiences
from bot.services.guest_reach import GuestReach, NotReachableError
from bot.services.person_hours import person_audience
from bot.services.recipients import PersonCheck, ProfileSource, RecipientCheck
from bot.services.workspace_default import channel_policy
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    UrgentOverrideRepository,
    WorkspaceRepository,
)

__all__ = [
    "BotNotInConversationError",
    "ComposeService",
    "Composed",
    "NotAllowedError",
    "NotInstalledError",
    "NotMemberError",
    "NotReachableError",
    "NotRecipientError",
]


class NotInstalledError(Exception):
    """The workspace has no installation of Quiet Hours."""


class NotAllowedError(Exception):
    """No held message of the caller's has this id: only the author may change or cancel a held
    message, and only from its own workspace. Raised alike for an unknown or malformed id and
    for someone else's, and answered as "no longer waiting" (``held.gone``) like a delivered
    one, so a click never tells whether an id exists."""


class NotMemberError(Exception):
    """The bot posts for a person only where they may post themselves: a conversation they
    are a member of. ``conversation`` is the one they are not in (or that could not be asked)."""

    def __init__(self, conversation: str) -> None:
        super().__init__(conversation)
        self.conversation = conversation


class NotRecipientError(Exception):
    """``recipient`` is no one a message can be held for: ``check`` says what the platform
    said (an id it does not know here, a bot or app, a deactivated account). Nothing was held."""

    def __init__(self, recipient: str, check: PersonCheck) -> None:
        super().__init__(recipient)
        self.recipient = recipient
        self.check = check


class BotNotInConversationError(Exception):
    """The bot cannot post in ``conversation`` (a private channel or group DM it is not in):
    nothing was held. The person can invite the app, or write to each person instead."""

    def __init__(self, conversation: str) -> None:
        super().__init__(conversation)
        self.conversation = conversation


async def _nobody_seen(platform: str, workspace: str, person: str) -> None:
    return None


@dataclass(frozen=True)
class Composed:
    decision: Decision
    held_id: str

    @property
    def held(self) -> bool:
        return self.decision.held


class ComposeService:
    """The `later` and `urgent` commands, the compose modal, and auto-hold all end up here.

    Every message goes through the outbox — also one delivered "now" — so one engine, with
    one set of rate limits and one exactly-once mechanism, does all posting.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        actions: dict[str, AuthorActions] | None = None,
        members: Mapping[str, MembersSource] | None = None,
        bot_presence: Collection[str] = (),
        metrics: DeliveryMetrics | None = None,
        seen: Callable[[str, str, str], Awaitable[None]] | None = None,
        people: Mapping[str, ProfileSource] | None = None,
    ) -> None:
        self._metrics = metrics or DeliveryMetrics()
        # (platform, workspace, person): reads a recipient's zone and platform schedule the
        # first time they are seen (``bot.services.platform_defaults``); never raises
        self._seen = seen or _nobody_seen
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self._wake = wake
        self._actions = actions or {}
        self._membership = {name: Membership(source) for name, source in (members or {}).items()}
        # Platforms where a person can write through the bot in a conversation the bot is not
        # in (Slack: a slash command works in any channel or group DM). Elsewhere the bot was
        # reached there (a Teams command), or the adapter asks first (the Teams extension).
        self._bot_presence = frozenset(bot_presence) & frozenset(members or {})
        # who a message may be held for: a real person, asked of the platform (by default the
        # member sources that can also tell a person's profile: every platform adapter can)
        if people is None:
            people = {
                name: source
                for name, source in (members or {}).items()
                if isinstance(source, ProfileSource)
            }
        self.recipients = RecipientCheck(people)
        # a guest (Slack) may hold a message only for people of their own channels
        self.guests = GuestReach(people, self.membership)
        # a channel with ``audience members`` and a group DM: their members' hours decide
        self.audiences = ConversationAudiences(membership=self.membership, sources=members)

    def membership(self, platform: str) -> Membership:
        """Who is in which conversation on ``platform`` (cached); nobody when unknown."""
        found = self._membership.get(platform)
        if found is None:
            found = self._membership[platform] = Membership(None)
        return found

    def typed_anywhere(self, platform: str) -> bool:
        """Whether a command on ``platform`` can be typed in a conversation whether or not the
        bot is in it (Slack's slash commands), so being typed there proves nothing: the
        command layer asks the platform who is in it. Elsewhere (Teams) a command or card
        reached the bot through the conversation itself, sent by the platform for one of its
        members (``Invocation.came_from_conversation``); a call made up for another place (the
        Teams settings card acting in a team's channel) is asked about like Slack's."""
        return platform in self._bot_presence

    async def bot_can_post(self, platform: str, workspace: str, conversation: str) -> bool:
        """Whether the bot itself can post in ``conversation``: the platform shows it the
        conversation's members only then (Slack answers ``channel_not_found`` for a private
        channel or group DM the app is not in; a Teams roster answers 403). The same cached
        lookup as the author's membership, so both cost one platform call. Only platforms named
        in ``bot_presence`` are asked (else True); a failure to ask counts as "no", like
        membership: nothing is held on a guess.
        """
        if platform not in self._bot_presence:
            return True
        return bool(await self.membership(platform).members(workspace, conversation))

    async def compose(
        self,
        *,
        platform: str,
        workspace: str,
        author: str,
        conversation: str,
        text: str,
        recipient: str | None = None,
        thread: str | None = None,
        urgent: bool = False,
        author_name: str | None = None,
        kind: str = "later",
        as_author: bool = False,
        acting_in: str | None = None,
    ) -> Composed:
        """Hold (or post now) ``text`` for ``author``; durable when this returns.

        ``acting_in`` is the conversation the author is writing in (a command typed there, a
        message extension opened there): being there shows they are a member. Anywhere else
        the platform is asked; a conversation they are not in raises :class:`NotMemberError`
        before anything is stored. ``recipient`` (a private message to a person) needs no
        membership, but must be a real, active person of the workspace (not an id the platform
        does not know, a bot or app, or a deactivated account): else :class:`NotRecipientError`
        before anything is stored, whichever way the person was named (a command, a form's
        person picker). An author who is a guest (Slack) may name only someone who shares one of
        their channels: else :class:`NotReachableError` (``bot.services.guest_reach``).
        Raises :class:`NotInstalledError` for a workspace without Quiet Hours.

        First of all, where the bot itself could not post it (a conversation, not a person's
        private chat, nor a post ``as_author`` with their own token), it raises
        :class:`BotNotInConversationError` before anything is stored: held, it would only
        fail when due, after the author was told it was held or sent.
        """
        if recipient is not None:
            check = await self.recipients.check(platform, workspace, recipient)
            if check is not PersonCheck.PERSON:
                raise NotRecipientError(recipient, check)
            if not await self.guests.may_reach(
                platform, workspace, author, recipient, acting_in=acting_in
            ):
                raise NotReachableError(recipient)
        if (
            recipient is None
            and not as_author
            and not await self.bot_can_post(platform, workspace, conversation)
        ):
            raise BotNotInConversationError(conversation)
        if (
            recipient is None
            and conversation != acting_in
            and not await self.membership(platform).is_member(workspace, conversation, author)
        ):
            raise NotMemberError(conversation)
        group = recipient is None and await self.audiences.is_group_chat(
            platform, workspace, conversation
        )
        if recipient is None:
            async with self._sessions() as session:
                await self.audiences.prepare(
                    session,
                    platform=platform,
                    workspace=workspace,
                    conversation=conversation,
                    group=group,
                )
        context = None
        if recipient is not None:
            await self._seen(platform, workspace, recipient)
            if acting_in is not None and await self.membership(platform).is_member(
                workspace, acting_in, recipient
            ):
                context = acting_in
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None or row.uninstalled_at is not None:
                raise NotInstalledError(workspace)
            audience = await self._audience(session, row.id, conversation, recipient, context)
            audience = await self.audiences.widen(
                session,
                audience,
                platform=platform,
                workspace=workspace,
                workspace_id=row.id,
                group=group,
                author=author,
            )
            decision = decide(
                sender=author,
                audience=audience,
                at=now,
                urgent=urgent,
                sender_name=author_name,
                asked_to_wait=True,  # written through the bot to wait: held in label mode too
            )
            held = await HeldMessageRepository(session, self._cipher).add(
                workspace_id=row.id,
                conversation_id=conversation,
                thread_id=thread,
                author_id=author,
                body=text,
                deliver_at=decision.deliver_at,
                now=now,
                kind=kind,
                as_author=as_author,
                urgent=decision.urgent,
            )
            if decision.urgent:
                await UrgentOverrideRepository(session).record(
                    workspace_id=row.id,
                    conversation_id=conversation,
                    sender_id=author,
                    occurred_at=now,
                    held_message_id=held.id,
                )
        if not decision.held:
            self._wake()
        self._metrics.decisions.labels(decision="held" if decision.held else "delivered_now").inc()
        return Composed(decision=decision, held_id=held.id)

    async def _audience(
        self,
        session: AsyncSession,
        workspace_id: int,
        conversation: str,
        recipient: str | None,
        context: str | None,
    ) -> Audience:
        """A channel's audience is its team's policy, else the workspace default; a person's,
        the hours that decide for them (``bot.services.person_hours``), with ``context`` the
        channel the message was written from when they are in it (its team is then theirs,
        unless they lead one)."""
        if recipient is not None:
            return await person_audience(session, workspace_id, recipient, context=context)
        # the team covering the conversation, else the workspace default (protected by default)
        return ChannelAudience(
            conversation, await channel_policy(session, workspace_id, conversation)
        )

    # -- the author's buttons: Send now / Edit / Cancel ---------------------------------------

    async def _owned(
        self, session: AsyncSession, held_id: str, platform: str, workspace: str, person: str
    ) -> HeldMessageRow:
        """The held message, if ``person`` of ``workspace`` on ``platform`` wrote it.

        Both the author *and* the workspace are checked: person ids are only unique within a
        workspace (Slack team, Teams tenant), so the same id string in another workspace is
        someone else. Raises :class:`NotAllowedError` otherwise (also for unknown ids).
        """
        row = await HeldMessageRepository(session, self._cipher).get(held_id)
        if row is None or row.author_id != person:
            raise NotAllowedError(held_id)
        owner = await WorkspaceRepository(session).find(platform, workspace)
        if owner is None or owner.id != row.workspace_id:
            raise NotAllowedError(held_id)
        return row

    async def held_text(
        self, held_id: str, *, platform: str, workspace: str, person: str
    ) -> str | None:
        """The text of the caller's own held message (for Edit); None once it left the outbox.

        Raises :class:`NotAllowedError` when it is not theirs (see :meth:`_owned`).
        """
        async with self._sessions() as session:
            row = await self._owned(session, held_id, platform, workspace, person)
            if row.state != "held":
                return None
            return HeldMessageRepository(session, self._cipher).body(row)

    async def _withdraw(self, held_id: str, platform: str, workspace: str, person: str) -> bool:
        """Take back the platform's own schedule for a held message before we change it.

        False when the platform already posted it (or it is gone): then there is nothing left
        to send now, edit or cancel.
        """
        async with self._sessions() as session:
            row = await self._owned(session, held_id, platform, workspace, person)
            schedule_id = row.platform_schedule_id
            if schedule_id is None or row.state != "held":
                return True
            conversation = row.conversation_id
        actions = self._actions.get(platform)
        if actions is None:
            return False
        try:
            withdrawn = await actions.unschedule(workspace, conversation, schedule_id, person)
        except DeliveryError:
            return False
        if withdrawn:
            async with self._sessions() as session, session.begin():
                await HeldMessageRepository(session, self._cipher).set_schedule(
                    held_id, None, self._clock.now()
                )
        return withdrawn

    async def send_now(self, held_id: str, *, platform: str, workspace: str, person: str) -> bool:
        """Deliver the caller's held message now; False when it already left the outbox.

        Raises :class:`NotAllowedError` when it is not theirs (see :meth:`_owned`).
        """
        if not await self._withdraw(held_id, platform, workspace, person):
            return False
        async with self._sessions() as session, session.begin():
            row = await self._owned(session, held_id, platform, workspace, person)
            repository = HeldMessageRepository(session, self._cipher)
            now = self._clock.now()
            moved = await repository.reschedule(held_id, now, now)
            if moved and row.after_id is not None:
                # a reply waits for its held root (``after_id``): that goes now too, first
                root = await repository.get(row.after_id)
                if root is not None and root.platform_schedule_id is None:
                    await repository.reschedule(root.id, now, now)
        if moved:
            self._wake()
        return moved

    async def edit(
        self, held_id: str, *, platform: str, workspace: str, person: str, text: str
    ) -> bool:
        """Replace the text of the caller's held message; raises :class:`NotAllowedError`."""
        if not await self._withdraw(held_id, platform, workspace, person):
            return False  # the outbox posts the new text
        async with self._sessions() as session, session.begin():
            await self._owned(session, held_id, platform, workspace, person)
            return await HeldMessageRepository(session, self._cipher).set_body(
                held_id, text, self._clock.now()
            )

    async def cancel(self, held_id: str, *, platform: str, workspace: str, person: str) -> bool:
        """Cancel the caller's held message; raises :class:`NotAllowedError`."""
        if not await self._withdraw(held_id, platform, workspace, person):
            return False
        async with self._sessions() as session, session.begin():
            await self._owned(session, held_id, platform, workspace, person)
            return await HeldMessageRepository(session, self._cipher).cancel(
                held_id, self._clock.now()
            )
