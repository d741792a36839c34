"""CommandService: one entry point that dispatches `/quiet` verbs to their handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.i18n import translate
from bot.services.commands.core import Caller
from bot.services.commands.personal import PersonalVerbs
from bot.services.commands.replies import (
    Invocation,
    Reply,
    split_command,
)
from bot.services.commands.team import TeamVerbs
from bot.services.compose import NotInstalledError


class CommandService(PersonalVerbs, TeamVerbs):
    """Runs the verbs; every answer is in the caller's language."""

    async def run(self, call: Invocation) -> Reply:
        verb, rest = split_command(call.text)
        try:
            caller = await self._caller(call)
        except NotInstalledError:
            return Reply.of(translate("cmd.not_installed", call.locale), error=True)
        handlers: dict[str, Callable[[Invocation, Caller, str], Awaitable[Reply]]] = {
            "help": self._help,
            "hours": self._hours,
            "status": self._status,
            "later": self._later,
            "urgent": self._urgent,
            "digest": self._digest,
            "me": self._me,
            "team": self._team,
        }
        handler = handlers.get(verb)
        if handler is None:
            return Reply.of(
                translate("cmd.unknown", caller.locale, verb=verb[:40]),
                self._help_text(caller.locale),
                error=True,
                locale=caller.locale,
            )
        return await handler(call, caller, rest)
