"""May this author hold a message for that person? A guest may only reach their channels' people.

Slack's guests — multi-channel guests (``is_restricted``) and single-channel guests
(``is_ultra_restricted``) — "see and direct message or group message" only the members of the
channels they are in (Slack Help Center, "Understand guest roles in Slack": *Guest
permissions*). A message held for a person is a direct message from the bot on the author's
behalf, so a guest may hold one only for someone who shares one of the guest's channels: for a
single-channel guest, someone in that one channel. Anyone else would learn through the bot what
Slack hides from the guest (that the person exists, and a way to reach them).

The guest's channels are asked of Slack (``users.conversations`` with the guest's id, public and
private channels the app can see; Tier 3) and each channel's members through the cached
:class:`bot.services.access.Membership`, the conversation the guest is writing in first. A
platform that cannot say whether the author is a guest (an outage) is taken to say "not a guest",
as :mod:`bot.services.recipients` takes a person it cannot ask about as real; but a guest whose
channels cannot be listed reaches nobody (fail closed). Members, full and admins, are not
limited: every check here is for guests only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from bot.ports import UserProfile
from bot.services.access import Membership

__all__ = ["GuestReach", "NotReachableError", "PersonChannels"]

log = logging.getLogger(__name__)

#: How long a person's guest status and channel list are trusted, in seconds.
CACHE_TTL = 60.0
#: Channels of a guest looked through at most (a guest in more reaches people of these only).
MAX_CHANNELS = 200


class NotReachableError(Exception):
    """The author (a guest) shares no channel with ``recipient``: nothing was held."""

    def __init__(self, recipient: str) -> None:
        super().__init__(recipient)
        self.recipient = recipient


@runtime_checkable
class PersonChannels(Protocol):
    """A platform that tells a person's profile and channels (``SlackPlatform``)."""

    async def user_profile(self, workspace: str, person: str) -> UserProfile: ...

    async def person_channels(self, workspace: str, person: str, *, limit: int) -> list[str]:
        """The channels ``person`` is in that the app can see, at most ``limit``."""
        ...


class GuestReach:
    """Answers "may ``author`` hold a message for ``recipient``?" on each platform that has
    guests (a source implementing :class:`PersonChannels`); elsewhere always yes."""

    def __init__(
        self,
        sources: Mapping[str, object],
        membership: Callable[[str], Membership],
        *,
        ttl: float = CACHE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sources = {
            name: source for name, source in sources.items() if isinstance(source, PersonChannels)
        }
        self._membership = membership
        self._ttl = ttl
        self._monotonic = monotonic
        self._guests: dict[tuple[str, str, str], tuple[float, bool]] = {}

    async def may_reach(
        self,
        platform: str,
        workspace: str,
        author: str,
        recipient: str,
        *,
        acting_in: str | None = None,
    ) -> bool:
        """True unless ``author`` is a guest who shares no channel with ``recipient``.
        ``acting_in`` (where the author is writing) is looked at first. Never raises."""
        source = self._sources.get(platform)
        if source is None or author == recipient:
            return True
        if not await self._is_guest(source, platform, workspace, author):
            return True
        members = self._membership(platform)
        try:
            listed = await source.person_channels(workspace, author, limit=MAX_CHANNELS)
        except Exception as error:  # a guest whose channels are unknown reaches nobody
            log.info("could not list a guest's channels (%s)", type(error).__name__)
            listed = []
        channels = [c for c in dict.fromkeys([acting_in, *listed]) if c]
        for channel in channels:
            if await members.is_member(workspace, channel, recipient) and await members.is_member(
                workspace, channel, author
            ):
                return True
        return False

    async def _is_guest(
        self, source: PersonChannels, platform: str, workspace: str, person: str
    ) -> bool:
        key = (platform, workspace, person)
        now = self._monotonic()
        found = self._guests.get(key)
        if found is not None and found[0] > now:
            return found[1]
        try:
            guest = (await source.user_profile(workspace, person)).is_guest
        except Exception as error:  # as recipients.py: the platform's hiccup blocks nobody
            log.info("could not tell whether a person is a guest (%s)", type(error).__name__)
            return False
        if len(self._guests) > 5_000:
            self._guests.clear()
        self._guests[key] = (now + self._ttl, guest)
        return guest
