"""The decision guard on Teams: the card in the thread, refreshed in place, and the leader's
private question. A part of :class:`adapters.teams.platform.TeamsPlatform` (the
:class:`bot.ports.GuardPoster` port), kept apart so the platform module stays one job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters.teams.activities import split_thread
from adapters.teams.connector import BotConnector
from adapters.teams.guard_card import guard_activity, guard_question_card
from bot.domain.guard_view import GuardView
from bot.i18n import translate

__all__ = ["TeamsGuardPosting"]


class TeamsGuardPosting:
    """Mixed into ``TeamsPlatform``, which provides the targets, the connector and rosters."""

    _connector: BotConnector

    if TYPE_CHECKING:
        # provided by TeamsPlatform, which this is mixed into (declared for the type checker only)
        async def _target(self, tenant: str, conversation: str) -> Any: ...

        async def _send(
            self, target: Any, activity: Mapping[str, Any], reply_to: str | None = None
        ) -> str: ...

        async def _person(self, workspace_id: int, person: str) -> Any: ...

        async def _member_name(self, target: Any, person: str) -> str | None: ...

        async def send_private(
            self, workspace: str, person: str, activity: Mapping[str, Any]
        ) -> str: ...

        async def place_name(self, workspace: str, conversation: str, locale: str) -> str: ...

        async def channel_members(self, workspace: str, conversation: str) -> list[str]: ...

    async def post_guard(
        self, workspace: str, conversation: str, thread: str, view: GuardView
    ) -> str:
        target = await self._target(workspace, split_thread(conversation)[0])
        return await self._send(target, guard_activity(target.reference, view), reply_to=thread)

    async def update_guard(
        self, workspace: str, conversation: str, message_id: str, view: GuardView, who: str | None
    ) -> None:
        target = await self._target(workspace, split_thread(conversation)[0])
        name = None
        if who is not None:
            known = await self._person(target.workspace_id, who)
            name = known.name or await self._member_name(target, who)
        activity = {**guard_activity(target.reference, view, name), "id": message_id}
        await self._connector.update(target.service_url, target.conversation, message_id, activity)

    async def ask_leader(self, workspace: str, person: str, view: GuardView) -> None:
        where = await self.place_name(workspace, view.conversation, view.locale)
        card = guard_question_card(view, where)
        await self.send_private(
            workspace,
            person,
            {
                "summary": translate("guard.button.confirm", view.locale),
                "attachments": [
                    {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
                ],
            },
        )

    async def people_in(self, workspace: str, conversation: str) -> list[str]:
        """A channel's people: what Teams lists for the channel itself (a private or shared
        channel's own members, a standard channel's team; the bot is not on it)."""
        return await self.channel_members(workspace, conversation)
