"""Socket Mode: Slack events over a websocket we open, for installs without a public URL.

The envelopes go to the same bolt app (and so the same listeners) as ``POST /slack/events``;
bolt acknowledges each envelope by its id before the listeners run. Events that have an effect
(``DURABLE_EVENTS``) are stored first, as over HTTP: their envelope is acknowledged only once
the effect is durable, and left unacknowledged while the database is away, so that Slack sends
it again ("Using Socket Mode": an envelope not acknowledged is retried).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError, StartupError, one_line

__all__ = ["SlackSocketMode", "StoreFirst"]

log = logging.getLogger(__name__)

#: ``SlackEvents.store_first``: ``None`` once an event's effect is stored, else why not.
StoreFirst = Callable[[dict[str, Any], dict[str, Any]], Awaitable[str | None]]


class _StoringHandler(AsyncSocketModeHandler):
    """bolt's handler, but an effectful event is stored before its envelope is acknowledged."""

    def __init__(self, *args: Any, store_first: StoreFirst, durable: frozenset[str], **kw: Any):
        super().__init__(*args, **kw)
        self._store_first = store_first
        self._durable = durable

    async def handle(self, socket: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        body = req.payload if req.type == "events_api" else None
        event = body.get("event") if isinstance(body, dict) else None
        if not isinstance(event, dict) or event.get("type") not in self._durable:
            await super().handle(socket, req)
            return
        assert isinstance(body, dict)
        retry = await self._store_first(body, event)
        if retry is not None:
            log.warning("Slack event not acknowledged, Slack will send it again: %s", retry)
            return
        await socket.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


class SlackSocketMode:
    """bolt's aiohttp Socket Mode handler, started and stopped with our web app."""

    def __init__(
        self,
        *,
        bolt: AsyncApp,
        app_token: str,
        api_url: str,
        ping_interval: float = 10.0,
        connect_timeout: float = 30.0,
        store_first: StoreFirst | None = None,
        durable: frozenset[str] = frozenset(),
    ) -> None:
        """``store_first`` and ``durable``: events of these types are made durable by
        ``store_first`` before their envelope is acknowledged (``SlackEvents`` passes both)."""
        if not app_token.startswith("xapp-"):
            # never echo the value: it may be another kind of token pasted by mistake
            raise ValueError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")
        self._bolt = bolt
        self._app_token = app_token
        self._api_url = api_url
        self._ping_interval = ping_interval
        self._connect_timeout = connect_timeout
        self._store_first = store_first
        self._durable = durable
        self._handler: AsyncSocketModeHandler | None = None

    def mount(self, app: web.Application) -> None:
        """Connect when the web app starts up; disconnect first thing when it shuts down.

        A refused token is a ``ConfigError``, an unreachable Slack a ``StartupError``: the web
        app does not start, and ``serve`` says why in one line.
        """

        async def connect(_: web.Application) -> None:
            try:
                await self.start()
            except SlackApiError as error:
                code = error.response.get("error") or error.response.status_code
                raise ConfigError(
                    f"Slack refused SLACK_APP_TOKEN ({code}): create an app-level token with "
                    "connections:write under Basic Information → App-Level Tokens at "
                    "api.slack.com/apps"
                ) from None
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise StartupError(
                    f"cannot open a Socket Mode connection to Slack ({self._api_url}): "
                    f"{one_line(str(error) or type(error).__name__, limit=200)}; check the "
                    "network (proxy, firewall) or SLACK_API_URL"
                ) from None

        async def disconnect(_: web.Application) -> None:
            await self.stop()

        app.on_startup.append(connect)
        app.on_shutdown.append(disconnect)

    @property
    def connected(self) -> bool:
        return self._handler is not None

    async def start(self) -> None:
        """Open the connection (``apps.connections.open``, then the websocket).

        Raises ``SlackApiError`` at once for a wrong or revoked token (slack-sdk alone would
        retry that forever) and ``TimeoutError`` if the websocket is not up in ``connect_timeout``.
        Once connected, slack-sdk reconnects by itself when Slack rotates or drops the socket.
        """
        if self._handler is not None:
            return
        # built here, not in __init__: slack-sdk's client needs a running event loop
        options: dict[str, Any] = {
            "logger": log,
            "web_client": AsyncWebClient(base_url=self._api_url, timeout=10),
            "ping_interval": self._ping_interval,
        }
        handler = (
            AsyncSocketModeHandler(self._bolt, self._app_token, **options)
            if self._store_first is None
            else _StoringHandler(
                self._bolt,
                self._app_token,
                store_first=self._store_first,
                durable=self._durable,
                **options,
            )
        )
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
            connecting = handler.connect_async()  # type: ignore[no-untyped-call]
            await asyncio.wait_for(connecting, self._connect_timeout)
        except BaseException:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise
        self._handler = handler
        log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        handler, self._handler = self._handler, None
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]
            log.info("Slack Socket Mode closed")
