"""`/quiet team insight [NAME]`: a team's aggregated insight, for its leaders only."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.policy import TeamPolicy
from bot.i18n import translate
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.insight_text import team_reply
from bot.services.commands.replies import Invocation, Reply
from bot.services.directory import policy_from_row
from bot.storage.models import PersonRow, TeamLeaderRow, TeamRow
from bot.storage.repositories import TeamRepository

__all__ = ["TeamInsightVerbs", "teams_led"]


async def teams_led(
    commands: CommandBase, workspace_id: int, person: str
) -> list[tuple[TeamRow, TeamPolicy]]:
    """The teams ``person`` is a named leader of, by name, with their policies."""
    async with commands._sessions() as session:
        rows = list(
            (
                await session.scalars(
                    select(TeamRow)
                    .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
                    .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
                    .where(PersonRow.workspace_id == workspace_id, PersonRow.external_id == person)
                    .order_by(TeamRow.name)
                )
            ).all()
        )
        teams = TeamRepository(session)
        return [
            (
                row,
                policy_from_row(
                    row, leaders=await teams.leaders(row.id), channels=await teams.channels(row.id)
                ),
            )
            for row in rows
        ]


class TeamInsightVerbs(CommandBase):
    async def _team_insight(self, call: Invocation, caller: Caller, name: str) -> Reply:
        """The insight of the team of this channel (its leaders, or an admin), or of the one
        team the caller leads, or of the one they name. Never a person's figure or name."""
        locale = caller.locale
        chosen: tuple[TeamRow, TeamPolicy] | None = None
        if not name and caller.team is not None and caller.policy is not None:
            if not (caller.policy.is_leader(call.person) or await self._is_admin(call, caller)):
                return Reply.of(
                    translate("insight.team.leaders_only", locale), error=True, locale=locale
                )
            chosen = (caller.team, caller.policy)
        else:
            led = await teams_led(self, caller.workspace_id, call.person)
            if name:
                named = [item for item in led if item[0].name.casefold() == name.casefold()]
                if not named:
                    return Reply.of(
                        translate("insight.team.unknown", locale, name=name[:80]),
                        error=True,
                        locale=locale,
                    )
                chosen = named[0]
            elif len(led) == 1:
                chosen = led[0]
            elif not led:
                return Reply.of(
                    translate("insight.team.none_led", locale), error=True, locale=locale
                )
            else:
                names = ", ".join(row.name for row, _ in led)
                return Reply.of(
                    translate("insight.team.which", locale, teams=names), error=True, locale=locale
                )
        team, policy = chosen
        return await self.team_insight_reply(call.platform, call.workspace, team, policy, locale)

    async def team_members(self, platform: str, workspace: str, policy: TeamPolicy) -> int | None:
        """How many people are in the team's watched channels (the platform says, cached;
        bots left out); None when it cannot say."""
        membership = self._compose.membership(platform)
        people: set[str] = set()
        for channel in sorted(policy.watched_channels):
            people |= await membership.members(workspace, channel)
        people -= await self._compose.audiences.bots(platform, workspace)
        return len(people) or None

    async def team_insight_reply(
        self,
        platform: str,
        workspace: str,
        team: TeamRow,
        policy: TeamPolicy,
        locale: str,
    ) -> Reply:
        """The team's figures as a reply with its heatmap (for a leader's eyes only)."""
        insight = await self.insights.team(
            team.workspace_id,
            team.id,
            policy,
            members=await self.team_members(platform, workspace, policy),
        )
        return await team_reply(insight, locale)
