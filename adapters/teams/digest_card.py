"""The Monday digest as an Adaptive Card, each thread with a deep link into Teams (pure).

Teams gives bots no permalink API; a channel thread's link is built from what the conversation
reference keeps (``adapters.teams.activities.conversation_info``): the channel id, the team's
Microsoft 365 group id (``channelData.team.aadGroupId``) and the tenant. The format is the one
Microsoft documents under "Deep links to navigate to channel conversation".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from adapters.teams import texts
from adapters.teams.activities import ADAPTIVE_CARD, text_activity
from adapters.teams.markup import user_text_block
from bot.domain.digest import DigestThread, DigestView

__all__ = ["MAX_THREADS", "digest_activity", "digest_card", "place_name", "thread_link"]

TEAMS_WEB = "https://teams.microsoft.com"
#: A card has to stay well under Teams' ~28 KB message limit.
MAX_THREADS = 25
FIRST_LINE_LIMIT = 200

Json = dict[str, Any]


def thread_link(reference: Mapping[str, Any], tenant: str, thread: str) -> str | None:
    """``https://teams.microsoft.com/l/message/{channel}/{root}?tenantId=…&groupId=…&…``.

    ``None`` when the reference lacks the team's group id (stored before it was kept, or not a
    team channel): Teams cannot open a channel message without it.
    """
    conversation = reference.get("conversation")
    channel = conversation.get("id") if isinstance(conversation, Mapping) else None
    group = reference.get("aadGroupId")
    if not isinstance(channel, str) or not isinstance(group, str) or not group or not thread:
        return None
    query = {"tenantId": tenant, "groupId": group, "parentMessageId": thread}
    for key in ("teamName", "channelName"):
        if isinstance(reference.get(key), str):
            query[key] = reference[key]
    path = f"/l/message/{quote(channel, safe=':@')}/{quote(thread, safe='')}"
    return f"{TEAMS_WEB}{path}?{urlencode(query, quote_via=quote)}"


def place_name(reference: Mapping[str, Any], locale: str | None) -> str:
    """Where a thread is, as people know it: "Plattform › Drift", or the team's name alone."""
    names = [reference.get("teamName"), reference.get("channelName")]
    shown = [name for name in names if isinstance(name, str) and name]
    return " › ".join(shown) if shown else texts.text("teams.digest.channel", locale)


def _thread_items(view: DigestView, thread: DigestThread, place: str, link: str | None) -> Json:
    items: list[Json] = [
        {"type": "TextBlock", "text": place, "isSubtle": True, "size": "Small", "wrap": True},
        {"type": "TextBlock", "text": view.summary(thread).removeprefix("• "), "wrap": True},
    ]
    first = view.first_line(thread)
    if first:
        quoted = first if len(first) <= FIRST_LINE_LIMIT else first[: FIRST_LINE_LIMIT - 1] + "…"
        items.append(user_text_block(f"“{quoted}”", isSubtle=True))  # their words, unparsed
    container: Json = {"type": "Container", "separator": True, "spacing": "Medium", "items": items}
    if link is not None:
        title = texts.text("teams.digest.open", view.locale)
        container["selectAction"] = {"type": "Action.OpenUrl", "url": link, "title": title}
        items.append(
            {
                "type": "ActionSet",
                "actions": [{"type": "Action.OpenUrl", "title": title, "url": link}],
            }
        )
    return container


def digest_card(
    view: DigestView,
    links: Mapping[tuple[str, str], str],
    places: Mapping[str, str],
) -> Json:
    """Header, one block per thread (where, counts, decided, first line, link), footer.

    ``links`` maps (conversation, thread) to a deep link; ``places`` a conversation to its name.
    """
    body: list[Json] = [
        {"type": "TextBlock", "text": view.header(), "weight": "Bolder", "wrap": True},
    ]
    shown = view.threads[:MAX_THREADS]
    for thread in shown:
        place = places.get(thread.conversation) or texts.text("teams.digest.channel", view.locale)
        link = links.get((thread.conversation, thread.thread))
        body.append(_thread_items(view, thread, place, link))
    hidden = len(view.threads) - len(shown)
    if hidden > 0:
        more = texts.text("teams.digest.more", view.locale, count=hidden)
        body.append({"type": "TextBlock", "text": more, "isSubtle": True, "wrap": True})
    body.append(
        {
            "type": "TextBlock",
            "text": view.footer(),
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
            "separator": True,
        }
    )
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "fallbackText": view.text(),
        "body": body,
    }


def digest_activity(
    reference: Mapping[str, Any],
    view: DigestView,
    links: Mapping[tuple[str, str], str],
    places: Mapping[str, str],
) -> Json:
    """The digest card as a message from the bot into the referenced conversation."""
    activity = text_activity(reference, "")
    del activity["text"]  # the card is the message; its fallbackText is the plain form
    activity["summary"] = view.header()[:200]
    activity["attachments"] = [
        {"contentType": ADAPTIVE_CARD, "content": digest_card(view, links, places)}
    ]
    return activity
