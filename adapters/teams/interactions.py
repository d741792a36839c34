"""Teams commands, card buttons and the Send later message extension, over the core services.

Every verb is :class:`CommandService`'s, answered as an Adaptive Card in the thread where it was
asked. Buttons on those cards (``Action.Execute``) come back as ``adaptiveCard/action`` invokes
and are answered by replacing the card; inside the Send later dialog they are ``Action.Submit``
and come back as ``composeExtension/submitAction``, answered with the next dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.activities import ADAPTIVE_CARD, ConversationInfo, Sender, reply_chain
from adapters.teams.cards import (
    EDIT_SAVE,
    OFF_VERBS,
    Mode,
    dialog_response,
    edit_card,
    mentioned_ids,
    notice_card,
    reply_activity,
    reply_card,
)
from adapters.teams.default_card import SAVE_VERB, with_default_form
from adapters.teams.manifest import COMMANDS
from adapters.teams.mentions import command_text
from adapters.teams.settings import TeamsSettings, is_settings
from adapters.teams.targets import PLATFORM, TeamContext, current_team
from bot.clock import Clock
from bot.domain.typed import visible
from bot.i18n import format_instant, normalize_locale, translate
from bot.services.commands import (
    MAX_TEXT,
    CommandService,
    Invocation,
    Reply,
    Section,
    held_buttons,
    split_command,
)
from bot.services.commands.workspace import FORM_FIELDS
from bot.services.compose import ComposeService, NotAllowedError, NotInstalledError
from bot.services.directory import zone_or_utc
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import PersonRepository, WorkspaceRepository
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = ["SEND_LATER", "TeamsInteractions", "undelivered_answer"]

log = logging.getLogger(__name__)

Json = dict[str, Any]

#: The message extension's command id (``adapters.teams.manifest``).
SEND_LATER = "sendLater"
VERBS = frozenset(COMMANDS)
HELD_VERBS = frozenset({"held.send_now", "held.cancel", "held.edit", EDIT_SAVE})


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def undelivered_answer(reply: Reply | None) -> str:
    """The catalog key of what a channel is told when a command's private answer could not
    be delivered. The command has already run, so "ask again" is said only of a refusal (which
    changed nothing); a held message is said to be held (asking again would hold it twice), and
    how to see or cancel it, never what it says or for whom."""
    if reply is None or reply.error:
        return "teams.answer_in_personal_chat"
    actions = {button.action for section in reply.sections for button in section.buttons}
    if any(action.startswith("held.") for action in actions):
        return "teams.undelivered.held"
    return "teams.undelivered.done"


class TeamsInteractions:
    """What people do with the bot in Teams, translated into core calls and back into cards."""

    def __init__(
        self,
        *,
        commands: CommandService,
        compose: ComposeService,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        can_post: Callable[[str, str, str], Awaitable[bool]] | None = None,
    ) -> None:
        self._can_post = can_post
        self._commands = commands
        self._compose = compose
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock
        self.settings = TeamsSettings(
            commands=commands, sessions=sessions, answer=self.answer, card_action=self.card_action
        )

    # -- commands ------------------------------------------------------------------------------

    async def command(
        self, activity: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """The answer (a message activity with a card) to a command in ``activity``."""
        answer, _ = await self.command_reply(activity, info, who)
        return answer

    async def command_reply(
        self, activity: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> tuple[Json, Reply | None]:
        """The answer to a command in ``activity``, and the reply it shows (None for the
        settings card): what the command did, for when the answer itself cannot be delivered."""
        text = command_text(activity)
        if is_settings(split_command(text)[0]):
            return await self.settings.activity(info, who), None
        reply = await self.answer(text, info, who, thread=reply_chain(activity, info))
        answer = reply_activity(reply, names=await self._names(info, reply))
        verb, rest = split_command(text)
        if verb == "workspace" and rest.lower() in ("", "show", "vis") and not reply.error:
            answer = await self.default_form(answer, info.tenant, reply.locale)
        return answer, reply

    async def default_form(self, activity: Json, tenant: str, locale: str) -> Json:
        """``activity``'s card with the tenant default as a form to change it (when it has one)."""
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(PLATFORM, tenant)
            defaults = WorkspaceDefaultRepository(session)
            row = await defaults.find(workspace.id) if workspace is not None else None
        if row is None:
            return activity
        attachments = [
            {**item, "content": with_default_form(item["content"], row, locale)}
            if item.get("contentType") == ADAPTIVE_CARD
            else item
            for item in activity.get("attachments") or []
        ]
        return {**activity, "attachments": attachments}

    async def save_default(
        self, data: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """The form on a `workspace` card was saved: the card that replaces it."""
        locale, _ = await self._person(info.tenant, who.id, who.locale)
        form = {name: str(data.get(name) or "").strip() for name in FORM_FIELDS}
        team = TeamContext(info.team, info.service_url) if info.team else None
        token = current_team.set(team)  # a team owner asking in their team may change it
        try:
            refused, text = await self._commands.change_default(PLATFORM, info.tenant, who.id, form)
        finally:
            current_team.reset(token)
        return notice_card(text, locale, error=refused is not None)

    async def answer(
        self, text: str, info: ConversationInfo, who: Sender, *, thread: str | None = None
    ) -> Reply:
        """``text`` run as ``who`` typed it in ``info``'s conversation (``thread``: in the reply
        chain with that root, where `later` and `urgent` then post)."""
        verb, rest = split_command(text)
        locale = normalize_locale(who.locale)
        if verb == "help":
            return Reply.of(translate("teams.help", locale), locale=locale)
        if verb not in VERBS:
            return Reply.of(
                translate("cmd.unknown", locale, verb=verb[:40]),
                translate("teams.help", locale),
                error=True,
                locale=locale,
            )
        if verb in ("later", "urgent") and info.kind == "dm" and not rest.startswith(("<@", "<#")):
            # the bot's own chat: a message held here would only come back to its author
            return Reply.of(translate("teams.later.in_personal", locale), error=True, locale=locale)
        call = Invocation(
            platform=PLATFORM,
            workspace=info.tenant,
            person=who.id,
            conversation=info.conversation,
            text=text,
            person_name=who.name,
            locale=who.locale,
            direct=info.kind == "dm",
            thread=thread,
            came_from_conversation=True,  # Teams sent it from there, for one of its members
        )
        # Team owners lead without being named: the platform asks this team's roster.
        team = TeamContext(info.team, info.service_url) if info.team else None
        token = current_team.set(team)
        try:
            return await self._commands.run(call)
        except Exception:  # never a stack trace to the person; the log has it
            log.exception("a Teams command failed")
            return Reply.of(translate("cmd.error", locale), error=True, locale=locale)
        finally:
            current_team.reset(token)

    async def _names(self, info: ConversationInfo, reply: Reply) -> dict[str, str]:
        """Display names for the people a reply mentions by id; "this conversation" for here."""
        wanted = mentioned_ids(reply.text)
        names = {info.conversation: translate("teams.card.here", reply.locale)}
        people = sorted(wanted - set(names))[:50]
        if not people:
            return names
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find(PLATFORM, info.tenant)
            if workspace is None:
                return names
            repository = PersonRepository(session)
            for person in people:
                row = await repository.find(workspace.id, person)
                if row is not None and row.display_name:
                    names[person] = row.display_name
        return names

    # -- buttons on held messages --------------------------------------------------------------

    async def card_action(
        self, verb: str, data: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """An ``Action.Execute`` on one of our cards: the card that replaces it."""
        if verb == SAVE_VERB:
            return await self.save_default(data, info, who)
        if verb in OFF_VERBS.values():
            return await self._days_off_action(verb, data, info, who)
        return await self._held_action(verb, data, info, who, mode="execute")

    async def _days_off_action(
        self, verb: str, data: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """The days-off form: its dates go through ``off FIRST..LAST`` (the same rules and
        answers as typed), for the person who clicked (from the signed activity) only."""
        if verb == "off.clear":
            text = "off clear"
        else:
            first, last = str(data.get("off_first") or ""), str(data.get("off_last") or "")
            text = f"off {first}..{last or first}" if first else "off ?"
        reply = await self.answer(text, info, who)
        return reply_card(reply, names=await self._names(info, reply))

    async def _person(
        self, tenant: str, person: str, fallback: str | None
    ) -> tuple[str, str | None]:
        try:
            return await self._commands.person(PLATFORM, tenant, person)
        except Exception:  # not installed, or the database is away: still answer
            return normalize_locale(fallback), None

    async def _held_action(
        self,
        verb: str,
        data: Mapping[str, Any],
        info: ConversationInfo,
        who: Sender,
        *,
        mode: Mode,
    ) -> Json:
        locale, tz = await self._person(info.tenant, who.id, who.locale)
        held_id = data.get("held")
        if verb not in HELD_VERBS or not isinstance(held_id, str) or not held_id:
            return notice_card(translate("teams.compose.unknown", locale), locale, error=True)
        try:
            if verb == "held.send_now":
                done = await self._compose.send_now(
                    held_id, platform=PLATFORM, workspace=info.tenant, person=who.id
                )
                return notice_card(
                    translate("held.sent_now" if done else "held.gone", locale), locale
                )
            if verb == "held.cancel":
                done = await self._compose.cancel(
                    held_id, platform=PLATFORM, workspace=info.tenant, person=who.id
                )
                key = "held.cancelled" if done else "held.gone"
                return notice_card(translate(key, locale), locale)
            if verb == "held.edit":
                return await self._edit(held_id, info.tenant, who.id, locale, mode)
            return await self._save(
                held_id, info.tenant, who.id, data.get("text"), locale, tz, mode
            )
        except NotAllowedError:
            return notice_card(translate("held.gone", locale), locale)
        except Exception:
            log.exception("a Teams card action failed")
            return notice_card(translate("cmd.error", locale), locale, error=True)

    async def _edit(self, held_id: str, tenant: str, person: str, locale: str, mode: Mode) -> Json:
        body = await self._compose.held_text(
            held_id, platform=PLATFORM, workspace=tenant, person=person
        )
        if body is None:
            return notice_card(translate("held.gone", locale), locale)
        return edit_card(held_id, body, locale, mode=mode)

    async def _save(
        self,
        held_id: str,
        tenant: str,
        person: str,
        text: object,
        locale: str,
        tz: str | None,
        mode: Mode,
    ) -> Json:
        text = text if isinstance(text, str) else ""
        problem = None
        if not visible(text):
            problem = translate("teams.edit.empty", locale)
        elif len(text) > MAX_TEXT:
            problem = translate("cmd.later.too_long", locale, limit=MAX_TEXT, length=len(text))
        if problem is not None:
            return edit_card(held_id, text, locale, mode=mode, problem=problem)
        if not await self._compose.edit(
            held_id, platform=PLATFORM, workspace=tenant, person=person, text=text
        ):
            return notice_card(translate("held.gone", locale), locale)
        async with self._sessions() as session:
            row = await HeldMessageRepository(session, self._cipher).get(held_id)
        if row is None:
            return notice_card(translate("held.gone", locale), locale)
        now = self._clock.now()
        when = format_instant(row.deliver_at, zone_or_utc(tz), locale, now=now)
        return notice_card(translate("held.edited", locale, when=when), locale)

    # -- the Send later message extension ------------------------------------------------------

    async def compose_extension(
        self, value: Mapping[str, Any], info: ConversationInfo, who: Sender
    ) -> Json:
        """``composeExtension/submitAction``: hold what was written; answer with a dialog."""
        locale, tz = await self._person(info.tenant, who.id, who.locale)
        title = translate("teams.compose.title", locale)
        data = _dict(value.get("data"))
        verb = data.get("verb")
        if isinstance(verb, str):  # a button in our own dialog
            card = await self._held_action(verb, data, info, who, mode="submit")
            return dialog_response(card, title)
        if value.get("commandId") != SEND_LATER:
            card = notice_card(translate("teams.compose.unknown", locale), locale, error=True)
            return dialog_response(card, title)
        text = data.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not visible(text):
            card = notice_card(translate("teams.compose.empty", locale), locale, error=True)
            return dialog_response(card, title)
        if len(text) > MAX_TEXT:
            problem = translate("cmd.later.too_long", locale, limit=MAX_TEXT, length=len(text))
            return dialog_response(notice_card(problem, locale, error=True), title)
        if self._can_post is not None and not await self._can_post(
            info.tenant, info.conversation, who.id
        ):
            card = notice_card(translate("teams.compose.not_here", locale), locale, error=True)
            return dialog_response(card, title)
        try:
            composed = await self._compose.compose(
                platform=PLATFORM,
                workspace=info.tenant,
                author=who.id,
                conversation=info.conversation,
                thread=info.thread,
                text=text,
                author_name=who.name,
                kind="compose",
                acting_in=info.conversation,  # written there: the author is in it
            )
        except NotInstalledError:
            card = notice_card(translate("cmd.not_installed", locale), locale, error=True)
            return dialog_response(card, title)
        except Exception:  # one transaction: when it fails, nothing was stored
            log.exception("a Send later message could not be held")
            card = notice_card(translate("teams.compose.not_held", locale), locale, error=True)
            return dialog_response(card, title)
        now = self._clock.now()
        decision = composed.decision
        why = decision.explain(locale, now=now)
        if decision.held:
            when = format_instant(decision.deliver_at, zone_or_utc(tz), locale, now=now)
            reply = Reply(
                (
                    Section(translate("cmd.later.held", locale, when=when)),
                    Section(why, held_buttons(composed.held_id, locale)),
                ),
                locale=locale,
            )
        else:
            reply = Reply.of(translate("cmd.later.sent_now", locale), why, locale=locale)
        return dialog_response(reply_card(reply, mode="submit"), title)
