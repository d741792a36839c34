"""The Teams settings card: what Slack's App Home offers, as one Adaptive Card that refreshes.

``settings`` (bokmål ``innstillinger``) in the bot's 1:1 chat — or anywhere; the answer is
private — shows the person's own view, built by the same :class:`HomeService` as App Home: their
hours (a field and *Save hours*), their held messages (*Send now* / *Cancel*), the teams they
lead (each team's hours in a field, *Save team hours*) and the tenant default (the `workspace`
card's form; only those who may change it get past its Save). Every button is an
``Action.Execute`` whose verb starts ``settings.``; its invoke is answered with the updated card
(``application/vnd.microsoft.card.adaptive``), so the card changes in place. The card's
``refresh`` names its reader in ``userIds``: when someone else sees it (a forwarded card), Teams
asks again and each person gets their own view; nobody else's hours or messages are ever in it.

Checks are the core's, never repeated here: hours and team hours run the same ``hours`` /
``team hours`` verbs as typed (a team's through one of its watched channels, so only its leaders
pass), and held messages go through :class:`ComposeService`, which refuses anyone but the author
in the author's own tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.activities import ADAPTIVE_CARD, ConversationInfo, Sender
from adapters.teams.cards import reply_card
from adapters.teams.default_card import with_default_form
from adapters.teams.platform import PLATFORM
from bot.domain.hours_syntax import display_spec
from bot.i18n import normalize_locale, translate
from bot.services.commands import Button, CommandService, Invocation, Reply, Section
from bot.services.commands.home import HomeService
from bot.storage.models import PersonRow, TeamLeaderRow, TeamRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = ["PREFIX", "SETTINGS_WORDS", "TeamsSettings", "is_settings"]

log = logging.getLogger(__name__)

Json = dict[str, Any]

#: The command that shows the card, in English and bokmål.
SETTINGS_WORDS = frozenset({"settings", "innstillinger", "innstilling"})
#: Every ``Action.Execute`` verb on the settings card starts with this.
PREFIX = "settings."
REFRESH = "settings.refresh"
SAVE_HOURS = "settings.hours"
SAVE_TEAM_HOURS = "settings.team_hours"
#: App Home's buttons that open Slack modals; on the card they are fields instead.
_EDIT_HOURS, _EDIT_DEFAULT = "home.edit_hours", "home.edit_default"
#: Marks a led team's section in App Home's reply; on the card it becomes the team's field.
_TEAM_MARK = "settings.team_field"
#: Characters of an hours spec a field takes (the longest real one is far shorter).
MAX_SPEC = 200

#: Runs a command as the person typed it (``TeamsInteractions.answer``).
Answer = Callable[[str, ConversationInfo, Sender], Awaitable[Reply]]
#: Runs a card button the way the card it came from would (``TeamsInteractions.card_action``).
CardAction = Callable[[str, Mapping[str, Any], ConversationInfo, Sender], Awaitable[Json]]


def is_settings(verb: str) -> bool:
    """Whether a typed command's first word asks for the settings card."""
    return verb.lower() in SETTINGS_WORDS


def _said(card: Json) -> str:
    """What a notice card says (its text blocks joined)."""
    return "\n".join(
        str(block.get("text"))
        for block in card.get("body") or []
        if block.get("type") == "TextBlock" and block.get("text")
    )


class TeamsSettings:
    """Builds the settings card and answers its buttons."""

    def __init__(
        self,
        *,
        commands: CommandService,
        sessions: async_sessionmaker[AsyncSession],
        answer: Answer,
        card_action: CardAction,
    ) -> None:
        self._commands = commands
        self._home = HomeService(commands)
        self._sessions = sessions
        self._answer = answer
        self._card_action = card_action

    async def card(
        self,
        info: ConversationInfo,
        who: Sender,
        *,
        notice: str | None = None,
        error: bool = False,
    ) -> Json:
        """The person's own settings card, ``notice`` (what their last click did) on top."""
        reply = await self._home.home(PLATFORM, info.tenant, who.id)
        locale = reply.locale
        if reply.error:  # not installed: the card says so, with nothing to click
            return reply_card(reply)
        sections = list(reply.sections)
        # each team the person leads gets its hours field right under what App Home says of it
        teams = dict(await self._led(info.tenant, who.id))
        heading = Section(translate("home.team.title", locale))
        if heading in sections:
            first = sections.index(heading) + 1
            for index, name in enumerate(teams):
                if first + index < len(sections):
                    section = sections[first + index]
                    mark = Button(_TEAM_MARK, name, "")
                    sections[first + index] = Section(section.text, (*section.buttons, mark))
        if notice:
            sections.insert(0, Section(notice))
        card = reply_card(Reply(tuple(sections), error=error and bool(notice), locale=locale))
        body: list[Json] = []
        fields = 0
        for element in card["body"]:
            if element.get("type") != "ActionSet":
                body.append(element)
                continue
            actions = []
            for action in element["actions"]:
                verb = str(action.get("verb") or "")
                if verb == _EDIT_HOURS:
                    body += self._hours_field(locale)
                    actions.append(
                        self._button(SAVE_HOURS, {}, "teams.settings.save_hours", locale)
                    )
                elif verb == _TEAM_MARK:
                    name = str(action["data"]["held"])
                    field = f"team_hours_{fields}"
                    fields += 1
                    spec = display_spec(teams.get(name, ""), locale) if teams.get(name) else ""
                    body.append(self._team_field(field, name, spec, locale))
                    data = {"team": name, "field": field}
                    label = "teams.settings.save_team_hours"
                    actions.append(self._button(SAVE_TEAM_HOURS, data, label, locale))
                elif verb == _EDIT_DEFAULT:  # the tenant default's form (admins may save)
                    body += await self._default_form(info.tenant, locale)
                else:  # held.* (and any other card verb): comes back here, then refreshes
                    action["verb"] = PREFIX + verb
                    if verb.startswith("held."):  # a held message's button needs no fields
                        action["associatedInputs"] = "none"
                    actions.append(action)
            if actions:
                body.append({**element, "actions": actions})
        card["body"] = body
        card["refresh"] = {
            "action": {"type": "Action.Execute", "verb": REFRESH, "data": {}},
            "userIds": [who.id],
        }
        return card

    async def activity(self, info: ConversationInfo, who: Sender) -> Json:
        """The settings card as a message (the answer to ``settings``)."""
        card = await self.card(info, who)
        locale = normalize_locale(who.locale)
        return {
            "type": "message",
            "summary": translate("teams.settings.summary", locale),
            "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
        }

    async def _default_form(self, tenant: str, locale: str) -> list[Json]:
        """The `workspace` card's form, its Save coming back to this card."""
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(PLATFORM, tenant)
            row = None
            if workspace is not None:
                row = await WorkspaceDefaultRepository(session).find(workspace.id)
        if row is None:
            return []
        elements: list[Json] = with_default_form({"body": []}, row, locale)["body"]
        for element in elements:
            for action in element.get("actions") or []:
                action["verb"] = PREFIX + str(action.get("verb"))
        return elements

    @staticmethod
    def _team_field(field: str, name: str, hours: str, locale: str) -> Json:
        return {
            "type": "Input.Text",
            "id": field,
            "label": translate("teams.settings.team_hours", locale, team=name),
            "value": hours,
            "maxLength": MAX_SPEC,
        }

    def _hours_field(self, locale: str) -> list[Json]:
        return [
            {
                "type": "Input.Text",
                "id": "hours",
                "label": translate("teams.settings.hours_label", locale),
                "placeholder": translate("teams.settings.hours_placeholder", locale),
                "maxLength": MAX_SPEC,
            }
        ]

    @staticmethod
    def _button(verb: str, data: Json, label: str, locale: str) -> Json:
        return {
            "type": "Action.Execute",
            "title": translate(label, locale),
            "verb": verb,
            "data": data,
            "style": "positive",
        }

    async def _led(self, tenant: str, person: str) -> list[tuple[str, str]]:
        """(name, hours) of the teams this person leads, in this tenant only."""
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(PLATFORM, tenant)
            if workspace is None:
                return []
            rows = (
                await session.scalars(
                    select(TeamRow)
                    .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
                    .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
                    .where(
                        TeamRow.workspace_id == workspace.id,
                        PersonRow.workspace_id == workspace.id,
                        PersonRow.external_id == person,
                    )
                    .order_by(TeamRow.name)
                )
            ).all()
            return [(row.name, row.hours_spec) for row in rows]

    async def action(
        self, verb: str, data: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """A button on the settings card: do it, then the card again with what happened."""
        try:  # the card speaks the language the person's own view is in
            locale, _ = await self._commands.person(PLATFORM, info.tenant, who.id)
        except Exception:
            locale = normalize_locale(who.locale)
        notice: str | None = None
        error = False
        if verb == SAVE_HOURS:
            spec = str(data.get("hours") or "").strip()[:MAX_SPEC]
            if not spec:
                notice, error = translate("teams.settings.hours_empty", locale), True
            else:
                reply = await self._answer(f"hours {spec}", info, who)
                notice, error = reply.text, reply.error
        elif verb == SAVE_TEAM_HOURS:
            notice, error = await self._team_hours(data, info, who, locale)
        elif verb != REFRESH and verb.startswith(PREFIX):
            done = await self._card_action(verb[len(PREFIX) :], data, info, who)
            notice = _said(done)
            error = any(b.get("color") == "Attention" for b in done.get("body") or [])
        return await self.card(info, who, notice=notice, error=error)

    async def _team_hours(
        self, data: Mapping[str, Any], info: ConversationInfo, who: Sender, locale: str
    ) -> tuple[str, bool]:
        """``team hours SPEC`` as the leader would type it in one of the team's channels."""
        name = str(data.get("team") or "")
        field = str(data.get("field") or "")
        spec = str(data.get(field) or "").strip()[:MAX_SPEC] if field else ""
        if not spec:
            return translate("teams.settings.hours_empty", locale), True
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(PLATFORM, info.tenant)
            teams = TeamRepository(session)
            team = None if workspace is None else await teams.by_name(workspace.id, name)
            channels = [] if team is None else await teams.channels(team.id)
        if not channels:
            return translate("cmd.team.none_here", locale), True
        # run as typed in one of the team's channels, from somewhere else: the command layer
        # asks Teams whether the leader is still a member there (a leader who left the team
        # no longer changes it)
        call = Invocation(
            platform=PLATFORM,
            workspace=info.tenant,
            person=who.id,
            conversation=channels[0],
            text=f"team hours {spec}",
            person_name=who.name,
            locale=who.locale,
        )
        try:
            if not await self._commands.present(call, "team"):  # said in the card's words
                return translate("teams.settings.team_not_member", locale, team=name), True
            reply = await self._commands.run(call)
        except Exception:
            log.exception("a team's hours from the Teams settings card failed")
            return translate("cmd.error", locale), True
        return reply.text, reply.error
