"""Pure translation between Teams activities (plain JSON dicts) and what the bot stores or posts.

No I/O here: inbound activities become :class:`ConversationInfo` / :class:`Sender` values, and
outbound messages become activity dicts the Bot Connector accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.teams.markup import user_text_block
from bot.domain.markup import plain
from bot.domain.text_split import shorten
from bot.i18n import render_instants, split_instants

__all__ = [
    "ADAPTIVE_CARD",
    "TAG_KEY",
    "ConversationInfo",
    "Sender",
    "bot_added",
    "bot_mentioned",
    "bot_removed",
    "conversation_info",
    "deleted_channel",
    "delivery_tag",
    "dump_reference",
    "held_message_activity",
    "parse_reference",
    "reply_chain",
    "sender",
    "shared_text_activity",
    "split_thread",
    "text_activity",
]

#: Characters of an activity's ``summary`` (notifications, chat lists).
SUMMARY_LIMIT = 200
#: The key in ``channelData`` under which we tag what we post with the held message's id.
TAG_KEY = "quietHours"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
#: A held message card's first element has the ``id`` ``qh-<held id>``: the tag as Microsoft
#: Graph shows it (Graph returns cards, never ``channelData``; ``adapters.teams.tagged``).
TAG_PREFIX = "qh-"

#: Teams' conversation types onto the kinds the ``conversations`` table uses for every platform.
_KINDS = {"personal": "dm", "groupChat": "group", "channel": "channel"}
_THREAD_MARK = ";messageid="

Json = dict[str, Any]


@dataclass(frozen=True)
class ConversationInfo:
    """Where an activity happened, as much as a proactive post later needs."""

    tenant: str
    conversation: str  # a channel's id without the ``;messageid=`` thread suffix
    kind: str  # "dm" | "group" | "channel"
    service_url: str
    team: str | None
    thread: str | None  # the thread's root message id, for a message inside a channel thread
    reference: Json  # JSON-ready: conversation, bot, user (personal chats), serviceUrl, teamId

    def reference_json(self) -> str:
        return dump_reference(self.reference)


@dataclass(frozen=True)
class Sender:
    id: str
    name: str | None
    aad_object_id: str | None
    tz: str | None
    locale: str | None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def split_thread(conversation_id: str) -> tuple[str, str | None]:
    """``19:x@thread.tacv2;messageid=17`` → (``19:x@thread.tacv2``, ``17``)."""
    base, mark, root = conversation_id.partition(_THREAD_MARK)
    return base, (root or None) if mark else None


def _account(value: object) -> Json | None:
    account = _dict(value)
    if not _str(account.get("id")):
        return None
    keep = {key: account[key] for key in ("id", "name", "aadObjectId") if account.get(key)}
    return keep


def conversation_info(activity: Mapping[str, Any]) -> ConversationInfo | None:
    """The conversation an inbound activity belongs to; ``None`` if it lacks what we need."""
    conversation = _dict(activity.get("conversation"))
    channel_data = _dict(activity.get("channelData"))
    raw_id = _str(conversation.get("id"))
    service_url = _str(activity.get("serviceUrl"))
    tenant = _str(_dict(channel_data.get("tenant")).get("id")) or _str(conversation.get("tenantId"))
    if raw_id is None or service_url is None or tenant is None:
        return None
    kind_name = _str(conversation.get("conversationType"))
    kind = _KINDS.get(kind_name or "") or ("group" if conversation.get("isGroup") else "dm")
    conversation_id, thread = split_thread(raw_id)
    team = _str(_dict(channel_data.get("team")).get("id"))
    reference: Json = {
        "channelId": _str(activity.get("channelId")) or "msteams",
        "serviceUrl": service_url,
        "conversation": {
            key: value
            for key, value in {
                "id": conversation_id,
                "conversationType": kind_name,
                "tenantId": tenant,
                "isGroup": kind != "dm" or None,
            }.items()
            if value is not None
        },
    }
    bot = _account(activity.get("recipient"))
    if bot is not None:
        reference["bot"] = bot
    if kind == "dm":  # the person this personal chat is with; other chats keep no user
        user = _account(activity.get("from"))
        if user is not None:
            reference["user"] = user
    if team is not None:
        reference["teamId"] = team
        # what a deep link to a channel thread needs (the team's Microsoft 365 group), and
        # names to show in a digest; Teams sends them with channel messages and installs
        team_data = _dict(channel_data.get("team"))
        channel = _dict(channel_data.get("channel"))
        extras = {
            "aadGroupId": _str(team_data.get("aadGroupId")),
            "teamName": _str(team_data.get("name")),
            # channelCreated/Renamed events name another channel than the one they arrive in
            "channelName": _str(channel.get("name"))
            if channel.get("id") == conversation_id
            else None,
        }
        reference.update({key: value for key, value in extras.items() if value is not None})
    return ConversationInfo(
        tenant=tenant,
        conversation=conversation_id,
        kind=kind,
        service_url=service_url,
        team=team,
        thread=thread,
        reference=reference,
    )


def reply_chain(activity: Mapping[str, Any], info: ConversationInfo) -> str | None:
    """The root message id of the channel thread ``activity`` replies in; None for a new post
    (a root post's conversation id names the post itself) and outside channels."""
    if info.kind != "channel" or info.thread is None:
        return None
    return None if info.thread == _str(activity.get("id")) else info.thread


def dump_reference(reference: Mapping[str, Any]) -> str:
    return json.dumps(reference, sort_keys=True, separators=(",", ":"))


def parse_reference(text: str | None) -> Json:
    """A stored reference back as a dict (an unreadable one as empty)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def sender(activity: Mapping[str, Any]) -> Sender | None:
    """Who sent a message, with the time zone and locale Teams' client reported."""
    account = _dict(activity.get("from"))
    person = _str(account.get("id"))
    if person is None:
        return None
    tz = None
    locale = _str(activity.get("locale"))
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        if entity.get("type") == "clientInfo":
            tz = _str(entity.get("timezone")) or tz
            locale = locale or _str(entity.get("locale"))
    return Sender(
        id=person,
        name=_str(account.get("name")),
        aad_object_id=_str(account.get("aadObjectId")),
        tz=tz,
        locale=locale,
    )


def _bot_id(activity: Mapping[str, Any]) -> str | None:
    return _str(_dict(activity.get("recipient")).get("id"))


def _members_include_bot(activity: Mapping[str, Any], key: str) -> bool:
    bot = _bot_id(activity)
    members = activity.get(key) or []
    return bot is not None and any(_dict(member).get("id") == bot for member in members)


def bot_added(activity: Mapping[str, Any]) -> bool:
    if activity.get("type") == "installationUpdate":
        return str(activity.get("action", "")).startswith("add")
    return activity.get("type") == "conversationUpdate" and _members_include_bot(
        activity, "membersAdded"
    )


def bot_removed(activity: Mapping[str, Any]) -> bool:
    """The app was uninstalled from this chat/team, or the bot was removed from it."""
    if activity.get("type") == "installationUpdate":
        return str(activity.get("action", "")).startswith("remove")
    return activity.get("type") == "conversationUpdate" and _members_include_bot(
        activity, "membersRemoved"
    )


def deleted_channel(activity: Mapping[str, Any]) -> str | None:
    """The id of a channel a ``channelDeleted`` update reports, if this is one."""
    if activity.get("type") != "conversationUpdate":
        return None
    channel_data = _dict(activity.get("channelData"))
    if channel_data.get("eventType") != "channelDeleted":
        return None
    return _str(_dict(channel_data.get("channel")).get("id"))


def bot_mentioned(activity: Mapping[str, Any]) -> bool:
    bot = _bot_id(activity)
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        if entity.get("type") == "mention" and _dict(entity.get("mentioned")).get("id") == bot:
            return True
    return False


def delivery_tag(activity: Mapping[str, Any]) -> str | None:
    """The held message id we tagged a posted activity with (``channelData.quietHours``)."""
    tag = _dict(_dict(activity.get("channelData")).get(TAG_KEY)).get("delivery")
    return _str(tag)


def _envelope(reference: Mapping[str, Any], tag: str | None) -> Json:
    activity: Json = {
        "type": "message",
        "channelId": reference.get("channelId") or "msteams",
        "conversation": {"id": _dict(reference.get("conversation")).get("id")},
    }
    bot = reference.get("bot")
    if bot:
        activity["from"] = dict(bot)
    if tag is not None:
        activity["channelData"] = {TAG_KEY: {"delivery": tag}}
    return activity


def text_activity(
    reference: Mapping[str, Any],
    text: str,
    *,
    tag: str | None = None,
    importance: str | None = None,
) -> Json:
    """A plain message from the bot into the referenced conversation."""
    activity = _envelope(reference, tag)
    activity["text"] = text
    if importance is not None:
        activity["importance"] = importance
    return activity


def _byline_container(byline: str) -> Json:
    """``byline`` (the name in it from the roster) in bold, in a shaded container of its own:
    nothing a person types can be either. Its shared instant (when it was written) is a
    ``TextRun`` of its own whose ``{{DATE()}} {{TIME()}}`` each reader's client shows in their
    own zone; the rest is plain, unparsed text."""
    style = {"size": "Small", "weight": "Bolder"}
    inlines: list[Json] = [
        {"type": "TextRun", "text": plain(piece), **style}
        if isinstance(piece, str)
        else {"type": "TextRun", "text": _card_time(*piece), **style}
        for piece in split_instants(byline)
    ]
    block = {"type": "RichTextBlock", "inlines": inlines}
    return {"type": "Container", "style": "emphasis", "bleed": True, "items": [block]}


def shared_text_activity(reference: Mapping[str, Any], text: str) -> Json:
    """A note of ours that several people read (a thread's "no reply expected" label): plain
    text, unless it names an instant (:func:`bot.i18n.shared_instant`); then an Adaptive Card
    whose ``{{DATE()}} {{TIME()}}`` each reader's client shows in their own zone, ``summary``
    (notifications) the plain text in the writer's zone."""
    plain_text = render_instants(text)
    if plain_text == text:
        return text_activity(reference, text)
    shown = render_instants(text, _card_time)
    card: Json = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "fallbackText": plain_text,
        "body": [{"type": "TextBlock", "text": shown, "wrap": True}],
    }
    activity = _envelope(reference, None)
    activity["summary"] = shorten(plain_text, SUMMARY_LIMIT)
    activity["attachments"] = [{"contentType": ADAPTIVE_CARD, "content": card}]
    return activity


def _card_time(instant: datetime, fallback: str) -> str:
    """Adaptive Cards' text functions (RFC 3339, UTC): the reader's client picks the zone."""
    stamp = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def held_message_activity(
    reference: Mapping[str, Any],
    body: str,
    *,
    byline: str,
    tag: str | None,
    urgent: bool = False,
    urgent_label: str | None = None,
) -> Json:
    """A held message the bot posts on its author's behalf: an Adaptive Card naming them.

    The byline ("From Kari · written Sun 21:14", the name from the roster; the instant in
    each reader's own zone, :func:`bot.i18n.shared_instant`) comes first, in
    bold in a shaded ``emphasis`` container of its own; the author's text after
    it as written (:func:`adapters.teams.markup.user_text_block`), on the card's plain
    background. ``summary`` is what Teams shows in notifications and chat lists, the author
    first there too.
    """
    # The byline is an element of its own, first, on a shaded background; the author's words
    # are plain text after it (never markdown, links or mentions) and can never be in such a
    # container, so a first line typed as "From Lea · written Fri 09:00" stays visibly text.
    items: list[Json] = [_byline_container(byline)]
    if tag is not None:  # what Graph shows of our tag (``adapters.teams.tagged``)
        items[0]["id"] = TAG_PREFIX + tag
    if urgent and urgent_label:
        items.append(
            {"type": "TextBlock", "text": urgent_label, "color": "Attention", "weight": "Bolder"}
        )
    items.append(user_text_block(body))
    card: Json = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": items,
    }
    activity = _envelope(reference, tag)
    card["fallbackText"] = f"{render_instants(byline)}: {plain(body)}"
    activity["summary"] = shorten(f"{render_instants(byline)}: {plain(body)}", SUMMARY_LIMIT)
    activity["attachments"] = [{"contentType": ADAPTIVE_CARD, "content": card}]
    if urgent:
        activity["importance"] = "high"
    return activity
