"""How the command layer refuses a person no message can be held for, nor who can lead a team.

The check itself is the core's (``bot.services.recipients``: the platform is asked); this is the
friendly line a person reads when it says no.
"""

from __future__ import annotations

from bot.i18n import translate
from bot.services.recipients import PersonCheck, check_person

__all__ = ["PersonCheck", "check_person", "refusal"]


def refusal(check: PersonCheck, person: str, locale: str) -> str:
    """The friendly line for a check that is not :attr:`PersonCheck.PERSON`."""
    who = f"`{person}`" if check is PersonCheck.UNKNOWN else f"<@{person}>"
    return translate(f"cmd.person.{check.value}", locale, who=who)
