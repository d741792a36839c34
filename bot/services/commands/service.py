"""CommandService: one entry point that dispatches `/quiet` verbs to their handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.domain.markup import user_text
from bot.i18n import normalize_locale, translate
from bot.services.commands.core import Caller
from bot.services.commands.personal import PersonalVerbs
from bot.services.commands.replies import (
    MAX_TEXT,
    Invocation,
    Reply,
    split_command,
)
from bot.services.commands.team import TeamVerbs
from bot.services.commands.workspace import WorkspaceVerbs
from bot.services.compose import NotInstalledError

log = logging.getLogger(__name__)

#: The verbs (metrics label them by name; any other word counts as ``unknown``).
VERBS = frozenset(
    {"help", "hours", "off", "status", "later", "urgent", "digest", "me", "team", "workspace"}
)
#: Verbs that post into, hold for, or show something of the conversation they are typed in:
#: only its members may use them there (README "Who may see what").
HERE_VERBS = frozenset({"status", "later", "urgent", "digest", "team"})


class CommandService(PersonalVerbs, TeamVerbs, WorkspaceVerbs):
    """Runs the verbs; every answer is in the caller's language."""

    async def run(self, call: Invocation) -> Reply:
        """Answer one `/quiet …` in the caller's language; never raises. Counted in
        ``quiet_hours_commands{verb, outcome}``: ``ok``, ``refused`` (an error answer: bad
        input, not allowed) or ``failed`` (something broke; the log has it)."""
        verb = split_command(call.text)[0]
        reply, failed = await self._run(call)
        outcome = "failed" if failed else "refused" if reply.error else "ok"
        known = verb if verb in VERBS else "unknown"
        self._metrics.commands.labels(verb=known, outcome=outcome).inc()
        return reply

    async def _run(self, call: Invocation) -> tuple[Reply, bool]:
        """The reply, and whether the verb failed (rather than answered)."""
        verb, rest = split_command(call.text)
        try:
            caller = await self._caller(call)
        except NotInstalledError:
            return Reply.of(translate("cmd.not_installed", call.locale), error=True), False
        except Exception:  # the database is away: say truthfully what became of it
            log.exception("the caller of a command could not be read")
            return self._failed(verb, rest, normalize_locale(call.locale)), True
        handlers: dict[str, Callable[[Invocation, Caller, str], Awaitable[Reply]]] = {  # VERBS
            "help": self._help,
            "hours": self._hours,
            "off": self._off,
            "status": self._status,
            "later": self._later,
            "urgent": self._urgent,
            "digest": self._digest,
            "me": self._me,
            "team": self._team,
            "workspace": self._workspace,
        }
        handler = handlers.get(verb)
        if handler is not None and verb in HERE_VERBS and not await self.present(call, verb):
            refused = translate("cmd.not_member_here", caller.locale)
            return Reply.of(refused, error=True, locale=caller.locale), False
        if handler is None:
            unknown = Reply.of(
                translate("cmd.unknown", caller.locale, verb=verb[:40]),
                self._help_text(caller.locale),
                error=True,
                locale=caller.locale,
            )
            return unknown, False
        try:
            return await handler(call, caller, rest), False
        except Exception:  # never a stack trace to the person; the log has it
            log.exception("the command %s failed", verb)
            return self._failed(verb, rest, caller.locale), True

    def _failed(self, verb: str, rest: str, locale: str) -> Reply:
        """The answer when a verb failed: for ``later``/``urgent`` that the text was NOT held
        (the verb stores in one transaction, and answers "held" itself once it is), with the
        text to copy; otherwise that something went wrong, promising nothing."""
        if verb in ("later", "urgent") and rest.strip():
            text = translate("cmd.later.not_held", locale, text=user_text(rest[:MAX_TEXT]))
        else:
            text = translate("cmd.error", locale)
        return Reply.of(text, error=True, locale=locale)
