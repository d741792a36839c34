"""Teams' side of the ChatPlatform port: proactive posts through the Bot Connector REST API.

A bot can only post where it holds a conversation reference (stored by ``adapters.teams.app``
when it is installed or spoken to), and never as a user: a held message is posted by the bot
as an Adaptive Card that names its author ("From Kari · written Sun 21:14").

Exactly once: the connector gives bots no history to search. The activity id is written to
the held message's row (``note_posted``) the moment the connector returns it, before the engine
records the delivery in its next batch; a new owner of the row finds it there. A post whose
answer never arrived (a timeout after Teams accepted it) is looked for in its channel through
Microsoft Graph (``adapters.teams.tagged``, needs ``ChannelMessage.Read.Group``); in chats and
1:1 chats, which the app cannot read, it can repeat once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams import texts
from adapters.teams.activities import (
    dump_reference,
    held_message_activity,
    shared_text_activity,
    split_thread,
    text_activity,
)
from adapters.teams.cache import TtlCache
from adapters.teams.cards import reply_activity
from adapters.teams.connector import BotConnector
from adapters.teams.digest_card import fitted_digest_activity, place_name, thread_link
from adapters.teams.graph import GraphClient
from adapters.teams.guard_posting import TeamsGuardPosting
from adapters.teams.people_lookup import TeamsPeopleLookup
from adapters.teams.tagged import find_channel_post
from adapters.teams.targets import (
    PERSON_PREFIXES,
    PLATFORM,
    Person,
    Target,
    personal_with,
    target_of,
)
from bot.clock import Clock
from bot.domain.digest import DigestView
from bot.i18n import shared_instant, strip_instant_marks
from bot.ports import (
    DeliveryError,
    DeliveryErrorKind,
    OutgoingMessage,
    PostedMessage,
)
from bot.services.commands.replies import Reply
from bot.services.directory import zone_or_utc
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ConversationRepository,
    PersonRepository,
    WorkspaceRepository,
)

__all__ = ["PLATFORM", "TeamsPlatform"]

log = logging.getLogger(__name__)


class TeamsPlatform(TeamsGuardPosting, TeamsPeopleLookup):
    """Posts, labels and notes in every tenant the bot is installed in (and the decision
    guard's cards, :mod:`adapters.teams.guard_posting`)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        connector: BotConnector,
        clock: Clock,
        cache_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
        graph: GraphClient | None = None,
    ) -> None:
        self._sessions = sessions
        self._graph = graph
        self._cipher = cipher
        self._connector = connector
        self._clock = clock
        self._targets: TtlCache[tuple[str, str], Target] = TtlCache(cache_seconds, monotonic)
        self._people: TtlCache[tuple[int, str], Person] = TtlCache(cache_seconds, monotonic)
        self._posted: TtlCache[str, str] = TtlCache(3600.0, monotonic)
        self._owners: TtlCache[tuple[str, str, str], bool] = TtlCache(cache_seconds, monotonic)

    async def close(self) -> None:
        await self._connector.close()
        if self._graph is not None:
            await self._graph.close()

    # -- looking things up ----------------------------------------------------------------------

    async def _workspace_id(self, session: AsyncSession, tenant: str) -> int:
        workspace = await WorkspaceRepository(session).find(PLATFORM, tenant)
        if workspace is None or workspace.uninstalled_at is not None:
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "not_installed")
        return workspace.id

    async def _target(self, tenant: str, conversation: str) -> Target:
        key = (tenant, conversation)
        cached = self._targets.get(key)
        if cached is not None:
            return cached
        async with self._sessions() as session:
            workspace_id = await self._workspace_id(session, tenant)
            row = await ConversationRepository(session).find(workspace_id, conversation)
        target = None if row is None else target_of(row, tenant)
        if target is None:
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "no_conversation_reference")
        self._targets.put(key, target)
        return target

    async def _personal(self, tenant: str, person: str) -> Target:
        """The bot's 1:1 chat with a person: stored, or opened through the connector."""
        key = (tenant, f"personal:{person}")
        cached = self._targets.get(key)
        if cached is not None:
            return cached
        async with self._sessions() as session:
            workspace_id = await self._workspace_id(session, tenant)
            conversations = ConversationRepository(session)
            rows = await conversations.mentioning(workspace_id, person, kinds=("dm",))
            known = [row for row in rows if personal_with(row, person)]
            others = [] if known else await conversations.for_workspace(workspace_id, limit=20)
        for row in known:
            target = target_of(row, tenant)
            if target is not None:
                self._targets.put(key, target)
                return target
        via = next(
            (t for row in others if (t := target_of(row, tenant)) and t.reference.get("bot")), None
        )
        if via is None:
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "no_conversation_reference")
        conversation_id = await self._connector.create_personal(
            via.service_url, tenant=tenant, bot=via.reference["bot"], user=person
        )
        reference = {
            "channelId": via.reference.get("channelId", "msteams"),
            "serviceUrl": via.service_url,
            "conversation": {
                "id": conversation_id,
                "conversationType": "personal",
                "tenantId": tenant,
            },
            "bot": via.reference["bot"],
            "user": {"id": person},
        }
        target = Target(workspace_id, tenant, conversation_id, "dm", via.service_url, reference)
        async with self._sessions() as session, session.begin():
            await ConversationRepository(session).save(
                workspace_id,
                conversation_id,
                kind="dm",
                service_url=via.service_url,
                reference=dump_reference(reference),
                now=self._clock.now(),
            )
        self._targets.put(key, target)
        return target

    async def _person(self, workspace_id: int, person: str) -> Person:
        key = (workspace_id, person)
        cached = self._people.get(key)
        if cached is not None:
            return cached
        async with self._sessions() as session:
            row = await PersonRepository(session).find(workspace_id, person)
        found = (
            Person(None, None, None)
            if row is None
            else Person(row.display_name, row.tz, row.locale)
        )
        if found.name is not None:
            self._people.put(key, found)
        return found

    async def _member_name(self, target: Target, person: str) -> str | None:
        try:
            member = await self._connector.member(target.service_url, target.conversation, person)
        except DeliveryError:
            return None
        name = member.get("name") or member.get("givenName")
        return str(name) if name else None

    async def _send(
        self, target: Target, activity: Mapping[str, Any], reply_to: str | None = None
    ) -> str:
        try:
            return await self._connector.send(
                target.service_url, target.conversation, activity, reply_to=reply_to
            )
        except DeliveryError as error:
            if error.kind is DeliveryErrorKind.PERMANENT and error.code != "msg_too_long":
                self._targets.drop((target.tenant, target.conversation))
            raise

    # -- the port -------------------------------------------------------------------------------

    async def post(self, message: OutgoingMessage) -> PostedMessage:
        conversation, thread_in_id = split_thread(message.conversation)
        if conversation.startswith(PERSON_PREFIXES):  # `later @person`: their 1:1 chat
            target = await self._personal(message.workspace, conversation)
        else:
            target = await self._target(message.workspace, conversation)
        author = message.author or message.as_author
        if author is None:
            activity = text_activity(
                target.reference,
                message.text,
                tag=message.tag,
                importance="high" if message.urgent else None,
            )
        else:
            person = await self._person(target.workspace_id, author)
            name = person.name or await self._member_name(target, author)
            if name is not None and person.name is None:
                self._people.put((target.workspace_id, author), Person(name, person.tz, None))
            locale = person.locale
            who = strip_instant_marks(name) if name else texts.text("teams.someone", locale)
            if message.written_at is None:
                byline = texts.text("teams.from", locale, name=who)
            else:
                # each reader sees it in their own zone; notifications, in the author's
                when = shared_instant(
                    message.written_at, zone_or_utc(person.tz), locale, now=self._clock.now()
                )
                byline = texts.text("teams.byline", locale, name=who, when=when)
            activity = held_message_activity(
                target.reference,
                message.text,
                byline=byline,
                tag=message.tag,
                urgent=message.urgent,
                urgent_label=texts.text("teams.urgent", locale),
            )
        message_id = await self._send(target, activity, reply_to=message.thread or thread_in_id)
        if message.tag is not None:
            await self._note_posted(message.tag, message_id)
        return PostedMessage(conversation=message.conversation, message_id=message_id)

    async def _note_posted(self, tag: str, message_id: str) -> None:
        self._posted.put(tag, message_id)
        try:
            async with self._sessions() as session, session.begin():
                await HeldMessageRepository(session, self._cipher).note_posted(
                    tag, message_id, self._clock.now()
                )
        except Exception:  # the engine still records it; only crash recovery is weaker
            log.warning("could not note the posted id of %s", tag, exc_info=True)

    async def find_tagged(self, workspace: str, conversation: str, tag: str) -> str | None:
        """What was posted for ``tag``: our own record first, then — in a team's channel the
        app may read (``ChannelMessage.Read.Group``) — the channel itself, through Graph
        (:mod:`adapters.teams.tagged`); chats cannot be read, so there it is our record only."""
        posted = self._posted.get(tag)
        if posted is not None:
            return posted
        async with self._sessions() as session:
            row = await HeldMessageRepository(session, self._cipher).get(tag)
        if row is None or row.platform_message_id is not None or self._graph is None:
            return None if row is None else row.platform_message_id
        channel, root = split_thread(conversation)
        if channel.startswith(PERSON_PREFIXES):
            return None  # someone's 1:1 chat: no read permission there
        try:
            target = await self._target(workspace, channel)
        except DeliveryError:
            return None
        group = target.reference.get("aadGroupId")
        if target.kind != "channel" or not isinstance(group, str):
            return None
        found = await find_channel_post(
            self._graph,
            group=group,
            channel=channel,
            root=row.thread_id or root,
            tag=tag,
            written_at=row.created_at,
        )
        if found is not None:
            log.info("held message %s was already in its channel (Graph): not posted again", tag)
        return found

    async def send_private(self, workspace: str, person: str, activity: Mapping[str, Any]) -> str:
        """Any activity (an answer card) into the bot's 1:1 chat with the person."""
        target = await self._personal(workspace, person)
        envelope = text_activity(target.reference, "")
        envelope.pop("text", None)
        return await self._send(target, {**envelope, **activity})

    async def send_reply(self, workspace: str, person: str, reply: Reply) -> None:
        """A reply (a leader's weekly insight) as a card in the bot's 1:1 chat with the person,
        its chart inline (``adapters.teams.cards``)."""
        await self.send_private(workspace, person, reply_activity(reply))

    async def notify(self, workspace: str, person: str, text: str) -> None:
        """A private note: a message in the bot's 1:1 chat with the person."""
        target = await self._personal(workspace, person)
        await self._send(target, text_activity(target.reference, text))

    async def place_name(self, workspace: str, conversation: str, locale: str) -> str:
        """A channel as its team and channel names ("Plattform › Drift"), a 1:1 chat or a
        person as the person's name, a group chat as "a group chat"; never raises."""
        conversation, _ = split_thread(conversation)
        try:
            if conversation.startswith(PERSON_PREFIXES):
                async with self._sessions() as session:
                    workspace_id = await self._workspace_id(session, workspace)
                person = await self._person(workspace_id, conversation)
                return person.name or texts.text("teams.someone", locale)
            target = await self._target(workspace, conversation)
        except DeliveryError:
            return texts.text("teams.card.elsewhere", locale)
        if target.kind == "channel":
            return place_name(target.reference, locale)
        if target.kind == "dm":
            user = target.reference.get("user")
            name = user.get("name") if isinstance(user, Mapping) else None
            return str(name) if name else texts.text("place.chat", locale)
        return texts.text("place.group_chat", locale)

    async def add_label(
        self, workspace: str, conversation: str, thread: str, text: str
    ) -> str | None:
        """A reply in the thread is the label (Teams has no reactions for bots)."""
        conversation, _ = split_thread(conversation)
        target = await self._target(workspace, conversation)
        activity = shared_text_activity(target.reference, text)  # each reader's own zone
        return await self._send(target, activity, reply_to=thread)

    async def post_digest(
        self, workspace: str, conversation: str, view: DigestView
    ) -> PostedMessage:
        """The digest as an Adaptive Card, each thread deep-linked; ``conversation`` is a
        channel, or a person (a private digest, in the bot's 1:1 chat with them)."""
        conversation, _ = split_thread(conversation)
        if conversation.startswith(PERSON_PREFIXES):
            target = await self._personal(workspace, conversation)
        else:
            target = await self._target(workspace, conversation)
        references: dict[str, Mapping[str, Any]] = {}
        for channel in dict.fromkeys(thread.conversation for thread in view.threads):
            try:
                references[channel] = (await self._target(workspace, channel)).reference
            except DeliveryError:  # a channel the bot has left: its threads get no link
                continue
        places = {
            channel: place_name(reference, view.locale) for channel, reference in references.items()
        }
        links: dict[tuple[str, str], str] = {}
        for thread in view.threads:
            reference = references.get(thread.conversation)
            link = None if reference is None else thread_link(reference, workspace, thread.thread)
            if link is not None:
                links[(thread.conversation, thread.thread)] = link
        activity, shown = fitted_digest_activity(target.reference, view, links, places)
        while True:
            try:
                message_id = await self._send(target, activity)
            except DeliveryError as error:
                # Teams' size limit is approximate: a 413 is not the end of a digest, a
                # smaller one (the rest counted, not listed) is tried until one fits
                if error.code != "msg_too_long" or shown == 0:
                    raise
                log.info("Teams found a digest of %d threads too big; listing fewer", shown)
                activity, shown = fitted_digest_activity(
                    target.reference, view, links, places, limit=shown // 2
                )
                continue
            return PostedMessage(conversation=target.conversation, message_id=message_id)

    async def can_post(self, workspace: str, conversation: str, person: str) -> bool:
        """Whether the bot may post in a conversation (asked when something is held for it).

        A message extension works in any chat, but the bot can only post where it is a member:
        Teams answers 403 there. Only that (or "blocked") means no; any other trouble is left to
        delivery, which retries and tells the author if it must.
        """
        try:
            conversation, _ = split_thread(conversation)
            target = await self._target(workspace, conversation)
            # the conversation's own roster: a private channel's is not its team's
            await self._connector.member(target.service_url, target.conversation, person)
        except DeliveryError as error:
            return error.code not in ("bot_not_in_conversation", "blocked")
        return True

    async def is_group_chat(self, workspace: str, conversation: str) -> bool:
        """Whether ``conversation`` is a group chat (its members are its audience)."""
        conversation, _ = split_thread(conversation)
        return (await self._target(workspace, conversation)).kind == "group"

    async def channel_members(self, workspace: str, conversation: str) -> list[str]:
        """Who is in ``conversation``, as the Bot Connector lists the conversation itself
        (``GET /v3/conversations/{id}/pagedmembers``, the channel's id, never its team's).

        A standard channel is open to its whole team, and Teams answers with the team's
        roster; a private channel holds only some of the team, and a shared channel its own
        members (of other teams and tenants too), and Teams answers with those only
        (learn.microsoft.com, "Apps for shared and private channels"). Asking the team's
        roster instead would let team members outside a private channel see and act on what
        is held there, its guards and its digests. A chat answers with its own members.
        Raises :class:`DeliveryError` when the conversation is unknown or Teams refuses.
        """
        conversation, _ = split_thread(conversation)
        target = await self._target(workspace, conversation)
        members = await self._connector.members(target.service_url, target.conversation)
        return [str(member["id"]) for member in members if member.get("id")]
