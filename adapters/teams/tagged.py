"""Was a held message already posted in a Teams channel? Asked of Microsoft Graph.

Teams gives bots no history through the Bot Connector, so a post whose answer was lost (a
timeout or a dropped connection after Teams accepted it) would otherwise be posted again. Every
held message the bot posts carries its tag twice: in ``channelData`` (which Graph does not show)
and as the ``id`` of the card's first element, ``qh-<held id>`` (which Graph does: a card comes
back in ``attachments[].content`` as its JSON text). With the resource-specific permission
``ChannelMessage.Read.Group`` (the app package asks for it; a team owner grants it by adding the
app) the bot reads, with its own app-only token:

- ``GET /teams/{aadGroupId}/channels/{channel}/messages`` for a new post, and
- ``GET /teams/{aadGroupId}/channels/{channel}/messages/{root}/replies`` for a thread reply,

50 at a time (``$top``; Graph orders them by last change, newest first, and supports no filter
or other order), following ``@odata.nextLink`` for at most :data:`MAX_PAGES` pages and stopping
at the first message last changed before the held message was written: nothing older can be it.

Not covered — the README says so: chats and 1:1 chats (reading them needs
``ChatMessage.Read.Chat``, which the package does not ask for), a team whose owner removed the
permission (Graph answers 403), and Graph being unreachable. Then the answer is "not found" and
the message is posted again: at most one repeat, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from adapters.teams.activities import TAG_PREFIX
from adapters.teams.graph import GraphClient

__all__ = ["MAX_PAGES", "PAGE_SIZE", "find_channel_post", "tag_id"]

log = logging.getLogger(__name__)

PAGE_SIZE = 50  # Graph's largest $top for channel messages
MAX_PAGES = 4  # 200 messages changed since the held message was written


def tag_id(tag: str) -> str:
    """The ``id`` of a held message card's first element: how Graph shows us our tag."""
    return TAG_PREFIX + tag


def _changed(message: Mapping[str, Any]) -> datetime | None:
    value = message.get("lastModifiedDateTime") or message.get("createdDateTime")
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _carries(message: Mapping[str, Any], marker: str) -> bool:
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, Mapping) and marker in str(attachment.get("content") or ""):
            return True
    return False


async def find_channel_post(
    graph: GraphClient,
    *,
    group: str,
    channel: str,
    root: str | None,
    tag: str,
    written_at: datetime,
) -> str | None:
    """The id of the channel message (or thread reply under ``root``) that carries ``tag``.

    ``group`` is the team's Microsoft 365 group id (``aadGroupId``), ``channel`` the channel's
    Bot Framework id (``19:…@thread.tacv2``), ``written_at`` (UTC) when the held message was
    written. None when it is not there, or when Graph could not be asked (logged).
    """
    path = f"teams/{quote(group, safe='')}/channels/{quote(channel, safe='')}/messages"
    if root is not None:
        path += f"/{quote(root, safe='')}/replies"
    url: str | None = f"{graph.base_url}{path}?$top={PAGE_SIZE}"
    marker = tag_id(tag)
    for _ in range(MAX_PAGES):
        assert url is not None
        status, page = await graph.get_json(url)
        if status != 200 or not isinstance(page, Mapping):
            log.info("Graph answered %d for channel messages: %s not checked", status, tag)
            return None
        messages = [m for m in page.get("value") or [] if isinstance(m, Mapping)]
        for message in messages:
            if _carries(message, marker) and isinstance(message.get("id"), str):
                return str(message["id"])
        changed = [when for when in map(_changed, messages) if when is not None]
        next_link = page.get("@odata.nextLink")
        if (changed and min(changed) < written_at) or not isinstance(next_link, str):
            return None
        url = next_link
    return None
