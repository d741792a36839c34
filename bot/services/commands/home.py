"""What a person's home page shows (Slack App Home; a Teams personal tab could use it)."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.hours_syntax import display_spec
from bot.i18n import normalize_locale, translate
from bot.services.commands.replies import (
    Button,
    Reply,
    Section,
)
from bot.services.commands.service import CommandService
from bot.services.directory import policy_from_row
from bot.services.person_hours import hours_for, team_of_person
from bot.services.workspace_default import describe_default
from bot.storage.models import (
    PersonRow,
    TeamLeaderRow,
    TeamRow,
)
from bot.storage.repositories import (
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from bot.storage.workspace_defaults import WorkspaceDefaultRepository


class HomeService:
    """Builds the home page from the command layer's pieces."""

    def __init__(self, commands: CommandService) -> None:
        self._commands = commands

    async def home(self, platform: str, workspace: str, person: str) -> Reply:
        c = self._commands
        async with c._sessions() as session:
            row = await WorkspaceRepository(session).find(platform, workspace)
            if row is None or row.uninstalled_at is not None:
                return Reply.of(translate("cmd.not_installed", None), error=True)
            me = await PersonRepository(session).find(row.id, person)
            led = list(
                (
                    await session.scalars(
                        select(TeamRow)
                        .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
                        .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
                        .where(PersonRow.workspace_id == row.id, PersonRow.external_id == person)
                        .order_by(TeamRow.name)
                    )
                ).all()
            )
            default = await WorkspaceDefaultRepository(session).find(row.id)
            teams = TeamRepository(session)
            policies = [
                (
                    team,
                    policy_from_row(
                        team,
                        leaders=await teams.leaders(team.id),
                        channels=await teams.channels(team.id),
                    ),
                )
                for team in led
            ]
        if me is None:  # never seen: read their profile once (zone, language) and remember it
            try:
                await c.person(platform, workspace, person)
                async with c._sessions() as session:
                    me = await PersonRepository(session).find(row.id, person)
            except Exception:
                me = None
        locale = normalize_locale(me.locale if me else None)
        tz = me.tz if me else None
        sections = [Section(translate("home.intro", locale))]
        hours_text = translate("home.hours.title", locale) + "\n"
        if me is not None and me.hours_spec:
            hours_text += f"`{display_spec(me.hours_spec, locale)}`"
        else:  # whose hours decide for them, and where they come from (their platform …)
            whose = None
            if me is not None:
                if c._defaults is not None:
                    await c._defaults.seen(platform, workspace, person)
                async with c._sessions() as session:
                    theirs = await team_of_person(session, row.id, person)
                    whose = await hours_for(session, row.id, person, team=theirs)
            if whose is not None:
                hours_text += c.source_line(whose, platform, locale)
            else:
                hours_text += translate("home.hours.unset", locale)
        sections.append(
            Section(
                hours_text,
                (Button("home.edit_hours", "hours", translate("button.edit_hours", locale)),),
            )
        )
        if me is not None:  # the person's own week: their home page is theirs alone
            sections += [Section(text) for text in await c.my_week(row.id, me)]
        off_text = translate("home.off.title", locale) + "\n"
        off_lines = []
        if me is not None and (me.days_off or me.outlook_away):
            off_lines = c.days_off_lines(me, locale, await c.hours_of(row.id, person))
        off_text += "\n".join(off_lines) if off_lines else translate("off.none", locale)
        if me is not None:
            sections.append(Section(off_text, c.days_off_buttons(me, locale)))
        else:
            add = Button("home.off_add", "off", translate("button.off_add", locale))
            sections.append(Section(off_text, (add,)))
        held = await c.held_by(row.id, person)
        sections.append(Section(translate("home.held.title", locale)))
        if held:
            sections += c.held_sections(held, tz, locale)
        else:
            sections.append(Section(translate("home.held.none", locale)))
        if policies:
            sections.append(Section(translate("home.team.title", locale)))
            for team, policy in policies:
                sections.append(Section(await c.team_summary(team, policy, locale)))
        if default is not None:  # what covers every channel no team covers, and who may change it
            lines = [*describe_default(default, locale), translate("cmd.workspace.usage", locale)]
            change = Button(
                "home.edit_default", "default", translate("button.edit_default", locale)
            )
            sections.append(Section("\n".join(lines), (change,)))
        sections.append(Section(translate("home.help", locale)))
        return Reply(tuple(sections), locale=locale)
