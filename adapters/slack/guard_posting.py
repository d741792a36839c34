"""The decision guard on Slack: post the thread reply, refresh it in place, ask leaders privately.

A part of :class:`adapters.slack.platform.SlackPlatform` (the :class:`bot.ports.GuardPoster`
port), kept apart so the platform module stays one job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback_text
from adapters.slack.guard_blocks import guard_blocks, guard_question_blocks, guard_text
from adapters.slack.mrkdwn import conversation_link
from bot.domain.guard_view import GuardView
from bot.ports import DeliveryError

__all__ = ["SlackGuardPosting"]


class SlackGuardPosting:
    """Mixed into ``SlackPlatform``, which provides the client, the error mapping and members."""

    _bot_users: dict[str, str]

    if TYPE_CHECKING:
        # provided by SlackPlatform, which this is mixed into (declared for the type checker only)
        async def _client(self, workspace: str, person: str | None = None) -> AsyncWebClient: ...

        def _classify(self, error: BaseException) -> DeliveryError: ...

        async def channel_members(self, workspace: str, conversation: str) -> list[str]: ...

    async def post_guard(
        self, workspace: str, conversation: str, thread: str, view: GuardView
    ) -> str:
        try:
            client = await self._client(workspace)
            response = await client.chat_postMessage(
                channel=conversation,
                thread_ts=thread,
                text=fallback_text(guard_text(view)),
                blocks=guard_blocks(view),
            )
        except Exception as error:
            raise self._classify(error) from error
        return str(response["ts"])

    async def update_guard(
        self, workspace: str, conversation: str, message_id: str, view: GuardView, who: str | None
    ) -> None:
        try:
            client = await self._client(workspace)
            await client.chat_update(
                channel=conversation,
                ts=message_id,
                text=fallback_text(guard_text(view, who)),
                blocks=guard_blocks(view, who),
            )
        except Exception as error:
            raise self._classify(error) from error

    async def ask_leader(self, workspace: str, person: str, view: GuardView) -> None:
        """A direct message from the app to the leader, with the two buttons."""
        where = conversation_link(view.conversation) or view.conversation
        try:
            client = await self._client(workspace)
            await client.chat_postMessage(
                channel=person,
                text=fallback_text(view.question(where=where)),
                blocks=guard_question_blocks(view),
            )
        except Exception as error:
            raise self._classify(error) from error

    async def people_in(self, workspace: str, conversation: str) -> list[str]:
        """The channel's members but the app itself (``auth.test`` names it, once)."""
        members = await self.channel_members(workspace, conversation)
        bot = self._bot_users.get(workspace)
        if bot is None:
            try:
                client = await self._client(workspace)
                answer: Any = await client.auth_test()
                bot = self._bot_users[workspace] = str(answer.get("user_id") or "")
            except Exception as error:
                raise self._classify(error) from error
        return [member for member in members if member != bot]
