"""The gate of ``POST /api/messages``: who may post, and what, before the SDK sees a byte.

With an app id: one ``Authorization: Bearer`` token that passes ``adapters.teams.auth``, checked
before the body is read (401; 503 when Microsoft's keys cannot be fetched). Anonymous (no app
id, ``QH_TEAMS_ANONYMOUS=1``, local testing only): only loopback peers — the socket's address,
never ``X-Forwarded-For`` — and only activities whose ``serviceUrl`` is on loopback (403, and
nothing is sent). Then the body, read up to ``bot.webio.MAX_BODY`` (413), must be a JSON
activity with a type and a conversation (400) whose ``serviceUrl`` is the token's (401).
Every refusal is one log line (``bot.webio.refuse``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from microsoft_agents.hosting.core import ClaimsIdentity

from adapters.teams.auth import (
    KeysUnavailable,
    TokenRejected,
    TokenRules,
    bearer_token,
    service_url_matches,
)
from bot.webio import (
    BodyTooLarge,
    load_json,
    loopback_peer,
    loopback_url,
    read_body,
    refuse,
    try_again,
)

__all__ = ["Admitted", "Gate"]

Json = dict[str, Any]


class Admitted:
    """An admitted request as the SDK reads one (``HttpRequestProtocol``): the body we already
    read and checked, and the claims of its token (none when anonymous)."""

    def __init__(self, request: web.Request, body: Json, identity: ClaimsIdentity) -> None:
        self._request, self._body, self._identity = request, body, identity

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def headers(self) -> Any:
        return self._request.headers

    async def json(self) -> Json:
        return self._body

    def get_claims_identity(self) -> ClaimsIdentity:
        return self._identity

    def get_path_param(self, name: str) -> str:
        return self._request.match_info[name]


class Gate:
    """Admits a request to the SDK or answers it (see the module docstring)."""

    def __init__(self, *, anonymous: bool, rules: TokenRules) -> None:
        self._anonymous = anonymous
        self._rules = rules

    async def admit(self, request: web.Request) -> Admitted | web.Response:
        token: str | None = None
        claims: dict[str, Any] = {}
        if self._anonymous:
            if not loopback_peer(request):
                return refuse(403, "forbidden", "anonymous Teams serves loopback only", request)
        else:
            try:  # before the body is read
                token = bearer_token(request.headers.getall("Authorization", []))
                claims = await self._rules.check(token)
            except TokenRejected as error:
                return refuse(401, "unauthorized", f"token refused: {error}", request)
            except KeysUnavailable:
                return try_again(request, "Microsoft's signing keys could not be fetched")
        try:
            activity = load_json(await read_body(request))
        except BodyTooLarge:
            return refuse(413, "request too large", "body over the limit", request)
        except ValueError:
            return refuse(400, "not an activity", "body is not JSON", request)
        conversation = activity.get("conversation") if isinstance(activity, dict) else None
        if not isinstance(conversation, dict) or not activity.get("type"):
            return refuse(400, "not an activity", "no type or conversation", request)
        service_url = activity.get("serviceUrl")
        if not self._anonymous and not service_url_matches(claims, service_url):
            return refuse(401, "unauthorized", "serviceUrl is not the token's", request)
        if self._anonymous and not loopback_url(service_url):
            return refuse(403, "forbidden", "anonymous Teams answers loopback only", request)
        identity = ClaimsIdentity(claims, security_token=token) if token else ClaimsIdentity()
        return Admitted(request, activity, identity)
