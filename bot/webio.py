"""What every inbound route shares: capped bodies, safe JSON, loopback checks, "try again".

The rules the platform routes keep (``/slack/events``, ``/api/messages``):
- headers are checked before the body is read, and the body is read only up to
  :data:`MAX_BODY` (``Content-Length`` first, then while streaming), so an unsigned or oversized
  post costs no memory;
- a malformed request is answered 4xx with one log line, never a traceback or a 5xx;
- a request that would have an effect but whose effect cannot be made durable (the database
  is unreachable) is answered :func:`try_again` — 503 with ``Retry-After`` — on purpose: both
  Slack (Events API: "retries on … any response other than HTTP 2xx") and the Bot Connector
  retry then, and the retry is de-duplicated. That is the one deliberate 5xx.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import traceback
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

__all__ = [
    "MAX_BODY",
    "RETRY_AFTER_SECONDS",
    "BodyTooLarge",
    "database_unavailable",
    "load_json",
    "loopback_peer",
    "loopback_url",
    "read_body",
    "refuse",
    "try_again",
]

log = logging.getLogger(__name__)

#: Slack's largest payloads (modal submissions) and Teams activities stay far below this.
MAX_BODY = 1024 * 1024
#: What a platform is asked to wait before it retries while the database is away.
RETRY_AFTER_SECONDS = 5


class BodyTooLarge(Exception):
    """The body is longer than :data:`MAX_BODY` (by its header or as it streamed in)."""


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The request body, read only up to ``limit`` bytes; raises :class:`BodyTooLarge`.

    ``Content-Length`` is checked first, so an announced oversized body is never read; a
    chunked one is read until it passes the limit.
    """
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks = bytearray()
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return bytes(chunks)
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge


def load_json(raw: bytes | str) -> Any:
    """Parsed JSON, or raises ``ValueError`` (for bytes that are not UTF-8 too, and for JSON
    nested too deep for the parser, which raises ``RecursionError``)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def refuse(status: int, error: str, why: str, request: web.Request) -> web.Response:
    """A 4xx for a request we will not serve, logged once (the route and why; no body)."""
    log.info("%s %s refused (%d): %s", request.method, request.path, status, why)
    return web.json_response({"error": error}, status=status)


def try_again(request: web.Request, why: str) -> web.Response:
    """503 + ``Retry-After``: the platform retries, and we have stored nothing to duplicate."""
    log.warning("%s %s deferred (503, retry): %s", request.method, request.path, why)
    return web.json_response(
        {"error": "temporarily unavailable, try again"},
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means "the database could not be reached" (not "our query is wrong",
    and not another service being down: a refused connection counts only when it was the
    database driver's, seen by its frames under ``sqlalchemy``)."""
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, DBAPIError) and _unusable_sqlite_file(error.orig):
        return True
    if isinstance(error, OSError | TimeoutError):
        frames = traceback.extract_tb(error.__traceback__)
        return any(f"{os.sep}sqlalchemy{os.sep}" in frame.filename for frame in frames)
    return False


#: SQLite's primary result codes for a database file that cannot be used as it is — read-only,
#: an I/O error, corrupt, the disk full, cannot be opened, not a database
#: (https://www.sqlite.org/rescode.html): the file is away, not our query wrong.
_UNUSABLE_SQLITE_FILE = frozenset({8, 10, 11, 13, 14, 26})


def _unusable_sqlite_file(original: BaseException | None) -> bool:
    code = getattr(original, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _UNUSABLE_SQLITE_FILE


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def loopback_peer(request: web.Request) -> bool:
    """Whether the TCP peer (the socket, never ``X-Forwarded-For``) is 127.0.0.0/8 or ::1."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not isinstance(peer, tuple) or not peer:
        return False
    address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def loopback_url(url: object) -> bool:
    """Whether ``url`` is an http(s) URL on a loopback host (``localhost``, 127.0.0.0/8, ::1)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and _is_loopback(parts.hostname)
    except ValueError:
        return False
