"""A Slack conversation's audience: which users are bots, and which conversations are group DMs.

Bots (and deactivated users) are not people whose hours count.

``conversations.members`` lists a channel's bot users with its people. A channel's audience
(issue #9 part 3) is its *human* members, so the workspace's bots are read once with
``users.list`` (``is_bot``, ``deleted``; Slack's own ``USLACKBOT`` is a bot too), every page of
it, and kept for :data:`BOTS_TTL` seconds: a new bot is rare, and the list costs a few calls
(Slack's Tier 2: about 20 a minute) for a workspace of thousands.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["BOTS_TTL", "USERS_PAGES", "BotDirectory", "GroupDms", "read_bots"]

#: How long a workspace's list of bots is trusted, in seconds.
BOTS_TTL = 3600.0
#: ``users.list`` pages read at most (1,000 users each).
USERS_PAGES = 100
#: Slackbot is a bot that Slack lists with ``is_bot: false``.
SLACKBOT = "USLACKBOT"


async def read_bots(client: AsyncWebClient) -> frozenset[str]:
    """The ids of every bot and deactivated user in the client's workspace, and the app's own
    bot user (``auth.test``). Raises what slack-sdk raises."""
    found = {SLACKBOT}
    me = await client.auth_test()
    if me.get("user_id"):
        found.add(str(me["user_id"]))
    cursor: str | None = None
    for _ in range(USERS_PAGES):
        kwargs: dict[str, Any] = {"limit": 1000}
        if cursor:
            kwargs["cursor"] = cursor
        response = await client.users_list(**kwargs)
        for user in response.get("members") or []:
            if user.get("is_bot") or user.get("deleted") or user.get("is_app_user"):
                found.add(str(user.get("id")))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return frozenset(found)


class BotDirectory:
    """:func:`read_bots` per workspace, cached for :data:`BOTS_TTL` seconds."""

    def __init__(
        self,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        *,
        ttl: float = BOTS_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: dict[str, tuple[float, frozenset[str]]] = {}

    async def bots(self, workspace: str) -> frozenset[str]:
        found = self._cached.get(workspace)
        if found is not None and found[0] > self._monotonic():
            return found[1]
        bots = await read_bots(await self._client_for(workspace))
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[workspace] = (self._monotonic() + self._ttl, bots)
        return bots


class GroupDms:
    """Whether a conversation is a group DM (``conversations.info``: ``is_mpim``), remembered
    (a conversation never changes kind). Channel ids (``C…``) and DMs (``D…``) are never asked."""

    def __init__(self, client_for: Callable[[str], Awaitable[AsyncWebClient]]) -> None:
        self._client_for = client_for
        self._known: dict[tuple[str, str], bool] = {}

    async def is_group_dm(self, workspace: str, conversation: str) -> bool:
        if not conversation.startswith("G"):
            return False  # public channels are C…, direct messages D…; group DMs and private
            # channels G… (newer private channels are C… too, and never group DMs)
        key = (workspace, conversation)
        known = self._known.get(key)
        if known is None:
            client = await self._client_for(workspace)
            response = await client.conversations_info(channel=conversation)
            known = bool((response.get("channel") or {}).get("is_mpim"))
            if len(self._known) > 50_000:
                self._known.clear()
            self._known[key] = known
        return known
