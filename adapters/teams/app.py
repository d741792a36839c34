"""``POST /api/messages`` on the Microsoft 365 Agents SDK: gated, stores references.

Only this route is guarded (``adapters.teams.gate``: the token, or loopback when anonymous, is
checked before the body is read). A turn that cannot reach the database gets 503 +
``Retry-After`` so the Bot Connector retries (``bot.webio``). Every turn remembers where it
happened, so the bot can post there later; an uninstall cancels and erases what was held for
that chat or team. Commands, card buttons and the Send later message extension are answered by
``adapters.teams.interactions`` (invokes always get a card back, never an HTTP error).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    InvokeResponse,
)
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ApplicationOptions,
    ConnectionManager,
    OutboundHostValidator,
    Storage,
    StoreItem,
    TurnContext,
    TurnState,
)
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams import texts
from adapters.teams.activities import (
    ADAPTIVE_CARD,
    ConversationInfo,
    Sender,
    bot_mentioned,
    bot_removed,
    conversation_info,
    deleted_channel,
    parse_reference,
    sender,
)
from adapters.teams.auth import TokenRules
from adapters.teams.cache import TtlCache
from adapters.teams.cards import dialog_response, notice_card, reply_activity
from adapters.teams.connector import Anonymous, ProviderTokens, TokenSource
from adapters.teams.gate import Gate
from adapters.teams.guard_actions import guard_card_action
from adapters.teams.interactions import TeamsInteractions, undelivered_answer
from adapters.teams.platform import PLATFORM
from adapters.teams.settings import PREFIX as SETTINGS
from adapters.teams.watching import watch_channel_message, watch_reaction
from bot.clock import Clock
from bot.i18n import normalize_locale, translate
from bot.ports import DeliveryError
from bot.services.commands import CommandService
from bot.services.compose import ComposeService
from bot.services.erase import erase_workspace
from bot.services.onboarding import Onboarding
from bot.services.platform_defaults import PlatformDefaults
from bot.services.team_start import team_start
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ConversationRepository,
    ExcerptRepository,
    PersonRepository,
    SeenEventRepository,
    TeamRepository,
    WorkspaceRepository,
)
from bot.webio import database_unavailable, refuse, try_again

__all__ = ["ROUTE", "TeamsBot", "auth_configuration", "connection_manager", "outbound_tokens"]

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
#: A busy channel sends a message a second; its reference is written once in this long.
REMEMBER_SECONDS = 3600.0

ProviderFactory = Callable[[AgentAuthConfiguration], AccessTokenProviderBase]
Json = dict[str, Any]


def auth_configuration(
    app_id: str | None, password: str | None, tenant_id: str | None
) -> AgentAuthConfiguration:
    """Tokens are checked whenever there is an app id; anonymous only without one."""
    if not app_id:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=app_id,
        client_secret=password,
        # a multi-tenant registration gets its tokens from the Bot Framework tenant
        tenant_id=tenant_id or "botframework.com",
        anonymous_allowed=False,
    )


def connection_manager(
    auth: AgentAuthConfiguration, provider_factory: ProviderFactory | None = None
) -> ConnectionManager:
    """The SDK's connections for one bot identity: MSAL in production, no tokens anonymously.

    Built apart from :class:`TeamsBot` so the composition root can give the same connections
    (one token cache) to the outbound :class:`TeamsPlatform` before the bot itself exists.
    """
    factory: ProviderFactory = provider_factory or (
        _anonymous_provider if auth.ANONYMOUS_ALLOWED else MsalAuth
    )
    return ConnectionManager(factory, connections_configurations={"SERVICE_CONNECTION": auth})


def outbound_tokens(connections: ConnectionManager, *, anonymous: bool) -> TokenSource:
    """Outbound tokens for :class:`TeamsPlatform`, from the same provider as the turns."""
    if anonymous:
        return Anonymous()
    return ProviderTokens(connections.get_default_connection())


class _NoStorage(Storage):
    """The SDK wants turn-state storage; we keep nothing in it (memory stays flat)."""

    async def read(self, keys: list[str], *, target_cls: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    async def write(self, changes: dict[str, StoreItem]) -> None:
        return None

    async def delete(self, keys: list[str]) -> None:
        return None


def _raw(context: TurnContext) -> Json:
    return dict(context.activity.model_dump(by_alias=True, exclude_none=True, mode="json"))


class TeamsBot:
    """The Teams side of the web app: one Agents SDK application behind a JWT check."""

    def __init__(
        self,
        *,
        app_id: str | None,
        app_password: str | None,
        tenant_id: str | None,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        clock: Clock,
        provider_factory: ProviderFactory | None = None,
        host_validator: OutboundHostValidator | None = None,
        monotonic: Callable[[], float] | None = None,
        watcher: OffHoursWatcher | None = None,
        connections: ConnectionManager | None = None,
        private: Callable[[str, str, Mapping[str, Any]], Awaitable[object]] | None = None,
        can_post: Callable[[str, str, str], Awaitable[bool]] | None = None,
        commands: CommandService | None = None,
        compose: ComposeService | None = None,
        onboarding: Onboarding | None = None,
        defaults: PlatformDefaults | None = None,
    ) -> None:
        self._sessions = sessions
        self._onboarding = onboarding
        # reads a person's Outlook working hours the first time they are seen (after the turn)
        self._defaults = defaults
        self._private = private  # sends an answer to a person's 1:1 chat (TeamsPlatform)
        self._watcher = watcher
        self._cipher = cipher
        self._clock = clock
        self.anonymous = not app_id
        self._gate = Gate(anonymous=self.anonymous, rules=TokenRules(app_id or "", tenant_id))
        self.auth = auth_configuration(app_id, app_password, tenant_id)
        self.connections = connections or connection_manager(self.auth, provider_factory)
        # With tokens checked, only Microsoft's connector hosts (https) may be a serviceUrl, so
        # no reference we store (and later post to) can point anywhere else.
        self.adapter = CloudAdapter(
            connection_manager=self.connections,
            host_validator=host_validator or OutboundHostValidator(enabled=not self.anonymous),
        )
        self.adapter.on_turn_error = self._on_turn_error
        self.agent: AgentApplication[TurnState] = AgentApplication[TurnState](
            ApplicationOptions(
                storage=_NoStorage(),
                bot_app_id=app_id or "",
                start_typing_timer=False,  # our handlers answer at once
                turn_state_factory=TurnState,
            ),
            connection_manager=self.connections,
        )
        self.agent.activity(ActivityTypes.installation_update)(self._on_installation_update)
        self.agent.activity(ActivityTypes.conversation_update)(self._on_conversation_update)
        self.agent.activity(ActivityTypes.message)(self._on_message)
        self.agent.activity(ActivityTypes.message_reaction)(self._on_reaction)
        if watcher is not None:
            self.agent.adaptive_card.action_execute(re.compile(r"^guard\."))(self._on_guard_action)
        # Without the command layer (tests of the plumbing) the bot only answers with help.
        self._interactions: TeamsInteractions | None = None
        if commands is not None and compose is not None:
            self._interactions = TeamsInteractions(
                commands=commands,
                compose=compose,
                sessions=sessions,
                cipher=cipher,
                clock=clock,
                can_post=can_post,
            )
            self.agent.adaptive_card.action_execute(
                re.compile(r"^(held|workspace|settings|off)\.")
            )(self._on_card_action)
            self.agent.invoke("composeExtension/submitAction")(self._on_compose_extension)
        self._remembered: TtlCache[tuple[str, str], str] = TtlCache(
            REMEMBER_SECONDS, monotonic or time.monotonic
        )
        self._seen: TtlCache[tuple[str, str], str] = TtlCache(
            REMEMBER_SECONDS, monotonic or time.monotonic
        )

    def tokens(self) -> TokenSource:
        """Outbound tokens for :class:`TeamsPlatform`, from the same provider as the turns."""
        return outbound_tokens(self.connections, anonymous=self.anonymous)

    def mount(self, app: web.Application) -> None:
        """Add ``POST /api/messages``; first-sight reads still running are cancelled (and
        awaited) on shutdown (:meth:`PlatformDefaults.stop`)."""
        app.router.add_post(ROUTE, self.handle)
        app.on_shutdown.append(self._drain)

    async def _drain(self, app: web.Application) -> None:
        if self._defaults is not None:
            await self._defaults.stop()

    # -- HTTP -----------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One activity: checked as the module docstring says, then handed to the SDK."""
        admitted = await self._gate.admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        try:
            response = await self.adapter.process_request(admitted, self.agent)
        except (ValidationError, RecursionError):
            return refuse(400, "not an activity", "not a Bot Framework activity", request)
        except Exception as error:
            if database_unavailable(error):
                return try_again(request, f"database unavailable ({type(error).__name__})")
            raise
        return CloudAdapter._to_aiohttp_response(response)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        # The SDK's default would post the exception text into the chat.
        if database_unavailable(error):
            raise error  # answered 503: the Bot Connector retries the activity
        log.error("Teams turn failed: %s", type(error).__name__, exc_info=error)

    # -- turns ----------------------------------------------------------------------------------

    async def _on_installation_update(self, context: TurnContext, state: TurnState) -> None:
        activity = _raw(context)
        if bot_removed(activity):
            await self._forget(activity)
        else:
            who = sender(activity)
            await self._remember(activity, person=who)
            welcomed = await self._welcome(context, activity, who)
            await self._adopt_team(activity, who)
            if not welcomed:
                await self._greet(context, activity, who)

    async def _greet(self, context: TurnContext, activity: Json, who: Sender | None) -> None:
        """Someone added the app for themselves (its 1:1 chat) after the tenant's first install:
        their own settings card is the greeting."""
        info = conversation_info(activity)
        if self._interactions is None or who is None or info is None or info.kind != "dm":
            return
        if activity.get("action") != "add":  # an upgrade greets no one again
            return
        card = await self._interactions.settings.activity(info, who)
        await context.send_activity(Activity.model_validate(card))

    async def _welcome(
        self, context: TurnContext, activity: Json, installer: Sender | None
    ) -> bool:
        """The tenant default from the installer's zone and locale (Teams' clientInfo), made
        once; the first install also gets a welcome card showing it, in the installer's 1:1
        chat (or, when that cannot be opened, where the app was added). True when it was sent."""
        info = conversation_info(activity)
        if self._onboarding is None or info is None or installer is None:
            return False
        welcome = await self._onboarding.installed(
            PLATFORM, info.tenant, installer=installer.id, tz=installer.tz, locale=installer.locale
        )
        if welcome is None:
            return False
        card = reply_activity(welcome)
        if self._interactions is not None:  # the default as a form, to change it right there
            card = await self._interactions.default_form(card, info.tenant, welcome.locale)
        if info.kind != "dm" and self._private is not None:
            try:
                await self._private(info.tenant, installer.id, card)
                return True
            except DeliveryError as error:
                log.info("could not open the installer's 1:1 chat (%s)", error.code)
        await context.send_activity(Activity.model_validate(card))
        return True

    async def _adopt_team(self, activity: Json, installer: Sender | None) -> None:
        """Added to a Teams team: the team gets a policy (the tenant default's preset, zone and
        holidays, as every new team: ``bot.services.team_start``; the channel it was added in
        watched) led by whoever
        added the app: in Teams, adding an app to a team is a team owner's right by default.
        Leaders name others with `team leader add`. A team that already has a policy keeps it
        (reinstalls change nothing)."""
        info = conversation_info(activity)
        if info is None or info.kind != "channel" or info.team is None or installer is None:
            return
        team_name = str((activity.get("channelData") or {}).get("team", {}).get("name") or "Team")
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).get_or_create(
                PLATFORM, info.tenant, now=now
            )
            teams = TeamRepository(session)
            if await teams.by_external_id(workspace.id, info.team) is not None:
                return
            name = team_name[:200]
            suffix = 2
            while await teams.by_name(workspace.id, name) is not None:
                name, suffix = f"{team_name[:190]} ({suffix})", suffix + 1
            # the tenant default's preset, zone and holidays (the adder's zone when none)
            start = await team_start(
                session,
                workspace.id,
                preset_name=None,
                creator_tz=installer.tz,
                creator_locale=installer.locale,
            )
            team = await teams.create(
                workspace.id,
                name,
                now=now,
                external_id=info.team,
                locale=normalize_locale(installer.locale),
                **start.fields(),
            )
            await teams.watch(team, info.conversation)
            leader = await PersonRepository(session).get_or_create(
                workspace.id, installer.id, now=now, display_name=installer.name
            )
            await teams.add_leader(team.id, leader.id)
        log.info("Teams team %s adopted a quiet-hours policy", info.team)

    async def _on_conversation_update(self, context: TurnContext, state: TurnState) -> None:
        activity = _raw(context)
        channel = deleted_channel(activity)
        if bot_removed(activity):
            await self._forget(activity)
        elif channel is not None:
            await self._forget(activity, only=channel)
        else:
            await self._remember(activity)

    async def _on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = _raw(context)
        info = conversation_info(activity)
        who = sender(activity)
        await self._remember(activity, person=who, info=info, quick=True)
        await watch_channel_message(self._watcher, self._sessions, activity, self._clock)
        # With ChannelMessage.Read.Group the bot sees every channel message: it answers only
        # in its personal chat or when it is @mentioned.
        if info is not None and (info.kind == "dm" or bot_mentioned(activity)):
            if not await self._first_turn(info, activity):
                log.info("a Teams command arrived again; it was answered the first time")
                return
            await self._answer(context, activity, info, who)

    async def _on_reaction(self, context: TurnContext, state: TurnState) -> None:
        """✅ 👍 on a channel message: two people's make a decision (the decision guard)."""
        await watch_reaction(self._watcher, _raw(context), self._clock)

    async def _on_guard_action(
        self, context: TurnContext, state: TurnState, data: object
    ) -> AdaptiveCardInvokeResponse:
        """*Reopen for discussion* / *Confirm decision* on a guard card."""
        activity = _raw(context)
        who = sender(activity)
        locale = normalize_locale(who.locale if who is not None else None)
        try:
            info = conversation_info(activity)
            action = _mapping(_mapping(activity.get("value")).get("action"))
            if info is None or who is None or self._watcher is None:
                card = notice_card(translate("cmd.error", locale), locale, error=True)
            else:
                card = await guard_card_action(
                    self._watcher.guard,
                    str(action.get("verb") or ""),
                    _mapping(data),
                    info,
                    who,
                    private=self._private,
                )
        except Exception as error:
            if database_unavailable(error):
                raise
            log.exception("a Teams decision guard button failed")
            card = notice_card(translate("cmd.error", locale), locale, error=True)
        return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card)

    async def _answer(
        self, context: TurnContext, activity: Json, info: ConversationInfo, who: Sender | None
    ) -> None:
        """A command's answer as an Adaptive Card, in the thread where it was asked."""
        if self._interactions is None or who is None:
            locale = who.locale if who is not None else None
            await context.send_activity(texts.text("teams.help", locale))
            return
        answer, reply = await self._interactions.command_reply(activity, info, who)
        if info.kind == "dm" or self._private is None:
            await context.send_activity(Activity.model_validate(answer))
            return
        # Asked in a channel or group chat: Teams has no private replies there, and answers
        # carry private things (`me`, `status`, held text), so the answer goes to the 1:1 chat.
        locale = who.locale
        try:
            await self._private(info.tenant, who.id, answer)
        except DeliveryError as error:
            log.info("could not answer privately (%s); said so in the channel", error.code)
            await context.send_activity(translate(undelivered_answer(reply), locale))
            return
        await context.send_activity(translate("teams.answered_privately", locale))

    # -- invokes: card buttons and the Send later message extension -----------------------------

    async def _on_card_action(
        self, context: TurnContext, state: TurnState, data: object
    ) -> AdaptiveCardInvokeResponse:
        """``Action.Execute`` on one of our cards: the card comes back replaced, never an error."""
        activity = _raw(context)
        who = sender(activity)
        locale = normalize_locale(who.locale if who is not None else None)
        try:
            info = conversation_info(activity)
            await self._remember(activity, person=who, info=info, quick=True)
            action = _mapping(_mapping(activity.get("value")).get("action"))
            verb = str(action.get("verb") or "")
            if info is None or who is None or self._interactions is None:
                card = notice_card(translate("cmd.error", locale), locale, error=True)
            elif verb.startswith(SETTINGS):  # the settings card, in place
                card = await self._interactions.settings.action(verb, _mapping(data), info, who)
            else:
                card = await self._interactions.card_action(verb, _mapping(data), info, who)
        except Exception:
            log.exception("a Teams card action failed")
            card = notice_card(translate("cmd.error", locale), locale, error=True)
        return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card)

    async def _on_compose_extension(self, context: TurnContext, state: TurnState) -> None:
        """Send later: hold what was written; the answer is a dialog (with its own buttons)."""
        activity = _raw(context)
        who = sender(activity)
        locale = normalize_locale(who.locale if who is not None else None)
        try:
            info = conversation_info(activity)
            await self._remember(activity, person=who, info=info, quick=True)
            if info is None or who is None or self._interactions is None:
                raise LookupError("an invoke without tenant, conversation or sender")
            value = _mapping(activity.get("value"))
            if await self._first_turn(info, activity):
                body = await self._interactions.compose_extension(value, info, who)
            else:  # the same invoke again: it acted once, say so kindly
                card = notice_card(translate("cmd.replayed", locale), locale)
                body = dialog_response(card, translate("teams.compose.title", locale))
        except Exception:
            log.exception("the Send later message extension failed")
            card = notice_card(translate("cmd.error", locale), locale, error=True)
            body = dialog_response(card, translate("teams.compose.title", locale))
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body)
            )
        )

    async def _first_turn(self, info: ConversationInfo, activity: Json) -> bool:
        """False when this very activity (its id, in its conversation) was acted on before.

        A command or Send later that arrives twice — a replayed request within its token's
        lifetime, or Teams sending it again — holds one message, as Slack's do
        (``adapters.slack.replay``); the key shares ``seen_events`` with watched messages.
        """
        activity_id = activity.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            return True
        digest = hashlib.sha256(f"{info.conversation};{activity_id}".encode()).hexdigest()
        async with self._sessions() as session, session.begin():
            return await SeenEventRepository(session).first_time(
                PLATFORM, f"turn:{digest}", self._clock.now()
            )

    # -- storage --------------------------------------------------------------------------------

    async def _remember(
        self,
        activity: Json,
        *,
        person: Sender | None = None,
        info: ConversationInfo | None = None,
        quick: bool = False,
    ) -> None:
        """Store (or refresh) the conversation reference, and the person who spoke."""
        info = info or conversation_info(activity)
        if info is None:
            log.info("Teams %s without tenant or service URL ignored", activity.get("type"))
            return
        key = (info.tenant, info.conversation)
        known = quick and self._remembered.get(key) == info.service_url
        if known and (
            person is None or self._seen.get((info.tenant, person.id)) == (person.name or "")
        ):
            return  # a busy channel: nothing new to write
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).get_or_create(
                PLATFORM, info.tenant, now=now
            )
            if workspace.uninstalled_at is not None:  # installed again
                workspace.uninstalled_at = None
            if not known:
                await ConversationRepository(session).save(
                    workspace.id,
                    info.conversation,
                    kind=info.kind,
                    service_url=info.service_url,
                    reference=info.reference_json(),
                    now=now,
                )
            if person is not None:
                row = await PersonRepository(session).get_or_create(
                    workspace.id,
                    person.id,
                    now=now,
                    display_name=person.name,
                    tz=person.tz,
                    locale=person.locale,
                )
                if person.name and row.display_name != person.name:
                    row.display_name, row.updated_at = person.name, now
                if person.aad_object_id and row.directory_id != person.aad_object_id:
                    row.directory_id, row.updated_at = person.aad_object_id, now
                # a person first known as someone else's recipient gets the zone and locale
                # their own client reports when they first write
                if person.tz and row.tz != person.tz:
                    row.tz, row.updated_at = person.tz, now
                if person.locale and row.locale is None:
                    row.locale, row.updated_at = person.locale, now
        self._remembered.put(key, info.service_url)
        if person is not None:
            self._seen.put((info.tenant, person.id), person.name or "")
            if self._defaults is not None:  # first sight: their defaults, in the background
                self._defaults.seen_in_background(PLATFORM, info.tenant, person.id)

    async def _forget(self, activity: Json, *, only: str | None = None) -> None:
        """The bot left a chat or team (or a channel was deleted): cancel, erase, forget."""
        info = conversation_info(activity)
        if info is None:
            return
        now = self._clock.now()
        team_wide = only is None and info.kind == "channel" and info.team is not None
        async with self._sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).find(PLATFORM, info.tenant)
            if workspace is None:
                return
            conversations = ConversationRepository(session)
            targets = {only or info.conversation}
            if team_wide:
                assert info.team is not None
                for row in await conversations.mentioning(
                    workspace.id, info.team, kinds=("channel",)
                ):
                    if parse_reference(row.reference).get("teamId") == info.team:
                        targets.add(row.conversation_id)
            held = HeldMessageRepository(session, self._cipher)
            excerpts = ExcerptRepository(session, self._cipher)
            erased = 0
            for conversation in sorted(targets):
                erased += len(
                    await held.erase_for_workspace(workspace.id, now, conversation_id=conversation)
                )
                await excerpts.erase_conversation(workspace.id, conversation)
                await conversations.forget(workspace.id, conversation)
                self._remembered.drop((info.tenant, conversation))
            # the app is gone from the tenant: nothing of it is kept (see bot.services.erase)
            gone = not await conversations.for_workspace(workspace.id, limit=1)
            if gone:
                await erase_workspace(session, PLATFORM, info.tenant)
        log.info(
            "Teams app left %d conversation(s) in tenant %s: %d held message(s) cancelled%s",
            len(targets),
            info.tenant,
            erased,
            "; uninstalled, everything of the tenant erased" if gone else "",
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _anonymous_provider(configuration: AgentAuthConfiguration) -> AccessTokenProviderBase:
    return AnonymousTokenProvider()
