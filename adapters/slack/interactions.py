"""`/quiet`, the buttons, the modals, the shortcuts and the App Home, as bolt listeners.

Every answer is private (ephemeral or in the App Home). A command is acknowledged *with* its
answer when that is ready within :data:`ACK_BUDGET` — so a held message is durable before Slack
hears back — and otherwise acknowledged at once and answered on the ``response_url``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.blocks import (
    COMPOSE_CALLBACK,
    EDIT_CALLBACK,
    HOURS_CALLBACK,
    ModalForm,
    compose_modal,
    compose_thread,
    edit_modal,
    fallback_text,
    home_view,
    hours_modal,
    reply_blocks,
)
from adapters.slack.charts import send_chart
from adapters.slack.days_off import SlackDaysOff
from adapters.slack.default_form import WorkspaceDefaultForm
from adapters.slack.limits import MESSAGE_TEXT
from adapters.slack.modal_text import editable, forwarded
from adapters.slack.mrkdwn import conversation_link, from_plain
from bot.clock import Clock
from bot.domain.hours_syntax import HoursSyntaxError, format_hours, parse_hours
from bot.domain.typed import visible
from bot.i18n import format_instant, translate, translate_plural
from bot.services.autohold import AutoHeld
from bot.services.commands import (
    MAX_TEXT,
    CommandService,
    HomeService,
    Invocation,
    Reply,
    Section,
    held_buttons,
)
from bot.services.compose import (
    BotNotInConversationError,
    ComposeService,
    NotAllowedError,
    NotInstalledError,
    NotMemberError,
    NotReachableError,
    NotRecipientError,
)
from bot.services.directory import zone_or_utc
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import PersonRepository, WorkspaceRepository

__all__ = ["ACK_BUDGET", "COMMAND", "SlackInteractions"]

log = logging.getLogger(__name__)

COMMAND = "/quiet"
#: Slack waits 3 s for an acknowledgement; answer within this, or acknowledge and follow up.
ACK_BUDGET = 2.0
GLOBAL_SHORTCUT = "quiet_compose"
MESSAGE_SHORTCUT = "quiet_forward"


def _team(body: dict[str, Any]) -> str:
    team = body.get("team_id") or (body.get("team") or {}).get("id") or ""
    return str(team)


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or (body.get("user") or {}).get("id") or "")


def _with_chart_note(reply: Reply) -> Reply:
    """Say where the chart goes: Slack shows it as a file in the person's DM with the app."""
    if reply.chart is None:
        return reply
    key = "insight.chart.team_in_dm" if reply.chart.team else "insight.chart.in_dm"
    note = Section(translate(key, reply.locale))
    return replace(reply, sections=(*reply.sections, note))


class SlackInteractions:
    """Registers the interactive listeners on the bolt app."""

    def __init__(
        self,
        *,
        commands: CommandService,
        compose: ComposeService,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
    ) -> None:
        self._commands = commands
        self._home = HomeService(commands)
        self._compose = compose
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock

    def register(self, bolt: AsyncApp) -> None:
        bolt.command(COMMAND)(self._on_command)
        for action in ("held.send_now", "held.cancel"):
            bolt.action(action)(self._on_held_button)
        bolt.action("held.edit")(self._on_edit_button)
        bolt.action("home.edit_hours")(self._on_edit_hours)
        bolt.view(EDIT_CALLBACK)(self._on_edit_submitted)
        bolt.view(HOURS_CALLBACK)(self._on_hours_submitted)
        bolt.view(COMPOSE_CALLBACK)(self._on_compose_submitted)
        bolt.shortcut(GLOBAL_SHORTCUT)(self._on_global_shortcut)
        bolt.shortcut(MESSAGE_SHORTCUT)(self._on_message_shortcut)
        bolt.event("app_home_opened")(self._on_home_opened)
        WorkspaceDefaultForm(
            commands=self._commands,
            sessions=self._sessions,
            locale=self._safe_locale,
            republish=self._publish_home,
        ).register(bolt)
        days_off = SlackDaysOff(
            commands=self._commands, clock=self._clock, publish=self._publish_home
        )
        days_off.register(bolt)

    # -- /quiet --------------------------------------------------------------------------------

    async def _run(self, call: Invocation) -> Reply:
        try:
            return await self._commands.run(call)
        except Exception:  # never a stack trace to the person; the log has it
            log.exception("the /quiet command failed")
            locale = await self._safe_locale(call.workspace, call.person)
            return Reply.of(translate("cmd.error", locale), error=True, locale=locale)

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        call = Invocation(
            platform="slack",
            workspace=_team(body),
            person=_user(body),
            conversation=str(body.get("channel_id", "")),
            text=str(body.get("text", "")),
            person_name=body.get("user_name"),
            # Slack names direct messages so, and their ids start with D
            direct=body.get("channel_name") == "directmessage"
            or str(body.get("channel_id", "")).startswith("D"),
        )
        task = asyncio.ensure_future(self._run(call))
        done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
        if task in done:
            reply = _with_chart_note(task.result())
            await ack(
                response_type="ephemeral",
                text=fallback_text(reply.text),
                blocks=reply_blocks(reply),
            )
        else:
            await ack(response_type="ephemeral", text=translate("cmd.working", call.locale))
            reply = _with_chart_note(await task)
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=fallback_text(reply.text),
                blocks=reply_blocks(reply),
            )
        if reply.chart is not None:
            await self._send_chart(client, call, reply, respond)

    async def _send_chart(
        self, client: AsyncWebClient, call: Invocation, reply: Reply, respond: AsyncRespond
    ) -> None:
        """The reply's chart into the caller's own DM with the app (no one else is in it)."""
        assert reply.chart is not None
        try:
            await send_chart(client, call.person, reply.chart, reply.chart.title)
        except Exception:
            log.warning("could not send an insight chart", exc_info=True)
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=translate("insight.chart.not_sent", reply.locale),
            )

    async def locale(self, workspace: str, person: str) -> str:
        """The person's language ("en" when unknown or the database is away)."""
        return await self._safe_locale(workspace, person)

    async def _safe_locale(self, workspace: str, person: str) -> str:
        try:
            return await self._commands.locale_of("slack", workspace, person)
        except Exception:
            return "en"

    # -- buttons on held messages --------------------------------------------------------------

    async def _on_held_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        held_id = str(action.get("value", ""))
        try:
            if action.get("action_id") == "held.send_now":
                done = await self._compose.send_now(
                    held_id, platform="slack", workspace=team, person=person
                )
                outcome = "held.sent_now" if done else "held.gone"
            else:
                done = await self._compose.cancel(
                    held_id, platform="slack", workspace=team, person=person
                )
                outcome = "held.cancelled" if done else "held.gone"
        except NotAllowedError:
            outcome = "held.gone"
        text = translate(outcome, locale)
        if (body.get("view") or {}).get("type") == "home":
            await self._publish_home(client, team, person)
        elif body.get("response_url"):
            await respond(response_type="ephemeral", replace_original=True, text=text)

    async def _on_edit_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        held_id = str(action.get("value", ""))
        where = str((body.get("channel") or {}).get("id") or person)
        try:
            text = await self._compose.held_text(
                held_id, platform="slack", workspace=team, person=person
            )
            key = "held.gone"
        except NotAllowedError:
            text, key = None, "held.gone"
        if text is None:
            await client.chat_postEphemeral(channel=where, user=person, text=translate(key, locale))
            return
        plain, restore = await editable(client, text)
        # posted as its author, the text stays their Slack text (mentions and all); posted by the
        # bot for them, it is plain text that the bot makes inert when it posts it
        keep = restore if await self._posted_as_author(held_id) else None
        modal = edit_modal(held_id, plain, locale, keep)
        if modal is None:  # never open nothing: say why it cannot be edited here
            note = translate("modal.edit.too_long", locale, length=len(plain))
            await client.chat_postEphemeral(channel=where, user=person, text=note)
            return
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def _posted_as_author(self, held_id: str) -> bool:
        """Whether a held message goes out as its author (auto-hold), mentions and all."""
        async with self._sessions() as session:
            row = await HeldMessageRepository(session, self._cipher).get(held_id)
        return row is not None and row.as_author

    async def _on_edit_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        form = ModalForm.load(str(view.get("private_metadata", "")))
        plain = form.joined([_value(view, block) for block in form.block_ids])
        if not visible(plain):
            await ack(
                response_action="errors", errors={"text": translate("cmd.later.empty", locale)}
            )
            return
        text = from_plain(plain, dict(form.restore)) if form.markup else plain
        # one part: what one input holds, as the person counts it (not the escaped text);
        # in parts (a long auto-held message): what Slack posts
        parts = len(form.joins) > 1
        limit, length = (MESSAGE_TEXT, len(text)) if parts else (MAX_TEXT, len(plain))
        if length > limit:
            await ack(
                response_action="errors",
                errors={
                    "text": translate("cmd.later.too_long", locale, limit=limit, length=length)
                },
            )
            return
        held_id = form.held_id
        try:
            changed = await self._compose.edit(
                held_id, platform="slack", workspace=team, person=person, text=text
            )
        except NotAllowedError:
            await ack(response_action="errors", errors={"text": translate("held.gone", locale)})
            return
        if not changed:
            await ack(response_action="errors", errors={"text": translate("held.gone", locale)})
            return
        await ack()
        async with self._sessions() as session:
            row = await HeldMessageRepository(session, self._cipher).get(held_id)
            tz = await self._person_tz(session, team, person)
        if row is not None:
            when = format_instant(row.deliver_at, zone_or_utc(tz), locale, now=self._clock.now())
            await client.chat_postMessage(
                channel=person, text=translate("held.edited", locale, when=when)
            )

    async def _person_tz(self, session: AsyncSession, team: str, person: str) -> str | None:
        workspace = await WorkspaceRepository(session).find("slack", team)
        if workspace is None:
            return None
        row = await PersonRepository(session).find(workspace.id, person)
        return row.tz if row else None

    # -- my hours (App Home) -------------------------------------------------------------------

    async def _on_edit_hours(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find("slack", team)
            row = await PersonRepository(session).find(workspace.id, person) if workspace else None
        await client.views_open(
            trigger_id=body["trigger_id"], view=hours_modal(row.hours_spec if row else None, locale)
        )

    async def _on_hours_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        spec = _value(view, "hours").strip()
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).find("slack", team)
            if workspace is None:
                await ack(
                    response_action="errors",
                    errors={"hours": translate("cmd.not_installed", locale)},
                )
                return
            people = PersonRepository(session)
            row = await people.get_or_create(workspace.id, person, now=now)
            if spec:
                try:
                    hours = parse_hours(spec, default_tz=zone_or_utc(row.tz))
                except HoursSyntaxError as error:
                    await ack(response_action="errors", errors={"hours": error.message(locale)})
                    return
                await people.set_hours(row, format_hours(hours), source="personal", now=now)
            else:
                await people.set_hours(row, None, source=None, now=now)
        await ack()
        await self._publish_home(client, team, person)

    # -- compose: shortcuts and the modal ------------------------------------------------------

    async def _on_global_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        locale = await self._safe_locale(_team(body), _user(body))
        await client.views_open(trigger_id=body["trigger_id"], view=compose_modal(locale))

    async def _on_message_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        locale = await self._safe_locale(_team(body), _user(body))
        message = body.get("message") or {}
        plain, hint = await forwarded(client, message, locale)
        channel = (body.get("channel") or {}).get("id")
        # used on a reply: the held copy goes into the same thread (a root stays a new post)
        thread_ts, ts = message.get("thread_ts"), message.get("ts")
        thread = str(thread_ts) if thread_ts and thread_ts != ts else None
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=compose_modal(locale, text=plain, conversation=channel, hint=hint, thread=thread),
        )

    async def _on_compose_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, person = _team(body), _user(body)
        locale = await self._safe_locale(team, person)
        values = (view.get("state") or {}).get("values") or {}
        channel = ((values.get("channel") or {}).get("value") or {}).get("selected_conversation")
        recipient = ((values.get("person") or {}).get("value") or {}).get("selected_user")
        options = ((values.get("urgent") or {}).get("value") or {}).get("selected_options") or []
        urgent = any(option.get("value") == "urgent" for option in options)
        text = _value(view, "text")
        if bool(channel) == bool(recipient):
            await ack(
                response_action="errors",
                errors={"channel": translate("modal.compose.need_target", locale)},
            )
            return
        problem = _text_problem(text, locale)
        if problem is not None:
            await ack(response_action="errors", errors={"text": problem})
            return
        try:
            locale, tz = await self._commands.person("slack", team, person)
            composed = await self._compose.compose(
                platform="slack",
                workspace=team,
                author=person,
                conversation=str(channel or recipient),
                recipient=recipient,
                text=text,
                urgent=urgent,
                author_name=(body.get("user") or {}).get("name"),
                kind="compose",
                thread=compose_thread(str(view.get("private_metadata") or ""), channel),
            )
        except NotInstalledError:
            await ack(
                response_action="errors", errors={"text": translate("cmd.not_installed", locale)}
            )
            return
        except BotNotInConversationError:
            problem = translate("cmd.later.bot_not_here", locale)
            await ack(response_action="errors", errors={"channel": problem})
            return
        except NotRecipientError as error:  # a bot, a deactivated account, an unknown id
            problem = translate(f"modal.compose.person.{error.check.value}", locale)
            await ack(response_action="errors", errors={"person": problem})
            return
        except NotReachableError:  # a guest: only people of their own channels
            problem = translate("modal.compose.person.guest", locale)
            await ack(response_action="errors", errors={"person": problem})
            return
        except NotMemberError:  # the bot posts for people only where they may post
            await ack(
                response_action="errors",
                errors={"channel": translate("modal.compose.not_member", locale)},
            )
            return
        except Exception:  # one transaction: when it fails, nothing was stored
            log.exception("a composed message could not be held")
            await ack(
                response_action="errors",
                errors={"text": translate("modal.compose.not_held", locale)},
            )
            return
        await ack()  # only now: the message is durable
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
            lead = "cmd.urgent.sent" if decision.urgent else "cmd.later.sent_now"
            reply = Reply.of(translate(lead, locale), why, locale=locale)
        await client.chat_postMessage(
            channel=person, text=fallback_text(reply.text), blocks=reply_blocks(reply)
        )

    # -- auto-hold -----------------------------------------------------------------------------

    async def tell_auto_held(
        self, client: AsyncWebClient, team: str, person: str, conversation: str, held: AutoHeld
    ) -> None:
        """The private note after a message was taken down: when it goes out, and the buttons."""
        locale, tz = await self._commands.person("slack", team, person)
        now = self._clock.now()
        when = format_instant(held.decision.deliver_at, zone_or_utc(tz), locale, now=now)
        where = conversation_link(conversation) or translate("autohold.dm", locale)
        reply = Reply(
            (
                Section(translate("autohold.held", locale, where=where, when=when)),
                Section(held.decision.explain(locale, now=now), held_buttons(held.held_id, locale)),
            ),
            locale=locale,
        )
        try:
            await client.chat_postMessage(
                channel=person, text=fallback_text(reply.text), blocks=reply_blocks(reply)
            )
        except Exception:
            log.warning("could not tell an author that their message is held")

    async def tell_auto_hold_off(
        self, client: AsyncWebClient, team: str, person: str, still_held: int
    ) -> None:
        locale, _ = await self._commands.person("slack", team, person)
        text = (
            translate_plural("autohold.off", still_held, locale)
            if still_held
            else translate("autohold.off.nothing_held", locale)
        )
        try:
            await client.chat_postMessage(channel=person, text=text)
        except Exception:
            log.warning("could not tell a person that auto-hold is off", exc_info=True)

    # -- App Home ------------------------------------------------------------------------------

    async def _on_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") not in (None, "home"):
            return
        await self._publish_home(client, _team(body), str(event.get("user", "")))

    async def _publish_home(self, client: AsyncWebClient, team: str, person: str) -> None:
        if not person:
            return
        reply = await self._home.home("slack", team, person)
        await client.views_publish(user_id=person, view=home_view(reply))


def _value(view: dict[str, Any], block: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(block) or {}).get("value") or {}).get("value") or "")


def _text_problem(text: str, locale: str) -> str | None:
    """Why the Send later form's text cannot be held (nothing visible; longer than one input
    holds, as typed: a form's text is not escaped), or None."""
    if not visible(text):
        return translate("cmd.later.empty", locale)
    if len(text) > MAX_TEXT:
        return translate("cmd.later.too_long", locale, limit=MAX_TEXT, length=len(text))
    return None
