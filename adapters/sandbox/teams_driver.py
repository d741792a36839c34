"""Teams-shaped activities for the sandbox, posted to ``/api/messages`` as Teams posts them.

What Teams sends a bot, reduced to what it always carries: a tenant, a ``serviceUrl`` (here the
:class:`~adapters.sandbox.bot_connector.SandboxConnector`), the sender with their Entra object id,
the locale and a ``clientInfo`` entity with the person's time zone, and for channel messages the
team and channel in ``channelData`` and ``;messageid=`` in the conversation id. Commands in a
channel @mention the bot (``<at>Quiet Hours</at> …``); a mention of a person carries its entity.
The app answers a command asked in a channel in the asker's 1:1 chat, as it does in Teams.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.sandbox.bot_connector import Call, SandboxConnector

__all__ = ["Member", "TeamsDriver", "card_text"]

Json = dict[str, Any]
BOT_NAME = "Quiet Hours"
_ids = itertools.count(1_764_000_000_000)


@dataclass(frozen=True)
class Member:
    """A person in the sandbox tenant: Teams' ``29:`` id, name, Entra object id, language."""

    id: str
    name: str
    aad_object_id: str
    locale: str = "en-GB"
    timezone: str = "Europe/Oslo"

    @property
    def account(self) -> Json:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    @property
    def personal_chat(self) -> str:
        """The id the sandbox gives the bot's 1:1 chat with this person."""
        return f"a:personal-{self.id}"


def card_text(activity: Json) -> str:
    """Everything an activity's Adaptive Card says, in order (texts, facts, button titles);
    the activity's own text when it has no card."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict) and node.get("type") == "RichTextBlock":
            runs = node.get("inlines") or []  # one paragraph, run after run
            parts.append("".join(str(r.get("text", "")) for r in runs if isinstance(r, dict)))
        elif isinstance(node, dict):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for child in node.values():
                if isinstance(child, dict | list):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            walk(attachment["content"].get("body"))
    return "\n".join(parts) if parts else str(activity.get("text") or "")


@dataclass
class TeamsDriver:
    """Sends activities to the app's ``/api/messages`` as Teams would (anonymously: loopback)."""

    url: str
    connector: SandboxConnector
    http: aiohttp.ClientSession
    bot_id: str
    tenant: str
    team: str
    team_name: str

    # -- activities --

    def _base(self, kind: str, conversation: Json, sender: Member, data: Json) -> Json:
        return {
            "type": kind,
            "id": str(next(_ids)),
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": sender.account,
            "conversation": {"tenantId": self.tenant, **conversation},
            "recipient": {"id": self.bot_id, "name": BOT_NAME},
            "channelData": {"tenant": {"id": self.tenant}, **data},
            "locale": sender.locale,
            "localTimezone": sender.timezone,
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": sender.locale,
                    "timezone": sender.timezone,
                    "platform": "Web",
                }
            ],
        }

    def _team_data(self, channel: str) -> Json:
        return {
            "teamsChannelId": channel,
            "teamsTeamId": self.team,
            "channel": {"id": channel},
            "team": {"id": self.team, "name": self.team_name},
        }

    def installation(self, installer: Member, channel: str) -> Json:
        """``installer`` added the app to the team, in ``channel``."""
        conversation = {"isGroup": True, "conversationType": "channel", "id": channel}
        data = self._team_data(channel) | {"settings": {"selectedChannel": {"id": channel}}}
        activity = self._base("installationUpdate", conversation, installer, data)
        activity["action"] = "add"
        return activity

    def personal(self, sender: Member, text: str) -> Json:
        """``text`` in the bot's 1:1 chat with ``sender``."""
        conversation = {"conversationType": "personal", "id": sender.personal_chat}
        activity = self._base("message", conversation, sender, {})
        activity.update({"text": text, "textFormat": "plain"})
        return activity

    def channel_message(
        self, sender: Member, text: str, channel: str, *, root: str | None = None
    ) -> Json:
        """A post in ``channel`` (a new thread, or a reply to ``root``), no @mention."""
        activity = self._base("message", {}, sender, self._team_data(channel))
        activity["conversation"] = {
            "tenantId": self.tenant,
            "isGroup": True,
            "conversationType": "channel",
            "id": f"{channel};messageid={root or activity['id']}",
        }
        activity.update(
            {
                "text": text,
                "textFormat": "plain",
                "attachments": [{"contentType": "text/html", "content": f"<p>{text}</p>"}],
            }
        )
        if root is not None:
            activity["replyToId"] = root
        return activity

    def mention(
        self, sender: Member, text: str, channel: str, *, others: tuple[Member, ...] = ()
    ) -> Json:
        """``@Quiet Hours TEXT`` in ``channel``; ``<at>Name</at>`` in TEXT names an ``others``."""
        tag = f"<at>{BOT_NAME}</at>"
        activity = self.channel_message(sender, f"{tag} {text}", channel)
        mentions = [{"type": "mention", "mentioned": {"id": self.bot_id, "name": BOT_NAME}}]
        mentions[0]["text"] = tag
        for other in others:
            mentions.append(
                {"type": "mention", "mentioned": other.account, "text": f"<at>{other.name}</at>"}
            )
        activity["entities"] = mentions + activity["entities"]
        return activity

    # -- sending --

    async def send(self, activity: Json) -> int:
        """POST ``activity``; the HTTP status (202 for a message turn)."""
        async with self.http.post(self.url, json=activity) as response:
            await response.read()
            return response.status

    async def ask(self, activity: Json) -> str:
        """A command; what the app answered privately (its card's text), or ``""``."""
        before = len(self.connector.posted())
        status = await self.send(activity)
        if status >= 300:
            raise RuntimeError(f"the app answered {status} to a Teams activity")
        private = activity["from"]["id"]
        for call in self.connector.posted()[before:]:
            if call.conversation in (f"a:personal-{private}", activity["conversation"]["id"]):
                return card_text(call.body)
        return ""

    def posts(self, conversation_prefix: str) -> list[Call]:
        """What the bot posted in conversations whose id starts with ``conversation_prefix``."""
        return [
            call
            for call in self.connector.posted()
            if (call.conversation or "").startswith(conversation_prefix)
        ]
