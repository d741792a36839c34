"""Who may see a conversation's content, or have the bot post there for them: its members.

The platform is the authority (Slack ``conversations.members``, a Teams roster), asked through
the core's port and cached briefly (:data:`MEMBERS_TTL` seconds) so a digest preview or a burst
of ``later`` commands costs one platform call per conversation, and someone removed from a
channel loses sight of it within that time. Every failure to ask counts as "not a member":
content is never shown, and nothing posted, on a guess.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol

__all__ = ["MEMBERS_TTL", "MembersSource", "Membership"]

log = logging.getLogger(__name__)

#: How long a conversation's member list is trusted, in seconds.
MEMBERS_TTL = 60.0
#: Member lists kept at most (least recently used go first): memory stays flat.
MAX_CACHED = 2_000


class MembersSource(Protocol):
    """The port's member list (see :meth:`bot.ports.ChatPlatform.channel_members`)."""

    async def channel_members(self, workspace: str, conversation: str) -> list[str]: ...


class Membership:
    """Answers "is this person in that conversation?" for one platform, cached briefly."""

    def __init__(
        self,
        source: MembersSource | None,
        *,
        ttl: float = MEMBERS_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: OrderedDict[tuple[str, str], tuple[float, frozenset[str]]] = OrderedDict()

    async def members(self, workspace: str, conversation: str) -> frozenset[str]:
        """The conversation's members; empty when the platform cannot say (fail closed)."""
        key = (workspace, conversation)
        found = self._cached.get(key)
        now = self._monotonic()
        if found is not None and found[0] > now:
            self._cached.move_to_end(key)
            return found[1]
        if self._source is None:
            return frozenset()
        try:
            members = frozenset(await self._source.channel_members(workspace, conversation))
        except Exception as error:  # not found, bot not in it, platform away: nobody
            log.info("could not list a conversation's members (%s)", type(error).__name__)
            return frozenset()
        self._cached[key] = (now + self._ttl, members)
        self._cached.move_to_end(key)
        while len(self._cached) > MAX_CACHED:
            self._cached.popitem(last=False)
        return members

    async def is_member(self, workspace: str, conversation: str, person: str) -> bool:
        """Whether ``person`` is a member of ``conversation`` now (within the cache's TTL)."""
        return person in await self.members(workspace, conversation)

    async def visible(
        self, workspace: str, person: str, conversations: Iterable[str]
    ) -> frozenset[str]:
        """The subset of ``conversations`` whose content ``person`` may see."""
        seen = [
            c for c in dict.fromkeys(conversations) if await self.is_member(workspace, c, person)
        ]
        return frozenset(seen)
