"""Slack's side of the ChatPlatform port, on slack-sdk's AsyncWebClient."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.audience import GroupDms, PeopleDirectory
from adapters.slack.blocks import digest_blocks, fallback_text, reply_blocks, text_sections
from adapters.slack.charts import send_chart
from adapters.slack.guard_blocks import reader_time
from adapters.slack.guard_posting import SlackGuardPosting
from adapters.slack.limits import FALLBACK_TEXT, MESSAGE_BLOCKS
from adapters.slack.mrkdwn import conversation_link
from bot.domain.digest import DigestView
from bot.domain.markup import user_text
from bot.i18n import render_instants, translate
from bot.ports import (
    DeliveryError,
    DeliveryErrorKind,
    OutgoingMessage,
    PlatformHours,
    PostedMessage,
    UserProfile,
)
from bot.services.audience import PlatformPeople
from bot.services.commands.replies import Reply
from bot.services.directory import zone_or_utc

__all__ = [
    "DELIVERY_EVENT",
    "PERMANENT_ERRORS",
    "SlackPlatform",
    "attributed_blocks",
    "classify",
    "fallback_text",
]

log = logging.getLogger(__name__)

#: The message-metadata event type that tags what we deliver with the held message's id.
DELIVERY_EVENT = "quiet_hours_delivery"

#: Slack error codes that no retry will fix: the author must be told.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "token_revoked",
        "account_inactive",
        "not_authed",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "user_not_found",
        "team_access_not_granted",
    }
)

#: ``conversations.members`` pages read at most (1,000 members each).
MEMBER_PAGES = 50

TokenLookup = Callable[[str, str | None], Awaitable[str | None]]


def attributed_blocks(message: OutgoingMessage) -> list[dict[str, Any]]:
    """The text, then who wrote it and when, for a post the bot makes on someone's behalf.

    The text goes through :func:`bot.domain.markup.user_text` (no mention, broadcast or
    disguised link can come out of it); the attribution is a context block of its own, with a
    real mention, which no escaped text can imitate. Language-neutral on purpose: a mention
    and Slack's own date token, which Slack renders in each reader's zone and language.
    """
    parts = [f"<@{message.author}>"]
    if message.written_at is not None:
        stamp = int(message.written_at.timestamp())
        fallback = message.written_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>")
    icon = ":rotating_light:" if message.urgent else ":mailbox_with_mail:"
    # people's words made inert, in sections of at most 3,000 characters cut at safe places
    # (40,000 characters, the most Slack posts, make 14 — well under 50 blocks)
    sections = text_sections(user_text(message.text))[: MESSAGE_BLOCKS - 1]
    context = {"type": "mrkdwn", "text": f"{icon} " + " · ".join(parts)}
    return [*sections, {"type": "context", "elements": [context]}]


def attributed_text(message: OutgoingMessage) -> str:
    """The notification (and fallback) text of a post the bot makes for someone: who, then
    what — the author first, as a real mention, so the text cannot pass for someone else's;
    within Slack's recommended 4,000 characters."""
    return fallback_text(f"<@{message.author}>: {user_text(message.text)}")


def classify(error: BaseException) -> DeliveryError:
    """Turn whatever the Web API call raised into a :class:`DeliveryError`."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, SlackApiError):
        response = error.response
        status = getattr(response, "status_code", 200)
        if status == 429:
            retry_after = _retry_after(response.headers if response is not None else {})
            return DeliveryError(
                DeliveryErrorKind.RATE_LIMITED, "ratelimited", retry_after=retry_after
            )
        if status >= 500:
            return DeliveryError(DeliveryErrorKind.TRANSIENT, f"http_{status}")
        code = str(response.get("error", "unknown_error")) if response is not None else "unknown"
        if code in PERMANENT_ERRORS:
            return DeliveryError(DeliveryErrorKind.PERMANENT, code)
        return DeliveryError(DeliveryErrorKind.TRANSIENT, code)
    if isinstance(error, asyncio.TimeoutError | aiohttp.ClientError | ConnectionError):
        return DeliveryError(DeliveryErrorKind.TRANSIENT, type(error).__name__)
    return DeliveryError(DeliveryErrorKind.TRANSIENT, type(error).__name__)


def _retry_after(headers: Any) -> float:
    for name in ("Retry-After", "retry-after"):
        value = headers.get(name) if hasattr(headers, "get") else None
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


class SlackPlatform(SlackGuardPosting):
    """Posts, labels and notes in one or more Slack workspaces (and the decision guard's
    replies, :mod:`adapters.slack.guard_posting`).

    ``token_for(workspace, person)`` returns the bot token (``person=None``) or a person's user
    token (for auto-hold re-posts as the author); tokens are looked up per call so a revoked
    workspace stops at once.
    """

    def __init__(
        self,
        *,
        token_for: TokenLookup,
        base_url: str,
        timeout: int = 10,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._token_for = token_for
        self._base_url = base_url
        self._timeout = timeout
        self._session = session
        self._own_session = session is None
        self._clients: dict[str, AsyncWebClient] = {}
        self._people = PeopleDirectory(self._client)
        self._group_dms = GroupDms(self._client)
        self._bot_users: dict[str, str] = {}  # workspace → the app's own user id

    def _http(self) -> aiohttp.ClientSession:
        # One pooled HTTP session for every call: a Monday herd must not open a connection
        # per message. Created lazily inside the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, limit_per_host=100)
            )
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def _classify(self, error: BaseException) -> DeliveryError:
        return classify(error)

    async def _client(self, workspace: str, person: str | None = None) -> AsyncWebClient:
        token = await self._token_for(workspace, person)
        if token is None:
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "token_revoked")
        client = self._clients.get(token)
        if client is None or client.session is None or client.session.closed:
            if len(self._clients) > 1000:
                self._clients.clear()
            client = self._clients[token] = AsyncWebClient(
                token=token,
                base_url=self._base_url,
                timeout=self._timeout,
                session=self._http(),
                retry_handlers=[],  # the delivery engine owns retries and Retry-After
            )
        return client

    async def post(self, message: OutgoingMessage) -> PostedMessage:
        try:
            client = await self._client(message.workspace, message.as_author)
            kwargs: dict[str, Any] = {"channel": message.conversation, "text": message.text}
            if message.thread:
                kwargs["thread_ts"] = message.thread
            if message.blocks:
                kwargs["blocks"] = list(message.blocks)
                kwargs["text"] = fallback_text(message.text)
            elif message.author and not message.as_author:
                # the bot speaks for someone: their words made inert, and their name on it
                kwargs["blocks"] = attributed_blocks(message)
                kwargs["text"] = attributed_text(message)
            if message.tag:
                kwargs["metadata"] = {
                    "event_type": DELIVERY_EVENT,
                    "event_payload": {"held_id": message.tag},
                }
            response = await client.chat_postMessage(**kwargs)
        except Exception as error:  # every failure is classified for the engine
            raise classify(error) from error
        return PostedMessage(conversation=str(response["channel"]), message_id=str(response["ts"]))

    async def find_tagged(self, workspace: str, conversation: str, tag: str) -> str | None:
        """Recent history of the conversation, searched for our delivery tag (crash recovery)."""
        try:
            client = await self._client(workspace)
            response = await client.conversations_history(
                channel=conversation, limit=200, include_all_metadata=True
            )
        except Exception as error:
            raise classify(error) from error
        messages: list[dict[str, Any]] = response.get("messages") or []
        for item in messages:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == DELIVERY_EVENT and payload.get("held_id") == tag:
                return str(item["ts"])
        return None

    async def notify(self, workspace: str, person: str, text: str) -> None:
        """A private note: a DM from the bot (ephemeral needs a channel the person is in)."""
        try:
            client = await self._client(workspace)
            await client.chat_postMessage(channel=person, text=text)
        except Exception as error:
            raise classify(error) from error

    async def send_reply(self, workspace: str, person: str, reply: Reply) -> None:
        """A reply (a leader's weekly insight) in the person's DM with the app, its chart as a
        file below it (see ``adapters.slack.charts``)."""
        try:
            client = await self._client(workspace)
            await client.chat_postMessage(
                channel=person, text=fallback_text(reply.text), blocks=reply_blocks(reply)
            )
            if reply.chart is not None:
                await send_chart(client, person, reply.chart, reply.chart.title)
        except Exception as error:
            raise classify(error) from error

    async def place_name(self, workspace: str, conversation: str, locale: str) -> str:
        """``<#C2>`` / ``<@U1>``, which Slack shows as the channel's or person's name, linked."""
        return conversation_link(conversation) or translate("autohold.dm", locale)

    async def add_label(
        self, workspace: str, conversation: str, thread: str, text: str
    ) -> str | None:
        """The thread reply is the label; the reaction on the message is a courtesy."""
        try:
            client = await self._client(workspace)
            response = await client.chat_postMessage(
                channel=conversation,
                thread_ts=thread,
                text=render_instants(text, reader_time),  # each reader's own zone
            )
        except Exception as error:
            raise classify(error) from error
        try:
            await client.reactions_add(channel=conversation, timestamp=thread, name="zzz")
        except Exception:  # e.g. already_reacted, or the message was deleted meanwhile
            log.info("could not add the quiet-hours reaction to a labelled thread")
        return str(response["ts"])

    async def user_profile(self, workspace: str, person: str) -> UserProfile:
        try:
            client = await self._client(workspace)
            response = await client.users_info(user=person, include_locale=True)
        except Exception as error:
            raise classify(error) from error
        user = response.get("user") or {}
        return UserProfile(
            id=person,
            name=str(user.get("real_name") or user.get("name") or person),
            tz=user.get("tz"),
            locale=user.get("locale"),
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            # Slackbot is no app user (is_bot false) but reads nothing either
            is_bot=bool(user.get("is_bot") or user.get("is_app_user")) or person == "USLACKBOT",
            deleted=bool(user.get("deleted")),
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        )

    async def person_channels(self, workspace: str, person: str, *, limit: int) -> list[str]:
        """The public and private channels ``person`` is in that the app can see
        (``users.conversations``, Tier 3, paged; private ones only where the app is too), at
        most ``limit``. Raises :class:`DeliveryError`."""
        channels: list[str] = []
        cursor: str | None = None
        try:
            client = await self._client(workspace)
            while len(channels) < limit:
                response = await client.users_conversations(
                    user=person,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=min(200, limit),
                    cursor=cursor,
                )
                channels += [
                    str(found["id"])
                    for found in response.get("channels") or []
                    if isinstance(found, dict) and found.get("id")
                ]
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except Exception as error:
            raise classify(error) from error
        return channels[:limit]

    async def known_profile(self, workspace: str, person: str) -> UserProfile:
        """Name, zone and locale as Slack has them now (``users.info``, Tier 4)."""
        return await self.user_profile(workspace, person)

    async def platform_hours(
        self, workspace: str, person: str, tz: str | None
    ) -> PlatformHours | None:
        """The person's Slack notification schedule (``dnd.teamInfo``, Tier 3), or None.

        Slack reports when do-not-disturb next starts and ends; notifications are on from the
        end to the start, in the person's zone. Slack's schedule has no weekdays (the same
        every day), so it says ``mon-sun`` with ``own_days=False``: the policy that applies
        to the person gives the days. None when no schedule is set.
        """
        try:
            client = await self._client(workspace)
            response = await client.dnd_teamInfo(users=person)
        except Exception as error:
            raise classify(error) from error
        info = (response.get("users") or {}).get(person) or {}
        start, end = info.get("next_dnd_start_ts"), info.get("next_dnd_end_ts")
        if not info.get("dnd_enabled") or not start or not end:
            return None
        zone = zone_or_utc(tz)
        quiet_from = datetime.fromtimestamp(float(start), tz=UTC).astimezone(zone)
        quiet_until = datetime.fromtimestamp(float(end), tz=UTC).astimezone(zone)
        if (quiet_from.hour, quiet_from.minute) == (quiet_until.hour, quiet_until.minute):
            return None
        spec = f"mon-sun {quiet_until:%H:%M}-{quiet_from:%H:%M} tz {zone.key}"
        return PlatformHours(spec, own_days=False)

    async def post_digest(
        self, workspace: str, conversation: str, view: DigestView
    ) -> PostedMessage:
        """The digest as Block Kit, each thread linked (``chat.getPermalink``, no history read)."""
        try:
            client = await self._client(workspace)
        except Exception as error:
            raise classify(error) from error
        links: dict[tuple[str, str], str] = {}
        for thread in view.threads[: MESSAGE_BLOCKS - 4]:  # as many as digest_blocks shows
            try:
                found = await client.chat_getPermalink(
                    channel=thread.conversation, message_ts=thread.thread
                )
            except Exception:  # a deleted thread still gets its line, without a link
                continue
            if found.get("permalink"):
                links[(thread.conversation, thread.thread)] = str(found["permalink"])
        return await self.post(
            OutgoingMessage(
                workspace=workspace,
                conversation=conversation,
                text=view.text(limit=FALLBACK_TEXT),
                blocks=tuple(digest_blocks(view, links)),
            )
        )

    # -- acting as a person who granted user scopes (auto-hold) -----------------------------------

    async def take_down(
        self, workspace: str, conversation: str, message_id: str, author: str
    ) -> None:
        try:
            client = await self._client(workspace, author)
            await client.chat_delete(channel=conversation, ts=message_id)
        except Exception as error:
            raise classify(error) from error

    async def schedule_as_author(self, message: OutgoingMessage, at: datetime) -> str | None:
        """``chat.scheduleMessage`` with the author's token, so Slack posts it as them, on time.

        No message metadata here: Slack never posts scheduled messages that carry it.
        """
        assert message.as_author is not None
        try:
            client = await self._client(message.workspace, message.as_author)
            kwargs: dict[str, Any] = {
                "channel": message.conversation,
                "text": message.text,
                "post_at": int(at.timestamp()),
            }
            if message.thread:
                kwargs["thread_ts"] = message.thread
            response = await client.chat_scheduleMessage(**kwargs)
        except Exception as error:
            raise classify(error) from error
        scheduled = response.get("scheduled_message_id")
        return str(scheduled) if scheduled else None

    async def unschedule(
        self, workspace: str, conversation: str, schedule_id: str, author: str
    ) -> bool:
        try:
            client = await self._client(workspace, author)
            await client.chat_deleteScheduledMessage(
                channel=conversation, scheduled_message_id=schedule_id
            )
        except SlackApiError as error:
            if error.response.get("error") == "invalid_scheduled_message_id":
                return False  # already posted, or withdrawn before
            raise classify(error) from error
        except Exception as error:
            raise classify(error) from error
        return True

    async def dm_partner(self, workspace: str, conversation: str, author: str) -> str | None:
        try:
            client = await self._client(workspace, author)
            response = await client.conversations_info(channel=conversation)
        except Exception as error:
            raise classify(error) from error
        partner = (response.get("channel") or {}).get("user")
        return str(partner) if partner and partner != author else None

    async def channel_members(self, workspace: str, conversation: str) -> list[str]:
        """Everyone in a conversation (``conversations.members``, every page of it).

        Slack answers ``channel_not_found`` for a private channel the bot is not in; that is
        raised as a :class:`DeliveryError` like any other failure.
        """
        members: list[str] = []
        cursor: str | None = None
        try:
            client = await self._client(workspace)
            for _ in range(MEMBER_PAGES):
                kwargs: dict[str, Any] = {"channel": conversation, "limit": 1000}
                if cursor:
                    kwargs["cursor"] = cursor
                response = await client.conversations_members(**kwargs)
                members += [str(member) for member in response.get("members") or []]
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except Exception as error:
            raise classify(error) from error
        return members

    async def people_directory(self, workspace: str) -> PlatformPeople:
        """The workspace's bots and deactivated users, and everyone's zone (``users.list``,
        cached an hour): a channel's audience is its human members, each in their own zone.
        Raises :class:`DeliveryError`."""
        try:
            return await self._people.people(workspace)
        except Exception as error:
            raise classify(error) from error

    async def is_group_chat(self, workspace: str, conversation: str) -> bool:
        """Whether ``conversation`` is a group DM (``mpim``): its members are its audience.
        Raises :class:`DeliveryError`."""
        try:
            return await self._group_dms.is_group_dm(workspace, conversation)
        except Exception as error:
            raise classify(error) from error
