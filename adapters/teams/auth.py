"""Who may post to ``/api/messages``: Bot Connector / Entra tokens checked as Microsoft documents.

A request from Teams carries ``Authorization: Bearer <JWT>``. Following "Authentication with
the Bot Connector API", step "Verify the JWT token"
(https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication),
a token is accepted only when

1. it is an RS256 JWT signed with a key from the issuer's published key set (the Bot Framework's
   ``https://login.botframework.com/v1/.well-known/keys`` for Bot Connector tokens, the tenant's
   Entra ``…/discovery/v2.0/keys`` for Entra tokens);
2. its issuer is one we allow: ``https://api.botframework.com`` (Bot Connector), the Entra v1/v2
   issuers of the configured tenant (``https://sts.windows.net/{tenant}/``,
   ``https://login.microsoftonline.com/{tenant}/v2.0``), and Microsoft's own first-party service
   tenants that the Agents SDK always trusts (``_entra_issuers.well_known_first_party_issuers``,
   mirroring the .NET SDK's ``ValidIssuers``; botframework-connector's
   ``ToBotFromBotOrEmulatorTokenValidationParameters`` lists the same tenants);
3. its audience is our app id;
4. it carries ``exp`` and ``nbf`` and is inside them, with the industry-standard 5 minutes of
   clock skew the document names (botframework-connector: ``clockTolerance: 5 * 60``);
5. an Entra token whose ``tid`` claim names a tenant names the one in its issuer;
6. its ``serviceurl`` claim, when it has one, equals the activity's ``serviceUrl``
   (checked once the body is read: :func:`service_url_matches`).

The Agents SDK's own ``JwtTokenValidator`` skips 2 unless ``VALIDATE_ISSUER`` is set and lets a
token without ``exp`` through (PyJWT checks ``exp`` only when present); hence this module. Keys
still come through the SDK's key client (``JwtTokenValidator._jwk_client_manager``), which
caches Microsoft's key sets and which tests replace with locally generated keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import jwt
from microsoft_agents.hosting.core import JwtTokenValidator
from microsoft_agents.hosting.core.authorization._entra_issuers import (
    well_known_first_party_issuers,
)
from microsoft_agents.hosting.core.authorization.authentication_constants import (
    AuthenticationConstants,
)

__all__ = [
    "BOT_CONNECTOR_ISSUER",
    "CLOCK_SKEW_SECONDS",
    "KeysUnavailable",
    "TokenRejected",
    "TokenRules",
    "bearer_token",
    "service_url_matches",
]

log = logging.getLogger(__name__)

BOT_CONNECTOR_ISSUER = (
    AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER
)  # https://api.botframework.com
#: "Industry-standard clock-skew is 5 minutes" (the Bot Connector authentication document).
CLOCK_SKEW_SECONDS = 300
_BOT_CONNECTOR_KEYS = AuthenticationConstants.PUBLIC_ABS_JWKS_URL
#: No real token is anywhere near this long; a longer header is refused unread.
MAX_TOKEN_LENGTH = 16 * 1024


class TokenRejected(Exception):
    """The request's token is missing, malformed or fails a check; the reason is for the log."""


class KeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched: the token cannot be judged now (the
    request is answered 503, and the Bot Connector retries)."""


def bearer_token(values: list[str]) -> str:
    """The token from the request's ``Authorization`` header values.

    Exactly one header, ``Bearer <token>``, ASCII, at most :data:`MAX_TOKEN_LENGTH` long.
    Raises :class:`TokenRejected` otherwise. Checked before the body is read.
    """
    if len(values) != 1:
        raise TokenRejected("no Authorization header" if not values else "several of them")
    value = values[0]
    if len(value) > MAX_TOKEN_LENGTH or not value.isascii():
        raise TokenRejected("an Authorization header that is no token")
    parts = value.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise TokenRejected("an Authorization header that is not Bearer")
    return parts[1]


@dataclass(frozen=True)
class TokenRules:
    """What a token for this bot must say: our app id, issued for our tenant (or Microsoft)."""

    app_id: str
    tenant_id: str | None = None

    def issuers(self) -> dict[str, str]:
        """Allowed issuer (lower-case) -> the URL of the key set its tokens are signed with."""
        allowed = {BOT_CONNECTOR_ISSUER.lower(): _BOT_CONNECTOR_KEYS}
        tenants = (
            [self.tenant_id] if self.tenant_id and self.tenant_id != "botframework.com" else []
        )
        for issuer in well_known_first_party_issuers(None):
            if issuer.lower() != BOT_CONNECTOR_ISSUER.lower():
                allowed[issuer.lower()] = _entra_keys(issuer)
        for tenant in tenants:
            for template in (
                AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V1,
                AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V2,
            ):
                allowed[template.format(tenant).lower()] = _entra_keys(template.format(tenant))
        return allowed

    async def check(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; raises :class:`TokenRejected` on any failed check."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise TokenRejected(f"not a JWT ({type(error).__name__})") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise TokenRejected("not an RS256 token with a key id")
        issuer = unverified.get("iss")
        allowed = self.issuers()
        if not isinstance(issuer, str) or issuer.lower() not in allowed:
            raise TokenRejected("an issuer we do not accept")
        try:
            key = await JwtTokenValidator._jwk_client_manager.get_signing_key(
                allowed[issuer.lower()], header
            )
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "nbf", "iss", "aud"]},
            )
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable(allowed[issuer.lower()]) from None
        except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
            raise TokenRejected(type(error).__name__) from None
        _check_tenant(issuer, claims.get("tid"))
        return claims


def _entra_keys(issuer: str) -> str:
    tenant = issuer.rstrip("/").removesuffix("/v2.0").rsplit("/", 1)[-1]
    return f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"


def _check_tenant(issuer: str, tid: object) -> None:
    """An Entra token's ``tid`` must be the tenant its issuer names (the SDK's issue #626)."""
    if issuer.lower() == BOT_CONNECTOR_ISSUER.lower() or tid is None:
        return
    tenant = issuer.rstrip("/").removesuffix("/v2.0").rsplit("/", 1)[-1]
    if not isinstance(tid, str) or tid.lower() != tenant.lower():
        raise TokenRejected("a tenant that is not its issuer's")


def service_url_matches(claims: dict[str, Any], service_url: object) -> bool:
    """Whether the activity's ``serviceUrl`` is the one the token was issued for.

    "The token contains a serviceUrl claim with value that matches the serviceUrl property at
    the root of the Activity object of the incoming request" (step 4 of the document above);
    tokens without the claim (Entra tokens) pass.
    """
    claimed = claims.get("serviceurl")
    if claimed is None:
        return True
    if not isinstance(claimed, str) or not isinstance(service_url, str):
        return False
    return claimed.rstrip("/").lower() == service_url.rstrip("/").lower()
