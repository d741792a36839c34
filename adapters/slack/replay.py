"""Replayed Slack requests: a slash command or button payload acts once, like an event.

Events carry an ``event_id`` (see ``adapters.slack.events``); slash commands and interactive
payloads carry none, and a signed request stays valid for five minutes (Slack's documented
replay window, which slack-sdk's ``SignatureVerifier`` enforces). Within it, the very same
bytes sent again would act twice (two held messages). The key is what the signature covers —
``v0:{timestamp}:{body}`` — hashed, so a replay has the same key whatever else changes in
transit, and is stored in the ``seen_events`` table beside event ids (purged with them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

__all__ = ["KEY_PREFIX", "needs_replay_check", "replay_key"]

#: Keys of requests share ``seen_events`` with Slack's event ids (``Ev…``): they never collide.
KEY_PREFIX = "req:"


def needs_replay_check(body: Mapping[str, Any]) -> bool:
    """True for what Slack sends without an ``event_id``: slash commands and interactive
    payloads (buttons, modal submissions, shortcuts). ``ssl_check`` and URL verification
    change nothing and need no check."""
    if body.get("event_id") or body.get("ssl_check") or body.get("type") == "url_verification":
        return False
    return bool(body.get("command") or body.get("type"))


def replay_key(headers: Mapping[str, str], raw: bytes) -> str:
    """A durable key for one signed request: SHA-256 over the signed base string."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    digest = hashlib.sha256(b"v0:" + stamp.encode() + b":" + raw).hexdigest()
    return KEY_PREFIX + digest
