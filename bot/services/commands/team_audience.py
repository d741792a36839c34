"""The `team audience` verb: whose hours decide for a team's channels (issue #9 part 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.policy import AudienceKind, TeamPolicy
from bot.i18n import translate
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.replies import Invocation, Reply

__all__ = ["AUDIENCE_WORDS", "TeamAudienceVerbs", "audience_line"]

#: What a leader may type, in English and bokmål.
AUDIENCE_WORDS: dict[str, AudienceKind] = {
    "team": AudienceKind.TEAM,
    "teamet": AudienceKind.TEAM,
    "members": AudienceKind.MEMBERS,
    "medlemmer": AudienceKind.MEMBERS,
    "medlemmene": AudienceKind.MEMBERS,
}


def audience_line(policy: TeamPolicy, locale: str) -> str:
    """The summary line naming whose hours decide ("Whose hours: …")."""
    return translate(
        "cmd.team.audience",
        locale,
        audience=translate(f"cmd.audience.{policy.audience.value}", locale),
    )


class TeamAudienceVerbs(CommandBase):
    if TYPE_CHECKING:
        # provided by TeamVerbs, which writes the row (declared for the type checker only)
        async def _update_team(self, caller: Caller, **fields: object) -> TeamPolicy: ...

    async def _team_audience(self, call: Invocation, caller: Caller, args: str) -> Reply:
        """``team audience team|members`` (leaders; checked by the caller), or without a word
        the current setting."""
        locale = caller.locale
        assert caller.policy is not None
        word = args.strip().lower()
        if not word:
            return Reply.of(audience_line(caller.policy, locale), locale=locale)
        kind = AUDIENCE_WORDS.get(word)
        if kind is None:
            return Reply.of(translate("cmd.team.audience_usage", locale), error=True, locale=locale)
        policy = await self._update_team(caller, audience=kind.value)
        return Reply.of(
            translate("cmd.team.saved", locale), audience_line(policy, locale), locale=locale
        )
