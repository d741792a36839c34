"""The Monday digest as an Adaptive Card, each thread with a deep link into Teams (pure).

Teams gives bots no permalink API; a channel thread's link is built from what the conversation
reference keeps (``adapters.teams.activities.conversation_info``): the channel id, the team's
Microsoft 365 group id (``channelData.team.aadGroupId``) and the tenant. The format is the one
Microsoft documents under "Deep links to navigate to channel conversation".

Size, by construction: Teams refuses a bot message over about 100 KB, counted in UTF-16, with
``413 MessageSizeTooBig``, and Microsoft recommends staying within 80 KB ("Format your bot
messages", learn.microsoft.com). :func:`fitted_digest_activity` lists at most
:data:`MAX_THREADS` threads and fewer while the activity would be over :data:`MESSAGE_BUDGET`;
the threads left out are counted ("… and 12 more"), and the text fallback is bounded too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from adapters.teams import texts
from adapters.teams.activities import ADAPTIVE_CARD, text_activity
from adapters.teams.guard_card import reader_time
from adapters.teams.markup import user_text_block
from bot.domain.digest import DigestThread, DigestView
from bot.domain.text_split import shorten
from bot.i18n import render_instants

__all__ = [
    "MAX_THREADS",
    "MESSAGE_BUDGET",
    "activity_size",
    "digest_activity",
    "digest_card",
    "fitted_digest_activity",
    "place_name",
    "thread_link",
]

TEAMS_WEB = "https://teams.microsoft.com"
#: Threads a digest card lists at most (more would not be read); fewer if the size needs it.
MAX_THREADS = 25
#: Bytes (UTF-16) a bot message should stay within: Microsoft's recommended 80 KB.
MESSAGE_BUDGET = 80 * 1024
#: Characters of the text fallback (``fallbackText``) and of the notification ``summary``.
FALLBACK_LIMIT = 2000
SUMMARY_LIMIT = 200
FIRST_LINE_LIMIT = 200
PLACE_LIMIT = 120

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
    if not shown:
        return texts.text("teams.digest.channel", locale)
    return shorten(" › ".join(shown), PLACE_LIMIT)


def _thread_items(view: DigestView, thread: DigestThread, place: str, link: str | None) -> Json:
    items: list[Json] = [
        {"type": "TextBlock", "text": place, "isSubtle": True, "size": "Small", "wrap": True},
        {
            "type": "TextBlock",
            "text": render_instants(view.summary(thread).removeprefix("• "), reader_time),
            "wrap": True,
        },
    ]
    first = view.first_line(thread)
    if first:
        quoted = shorten(first, FIRST_LINE_LIMIT)
        items.append(user_text_block(f"“{quoted}”", isSubtle=True))  # their words, unparsed
    container: Json = {"type": "Container", "separator": True, "spacing": "Medium", "items": items}
    if link is not None:  # one button; the link is long, so it is not repeated as selectAction
        title = texts.text("teams.digest.open", view.locale)
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
    *,
    limit: int = MAX_THREADS,
) -> Json:
    """Header, one block per thread (where, counts, decided, first line, link), footer.

    ``links`` maps (conversation, thread) to a deep link; ``places`` a conversation to its name.
    At most ``limit`` threads are listed; the rest are counted in one line.
    """
    body: list[Json] = [
        {
            "type": "TextBlock",
            "text": render_instants(view.header(), reader_time),  # each reader's own zone
            "weight": "Bolder",
            "wrap": True,
        },
    ]
    shown = view.threads[: max(0, min(limit, MAX_THREADS))]
    for thread in shown:
        place = places.get(thread.conversation) or texts.text("teams.digest.channel", view.locale)
        link = links.get((thread.conversation, thread.thread))
        body.append(_thread_items(view, thread, place, link))
    hidden = len(view.threads) - len(shown)
    if hidden > 0:
        more = texts.text_plural("digest.more", hidden, view.locale)
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
        "fallbackText": view.text(limit=FALLBACK_LIMIT),
        "body": body,
    }


def digest_activity(
    reference: Mapping[str, Any],
    view: DigestView,
    links: Mapping[tuple[str, str], str],
    places: Mapping[str, str],
    *,
    limit: int = MAX_THREADS,
) -> Json:
    """The digest card as a message from the bot into the referenced conversation."""
    activity = text_activity(reference, "")
    del activity["text"]  # the card is the message; its fallbackText is the plain form
    activity["summary"] = shorten(render_instants(view.header()), SUMMARY_LIMIT)
    activity["attachments"] = [
        {"contentType": ADAPTIVE_CARD, "content": digest_card(view, links, places, limit=limit)}
    ]
    return activity


def activity_size(activity: Mapping[str, Any]) -> int:
    """The activity's size as Teams counts it: its JSON in UTF-16, in bytes."""
    return len(json.dumps(activity, ensure_ascii=False).encode("utf-16-le"))


def fitted_digest_activity(
    reference: Mapping[str, Any],
    view: DigestView,
    links: Mapping[tuple[str, str], str],
    places: Mapping[str, str],
    *,
    limit: int = MAX_THREADS,
    budget: int = MESSAGE_BUDGET,
) -> tuple[Json, int]:
    """The digest activity listing as many threads (up to ``limit``) as fit in ``budget`` bytes,
    and how many it lists. Listing none (header, count, footer) always fits."""
    shown = max(0, min(limit, MAX_THREADS, len(view.threads)))
    while True:
        activity = digest_activity(reference, view, links, places, limit=shown)
        if shown == 0 or activity_size(activity) <= budget:
            return activity, shown
        shown = shown * 3 // 4 if shown > 4 else shown - 1
