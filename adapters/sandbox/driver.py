"""Plays Slack's side of the conversation with our app: signed slash commands, clicks and events.

The sandbox Slack Web API (:mod:`adapters.sandbox.slack_api`) answers the app's calls; this
driver makes the calls Slack makes *to* the app — signed exactly as Slack signs them (v0
HMAC-SHA256 over the timestamp and the body) and shaped like Slack's payloads. The demo and the
end-to-end tests use it, so both exercise the same HTTP path as production.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.sandbox.slack_api import FakeSlack, Message

__all__ = ["SlackDriver", "sign"]


def sign(
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The headers Slack sends with ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


class SlackDriver:
    """Sends the app what Slack would send, for one workspace of a :class:`FakeSlack`."""

    def __init__(
        self, *, slack: FakeSlack, url: str, signing_secret: str, http: aiohttp.ClientSession
    ) -> None:
        self.slack = slack
        self.url = url  # the app's POST /slack/events
        self._secret = signing_secret
        self._http = http
        self._hooks = itertools.count(1)
        self._events = itertools.count(1)
        self._triggers = itertools.count(1)

    async def post(self, body: bytes, content_type: str) -> tuple[int, str]:
        headers = sign(self._secret, body, content_type=content_type)
        async with self._http.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    def _trigger(self) -> str:
        return f"{next(self._triggers)}.{int(time.time())}.sandbox"

    async def command(
        self, user: str, text: str, *, channel: str, user_name: str | None = None
    ) -> dict[str, Any]:
        """``/quiet TEXT``; returns the acknowledgement (the private answer) as JSON."""
        fields = {
            "token": "sandbox",
            "team_id": self.slack.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": user_name or user.lower(),
            "command": "/quiet",
            "text": text,
            "api_app_id": "A_QUIET",
            "response_url": self.slack.response_url(str(next(self._hooks))),
            "trigger_id": self._trigger(),
        }
        status, answer = await self.post(
            urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )
        if status != 200:
            raise RuntimeError(f"/quiet answered {status}: {answer}")
        return dict(json.loads(answer)) if answer else {}

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    def _who(self, user: str) -> dict[str, Any]:
        return {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": self.slack.team_id,
        }

    async def click(
        self, user: str, action_id: str, value: str, *, channel: str | None = None
    ) -> tuple[int, str]:
        """A button in a message (``channel``) or, without a channel, in the App Home."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._who(user),
            "api_app_id": "A_QUIET",
            "team": {"id": self.slack.team_id, "domain": "sandbox"},
            "trigger_id": self._trigger(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "s1",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if channel is not None:
            payload["container"] = {"type": "message", "channel_id": channel, "is_ephemeral": True}
            payload["channel"] = {"id": channel, "name": channel.lower()}
            payload["response_url"] = self.slack.response_url(str(next(self._hooks)))
        else:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "team_id": self.slack.team_id}
        return await self.interact(payload)

    async def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        metadata: str = "",
    ) -> tuple[int, str]:
        """A modal's Submit; ``values`` maps block ids to the element's state."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.slack.team_id, "domain": "sandbox"},
            "user": self._who(user),
            "api_app_id": "A_QUIET",
            "trigger_id": self._trigger(),
            "view": {
                "id": "VMODAL",
                "team_id": self.slack.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": metadata,
                "state": {"values": {block: {"value": v} for block, v in values.items()}},
                "app_installed_team_id": self.slack.team_id,
            },
            "response_urls": [],
        }
        return await self.interact(payload)

    async def shortcut(
        self, user: str, callback_id: str, *, message: Message | None = None
    ) -> tuple[int, str]:
        payload: dict[str, Any] = {
            "type": "message_action" if message else "shortcut",
            "token": "sandbox",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": self.slack.team_id, "domain": "sandbox"},
            "user": self._who(user),
            "callback_id": callback_id,
            "trigger_id": self._trigger(),
        }
        if message is not None:
            payload["channel"] = {"id": message.channel, "name": message.channel.lower()}
            payload["message"] = {
                "type": "message",
                "text": message.text,
                "user": message.user,
                "ts": message.ts,
            }
            payload["message_ts"] = message.ts
            payload["response_url"] = self.slack.response_url(str(next(self._hooks)))
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], event_id: str | None = None) -> tuple[int, str]:
        """An Events API callback (a retry when ``event_id`` repeats an earlier one)."""
        body = {
            "token": "sandbox",
            "team_id": self.slack.team_id,
            "api_app_id": "A_QUIET",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._events):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.slack.team_id, "user_id": self.slack.bot_user, "is_bot": True}
            ],
        }
        return await self.post(json.dumps(body).encode(), "application/json")

    async def message(
        self,
        message: Message,
        *,
        channel_type: str = "channel",
        event_id: str | None = None,
    ) -> tuple[int, str]:
        """Slack reports a message someone posted (see :meth:`FakeSlack.user_writes`)."""
        event: dict[str, Any] = {
            "type": "message",
            "channel": message.channel,
            "channel_type": channel_type,
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        return await self.event(event, event_id)
