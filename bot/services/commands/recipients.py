"""Is a mentioned person someone a message can be held for, or who can lead a team?

A held message for a user id that does not exist (a typo, another workspace's id), for a bot,
or for a deactivated account would wait forever for nobody; a leader who is none of those could
never act. The platform is asked (Slack ``users.info`` through the port). When it cannot be
asked (an outage, a platform with no lookup) the person is taken as real: a refusal then would
block everyone for a platform's hiccup, and the recipient's platform rejects a bad id at
delivery anyway.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.i18n import translate
from bot.ports import DeliveryError, DeliveryErrorKind
from bot.services.commands.replies import PeopleSource

__all__ = ["PersonCheck", "check_person", "refusal"]

log = logging.getLogger(__name__)

#: Slack's answers for an id it does not know in this workspace.
_UNKNOWN_CODES = frozenset({"user_not_found", "users_not_found"})


class PersonCheck(StrEnum):
    """What the platform says of one user id."""

    PERSON = "person"  # a real, active person of this workspace (or the platform cannot say)
    UNKNOWN = "unknown"
    BOT = "bot"
    DELETED = "deleted"


async def check_person(people: PeopleSource | None, workspace: str, person: str) -> PersonCheck:
    """Ask the platform about ``person`` in ``workspace`` (one ``users.info`` call on Slack)."""
    if people is None:
        return PersonCheck.PERSON
    try:
        profile = await people.user_profile(workspace, person)
    except DeliveryError as error:
        if error.kind is DeliveryErrorKind.PERMANENT and error.code in _UNKNOWN_CODES:
            return PersonCheck.UNKNOWN
        log.info("could not look a person up (%s); taking them as real", error.code)
        return PersonCheck.PERSON
    except Exception:  # the platform could not be asked: do not block on it
        log.warning("could not look a person up; taking them as real", exc_info=True)
        return PersonCheck.PERSON
    if profile.deleted:
        return PersonCheck.DELETED
    if profile.is_bot:
        return PersonCheck.BOT
    return PersonCheck.PERSON


def refusal(check: PersonCheck, person: str, locale: str) -> str:
    """The friendly line for a check that is not :attr:`PersonCheck.PERSON`."""
    who = f"`{person}`" if check is PersonCheck.UNKNOWN else f"<@{person}>"
    return translate(f"cmd.person.{check.value}", locale, who=who)
