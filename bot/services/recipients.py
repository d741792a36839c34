"""Is a person someone a message can be held for, or who can lead a team?

A held message for a user id that does not exist (a typo, another workspace's id, a forged
form), for a bot, or for a deactivated account would wait forever for nobody; a leader who is
none of those could never act. The platform is asked (Slack ``users.info`` through the port;
Teams: a 28: id is a bot). When it cannot be asked (an outage, a platform with no lookup) the
person is taken as real: a refusal then would block everyone for a platform's hiccup, and the
recipient's platform rejects a bad id at delivery anyway.

:class:`RecipientCheck` is the one place every path that holds a message for a person goes
through (``ComposeService.compose``): `/quiet later|urgent @person`, the Slack compose modal's
person picker, and Teams' ``later @person``. Answers are kept :data:`CHECK_TTL` seconds, so a
command that checks early (to refuse before anything else) and the compose that checks again
cost one platform call.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.ports import DeliveryError, DeliveryErrorKind, UserProfile

__all__ = ["CHECK_TTL", "PersonCheck", "ProfileSource", "RecipientCheck", "check_person"]

log = logging.getLogger(__name__)

#: Slack's answers for an id it does not know in this workspace.
_UNKNOWN_CODES = frozenset({"user_not_found", "users_not_found"})
#: How long one answer about a person is trusted, in seconds.
CHECK_TTL = 60.0
#: Answers kept at most (least recently used go first): memory stays flat.
MAX_CACHED = 5_000


class PersonCheck(StrEnum):
    """What the platform says of one user id."""

    PERSON = "person"  # a real, active person of this workspace (or the platform cannot say)
    UNKNOWN = "unknown"
    BOT = "bot"
    DELETED = "deleted"


@runtime_checkable
class ProfileSource(Protocol):
    """The platform's profile of a person (``SlackPlatform``: ``users.info``)."""

    async def user_profile(self, workspace: str, person: str) -> UserProfile: ...


async def _ask(people: ProfileSource, workspace: str, person: str) -> PersonCheck | None:
    """What the platform says, or None when it could not be asked."""
    try:
        profile = await people.user_profile(workspace, person)
    except DeliveryError as error:
        if error.kind is DeliveryErrorKind.PERMANENT and error.code in _UNKNOWN_CODES:
            return PersonCheck.UNKNOWN
        log.info("could not look a person up (%s); taking them as real", error.code)
        return None
    except Exception:  # the platform could not be asked: do not block on it
        log.warning("could not look a person up; taking them as real", exc_info=True)
        return None
    if profile.deleted:
        return PersonCheck.DELETED
    if profile.is_bot:
        return PersonCheck.BOT
    return PersonCheck.PERSON


async def check_person(people: ProfileSource | None, workspace: str, person: str) -> PersonCheck:
    """Ask the platform about ``person`` in ``workspace`` (one ``users.info`` call on Slack)."""
    if people is None:
        return PersonCheck.PERSON
    return await _ask(people, workspace, person) or PersonCheck.PERSON


class RecipientCheck:
    """:func:`check_person` for each platform, its answers cached briefly (not a failure to
    ask: that is asked again next time)."""

    def __init__(
        self,
        sources: Mapping[str, ProfileSource],
        *,
        ttl: float = CHECK_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sources = dict(sources)
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: OrderedDict[tuple[str, str, str], tuple[float, PersonCheck]] = OrderedDict()

    async def check(self, platform: str, workspace: str, person: str) -> PersonCheck:
        """What ``person`` is on ``platform``; :attr:`PersonCheck.PERSON` when it cannot say."""
        source = self._sources.get(platform)
        if source is None:
            return PersonCheck.PERSON
        key = (platform, workspace, person)
        now = self._monotonic()
        found = self._cached.get(key)
        if found is not None and found[0] > now:
            self._cached.move_to_end(key)
            return found[1]
        answer = await _ask(source, workspace, person)
        if answer is None:
            return PersonCheck.PERSON
        self._cached[key] = (now + self._ttl, answer)
        self._cached.move_to_end(key)
        while len(self._cached) > MAX_CACHED:
            self._cached.popitem(last=False)
        return answer
