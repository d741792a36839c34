"""Channel messages Teams shows the bot (RSC ``ChannelMessage.Read.Group``) → the off-hours watcher.

With resource-specific consent the bot receives every message in its teams' channels, without an
@mention. Each one becomes a platform-free :class:`ChannelMessage`; only off-hours messages in
watched channels have an effect (recorded for the digest, the thread labelled once), and only
those pay for the database check that makes a retried activity count once.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.activities import bot_mentioned, split_thread
from adapters.teams.platform import PLATFORM
from bot.clock import Clock
from bot.domain.guard import is_approving_reaction
from bot.services.guard import ChannelReaction
from bot.services.once import Duplicate
from bot.services.watch import ChannelMessage, OffHoursWatcher, Watched
from bot.webio import database_unavailable

__all__ = [
    "PLATFORM",
    "channel_message",
    "channel_reactions",
    "plain_text",
    "watch_channel_message",
    "watch_reaction",
]

log = logging.getLogger(__name__)

#: Bot Framework ids: ``28:`` is a bot, ``29:`` a person.
_BOT_PREFIX = "28:"
_MAX_EVENT_ID = 255

_MENTION = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h\d|blockquote)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[ \t\r\f\v]+")


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def plain_text(text: str) -> str:
    """The words of a Teams message, whose ``text`` is often HTML: ``<p>``, ``<at>``, entities.

    Mentions become ``@Name`` (so a digest quoting the line notifies nobody), paragraph ends
    and ``<br>`` become line breaks, other tags go, entities are decoded.
    """
    text = _MENTION.sub(lambda match: "@" + _TAG.sub("", match.group(1)).strip(), text or "")
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    lines = (_BLANKS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _from_a_bot(activity: Mapping[str, Any]) -> bool:
    sender = _dict(activity.get("from"))
    sender_id = _str(sender.get("id")) or ""
    bot_id = _str(_dict(activity.get("recipient")).get("id"))
    return (
        sender.get("role") == "bot"
        or sender_id.startswith(_BOT_PREFIX)
        or (bot_id is not None and sender_id == bot_id)
    )


def _instant(value: object) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def channel_message(activity: Mapping[str, Any], *, now: datetime) -> ChannelMessage | None:
    """A person's channel message as the watcher sees it; ``None`` for anything else.

    Not a channel message: chats, the bot's own posts, commands (@mentions of the bot), and
    activities without a tenant, sender or id. ``now`` stands in for a missing timestamp.
    """
    if activity.get("type") != "message" or _from_a_bot(activity) or bot_mentioned(activity):
        return None
    conversation = _dict(activity.get("conversation"))
    channel_data = _dict(activity.get("channelData"))
    if conversation.get("conversationType") != "channel":
        return None
    raw_id = _str(conversation.get("id"))
    message_id = _str(activity.get("id"))
    author = _str(_dict(activity.get("from")).get("id"))
    tenant = _str(_dict(channel_data.get("tenant")).get("id")) or _str(conversation.get("tenantId"))
    if raw_id is None or message_id is None or author is None or tenant is None:
        return None
    channel, root = split_thread(raw_id)
    # a root post's conversation id names the post itself; a reply's names its thread's root
    thread = root or _str(activity.get("replyToId")) or message_id
    return ChannelMessage(
        platform=PLATFORM,
        workspace=tenant,
        conversation=channel,
        thread=thread,
        author=author,
        at=_instant(activity.get("timestamp")) or now,
        text=plain_text(_str(activity.get("text")) or ""),
        is_thread_root=thread == message_id,
        message_id=message_id,
    )


def channel_reactions(activity: Mapping[str, Any], *, now: datetime) -> list[ChannelReaction]:
    """A ``messageReaction`` activity in a channel as reactions put on (``reactionsAdded``) or
    taken off (``reactionsRemoved``) the message it replies to; [] for anything else."""
    if activity.get("type") != "messageReaction" or _from_a_bot(activity):
        return []
    conversation = _dict(activity.get("conversation"))
    channel_data = _dict(activity.get("channelData"))
    if conversation.get("conversationType") != "channel":
        return []
    raw_id = _str(conversation.get("id"))
    message_id = _str(activity.get("replyToId"))
    person = _str(_dict(activity.get("from")).get("id"))
    tenant = _str(_dict(channel_data.get("tenant")).get("id")) or _str(conversation.get("tenantId"))
    if raw_id is None or message_id is None or person is None or tenant is None:
        return []
    channel, root = split_thread(raw_id)
    at = _instant(activity.get("timestamp")) or now
    found = []
    for key, added in (("reactionsAdded", True), ("reactionsRemoved", False)):
        reactions = activity.get(key)
        for reaction in reactions if isinstance(reactions, list) else []:
            kind = _str(_dict(reaction).get("type"))
            if kind is not None:
                found.append(
                    ChannelReaction(
                        platform=PLATFORM,
                        workspace=tenant,
                        conversation=channel,
                        message_id=message_id,
                        person=person,
                        reaction=kind,
                        at=at,
                        added=added,
                        thread=root or message_id,
                    )
                )
    return found


def _event_id(message: ChannelMessage, activity_id: str) -> str:
    """Teams message ids are unique within a channel only: the channel is part of the key."""
    key = f"{message.conversation};{activity_id}"
    if len(key) <= _MAX_EVENT_ID:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


async def watch_channel_message(
    watcher: OffHoursWatcher | None,
    sessions: async_sessionmaker[AsyncSession],
    activity: Mapping[str, Any],
    clock: Clock,
) -> Watched | None:
    """Hand an inbound channel message to the watcher, once however often Teams sends it.

    The de-duplication row and the recorded activity are written in one transaction. When the
    database is unreachable the error propagates (the turn is answered 503 and the Bot
    Connector retries); any other failure is logged and must not cost the turn its answer
    (the thread's next message tries the label again).
    """
    if watcher is None:
        return None
    try:
        message = channel_message(activity, now=clock.now())
        if message is None:  # ``record`` writes nothing for a message that is not watched
            return None
        key = (PLATFORM, _event_id(message, str(activity["id"])))
        try:
            recorded = await watcher.record(message, event=key)
        except Duplicate:
            log.info("Teams sent a channel message again; it was handled the first time")
            return None
        return None if recorded is None else watcher.count(await watcher.label(recorded))
    except Exception as error:
        if database_unavailable(error):
            raise
        log.exception("a Teams channel message could not be watched")
        return None


async def watch_reaction(
    watcher: OffHoursWatcher | None, activity: Mapping[str, Any], clock: Clock
) -> int:
    """Hand a ``messageReaction`` to the decision guard, once however often Teams sends it;
    returns how many guard replies were posted. Errors as :func:`watch_channel_message`."""
    if watcher is None:
        return 0
    posted = 0
    try:
        for index, reaction in enumerate(channel_reactions(activity, now=clock.now())):
            if not is_approving_reaction(
                reaction.reaction
            ) or not await watcher.off_hours_in_watched(
                PLATFORM, reaction.workspace, reaction.conversation, reaction.at
            ):
                continue
            activity_id = str(activity.get("id") or "")
            key = None
            if activity_id:
                raw = f"{reaction.conversation};{activity_id};{index}"
                key = (PLATFORM, _event_id_of(raw))
            try:
                pending = await watcher.guard.on_reaction(reaction, event=key)
            except Duplicate:
                log.info("Teams sent a reaction again; it was handled the first time")
                continue
            if pending is not None and await watcher.guard.post(pending):
                posted += 1
    except Exception as error:
        if database_unavailable(error):
            raise
        log.exception("a Teams reaction could not be watched")
    return posted


def _event_id_of(key: str) -> str:
    if len(key) <= _MAX_EVENT_ID:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
