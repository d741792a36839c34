"""A thin Bot Connector REST client over aiohttp, with errors classified for the delivery engine.

Each call goes to the conversation's own ``serviceUrl`` (Teams gives one per region and tenant)
with a bearer token from a :class:`TokenSource`: MSAL client credentials in production (through
the Agents SDK's provider, so inbound turns and our posts share one token cache), none at all
for a bot run anonymously against a local emulator, a fixed string in tests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import aiohttp
from yarl import URL

from bot.ports import DeliveryError, DeliveryErrorKind

__all__ = [
    "BOT_FRAMEWORK_SCOPE",
    "Anonymous",
    "BotConnector",
    "ProviderTokens",
    "StaticToken",
    "TokenSource",
    "classify_response",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

BOT_FRAMEWORK = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = f"{BOT_FRAMEWORK}/.default"

#: Statuses a later try may get past: throttling-like, gateway and server errors.
TRANSIENT_STATUSES = frozenset({408, 409, 412, 425, 500, 502, 503, 504})
#: Teams' error codes for "the bot may no longer post here".
BLOCKED_CODES = frozenset({"ConversationBlockedByUser", "BotDisabledByAdmin"})


class TokenSource(Protocol):
    """Where outbound bearer tokens come from."""

    async def token(self, *, refresh: bool = False) -> str | None:
        """A token for the Bot Connector, or ``None`` to send none (anonymous)."""
        ...


class Anonymous:
    """No token: only for a bot without an app id (local emulator); the connector must agree."""

    async def token(self, *, refresh: bool = False) -> str | None:
        return None


class StaticToken:
    def __init__(self, value: str) -> None:
        self._value = value

    async def token(self, *, refresh: bool = False) -> str | None:
        return self._value


class _AccessTokenProvider(Protocol):
    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str: ...


class ProviderTokens:
    """Tokens from an Agents SDK access-token provider (``MsalAuth`` in production)."""

    def __init__(
        self,
        provider: _AccessTokenProvider,
        *,
        resource: str = BOT_FRAMEWORK,
        scope: str = BOT_FRAMEWORK_SCOPE,
    ) -> None:
        self._provider = provider
        self._resource = resource
        self._scope = scope

    async def token(self, *, refresh: bool = False) -> str | None:
        try:
            value = await self._provider.get_access_token(
                self._resource, [self._scope], force_refresh=refresh
            )
        except Exception as error:  # MSAL: network, bad secret, unknown tenant
            log.warning("could not get a token for %s (%s)", self._resource, type(error).__name__)
            raise DeliveryError(DeliveryErrorKind.TRANSIENT, "token_unavailable") from error
        return value or None


def retry_after_seconds(value: str | None, *, default: float = 1.0) -> float:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def _error_code(body: object) -> str | None:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("code"), str):
            return str(error["code"])
    return None


def classify_response(status: int, body: object, headers: Mapping[str, str]) -> DeliveryError:
    """A failed connector response as a :class:`DeliveryError` the engine knows what to do with."""
    code = _error_code(body)
    if status == 429:
        return DeliveryError(
            DeliveryErrorKind.RATE_LIMITED,
            "throttled",
            retry_after=retry_after_seconds(headers.get("Retry-After")),
        )
    if status in TRANSIENT_STATUSES or status >= 500:
        return DeliveryError(DeliveryErrorKind.TRANSIENT, f"http_{status}")
    if status == 401:  # our token was refused even after a refresh: configuration, retry later
        return DeliveryError(DeliveryErrorKind.TRANSIENT, "unauthorized")
    if status == 403:
        if code in BLOCKED_CODES:
            return DeliveryError(DeliveryErrorKind.PERMANENT, "blocked")
        return DeliveryError(DeliveryErrorKind.PERMANENT, "bot_not_in_conversation")
    if status == 404:
        return DeliveryError(DeliveryErrorKind.PERMANENT, "conversation_not_found")
    if status == 413 or code == "MessageSizeTooBig":
        return DeliveryError(DeliveryErrorKind.PERMANENT, "msg_too_long")
    return DeliveryError(DeliveryErrorKind.PERMANENT, f"http_{status}")


class BotConnector:
    """``/v3/conversations/…`` calls; every failure raises :class:`DeliveryError`."""

    def __init__(
        self,
        *,
        tokens: TokenSource,
        timeout: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        allow: Callable[[str], bool] | None = None,
    ) -> None:
        """``allow``: which service URLs may be called at all (anonymous mode: loopback only);
        any other gets a permanent ``DeliveryError`` ``service_url_not_allowed``, unsent."""
        self._tokens = tokens
        self._allow = allow
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    def _http(self) -> aiohttp.ClientSession:
        # One pooled session for every call, created inside the running loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, limit_per_host=50)
            )
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    @staticmethod
    def url(service_url: str, *segments: str) -> URL:
        """``{serviceUrl}/v3/conversations/{id}/…``; each id is one quoted path segment."""
        url = URL(service_url.rstrip("/") + "/v3/conversations")
        for segment in segments:
            url = url / segment
        return url

    async def _call(
        self,
        method: str,
        url: URL,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        if self._allow is not None and not self._allow(str(url)):
            log.warning("Bot Connector call to a service URL not allowed here: not sent")
            raise DeliveryError(DeliveryErrorKind.PERMANENT, "service_url_not_allowed")
        refreshed = False
        while True:
            token = await self._tokens.token(refresh=refreshed)
            headers = {"Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                async with self._http().request(
                    method,
                    url,
                    json=body,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                ) as response:
                    status = response.status
                    payload = await _json_or_none(response)
                    response_headers = dict(response.headers)
            except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
                raise DeliveryError(DeliveryErrorKind.TRANSIENT, type(error).__name__) from error
            if status < 300:
                return payload
            if status == 401 and token and not refreshed:
                refreshed = True  # a token the connector no longer takes: get a fresh one once
                continue
            failure = classify_response(status, payload, response_headers)
            log.info("Bot Connector %s answered %d (%s)", method, status, failure.code)
            raise failure

    async def send(
        self,
        service_url: str,
        conversation_id: str,
        activity: Mapping[str, Any],
        *,
        reply_to: str | None = None,
    ) -> str:
        """Post an activity (a reply in a thread when ``reply_to`` is given); returns its id."""
        segments = [conversation_id, "activities"] + ([reply_to] if reply_to else [])
        result = await self._call("POST", self.url(service_url, *segments), body=activity)
        activity_id = result.get("id") if isinstance(result, Mapping) else None
        if not isinstance(activity_id, str) or not activity_id:
            raise DeliveryError(DeliveryErrorKind.TRANSIENT, "no_activity_id")
        return activity_id

    async def update(
        self,
        service_url: str,
        conversation_id: str,
        activity_id: str,
        activity: Mapping[str, Any],
    ) -> None:
        """Replace a message the bot posted (``PUT …/activities/{id}``), e.g. a card's state."""
        await self._call(
            "PUT", self.url(service_url, conversation_id, "activities", activity_id), body=activity
        )

    async def member(
        self, service_url: str, conversation_id: str, member_id: str
    ) -> Mapping[str, Any]:
        result = await self._call(
            "GET", self.url(service_url, conversation_id, "members", member_id)
        )
        return result if isinstance(result, Mapping) else {}

    async def members(
        self, service_url: str, conversation_id: str, *, page_size: int = 500
    ) -> list[Mapping[str, Any]]:
        """Every member, page by page (``pagedmembers`` with continuation tokens)."""
        members: list[Mapping[str, Any]] = []
        token: str | None = None
        url = self.url(service_url, conversation_id, "pagedmembers")
        for _ in range(1000):  # a bound, not a limit anyone meets: 500k members
            params = {"pageSize": str(page_size)}
            if token:
                params["continuationToken"] = token
            result = await self._call("GET", url, params=params)
            page = result if isinstance(result, Mapping) else {}
            members.extend(m for m in page.get("members") or [] if isinstance(m, Mapping))
            token = page.get("continuationToken") or None
            if not token:
                break
        return members

    async def create_personal(
        self, service_url: str, *, tenant: str, bot: Mapping[str, Any], user: str
    ) -> str:
        """Open (or find) the 1:1 chat between the bot and a person; returns its id."""
        body = {
            "isGroup": False,
            "bot": dict(bot),
            "members": [{"id": user}],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        result = await self._call("POST", self.url(service_url), body=body)
        conversation_id = result.get("id") if isinstance(result, Mapping) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            raise DeliveryError(DeliveryErrorKind.TRANSIENT, "no_conversation_id")
        return conversation_id


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError, asyncio.IncompleteReadError):
        return None
