"""A Slack conversation's audience: who of a workspace's users are people (and in which zone),
and which conversations are group DMs.

``conversations.members`` lists a channel's bot users with its people, and says nothing of
anyone's zone. A channel's audience (issue #9 part 3) is its *human* members, each in their own
hours, so the workspace's users are read once with ``users.list`` — every page of it — for who
is a bot or deactivated (``is_bot``, ``deleted``; Slack's own ``USLACKBOT`` is a bot too) and each
person's time zone (``tz``), and kept for :data:`DIRECTORY_TTL` seconds: the list costs a few
calls (Slack's Tier 2: about 20 a minute) for a workspace of thousands. Only the ids, bot flags
and zone names are kept, in memory.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.services.audience import PlatformPeople

__all__ = ["DIRECTORY_TTL", "USERS_PAGES", "GroupDms", "PeopleDirectory", "read_people"]

#: How long a workspace's list of users is trusted, in seconds.
DIRECTORY_TTL = 3600.0
#: ``users.list`` pages read at most (1,000 users each).
USERS_PAGES = 100
#: Slackbot is a bot that Slack lists with ``is_bot: false``.
SLACKBOT = "USLACKBOT"


async def read_people(client: AsyncWebClient) -> PlatformPeople:
    """Every bot and deactivated user of the client's workspace (and the app's own bot user,
    from ``auth.test``), and each other user's zone. Raises what slack-sdk raises."""
    bots = {SLACKBOT}
    zones: dict[str, str] = {}
    me = await client.auth_test()
    if me.get("user_id"):
        bots.add(str(me["user_id"]))
    cursor: str | None = None
    for _ in range(USERS_PAGES):
        kwargs: dict[str, Any] = {"limit": 1000}
        if cursor:
            kwargs["cursor"] = cursor
        response = await client.users_list(**kwargs)
        for user in response.get("members") or []:
            user_id = str(user.get("id"))
            if user.get("is_bot") or user.get("deleted") or user.get("is_app_user"):
                bots.add(user_id)
            elif user.get("tz"):
                zones[user_id] = str(user["tz"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return PlatformPeople(bots=frozenset(bots), zones=zones)


class PeopleDirectory:
    """:func:`read_people` per workspace, cached for :data:`DIRECTORY_TTL` seconds."""

    def __init__(
        self,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        *,
        ttl: float = DIRECTORY_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: dict[str, tuple[float, PlatformPeople]] = {}

    async def people(self, workspace: str) -> PlatformPeople:
        found = self._cached.get(workspace)
        if found is not None and found[0] > self._monotonic():
            return found[1]
        people = await read_people(await self._client_for(workspace))
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[workspace] = (self._monotonic() + self._ttl, people)
        return people


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
