"""Requests signed exactly as Slack signs them (v0 HMAC-SHA256 over timestamp and body).

One implementation for the demo and the tests: the sandbox driver's.
"""

from __future__ import annotations

from adapters.sandbox.driver import sign as slack_headers

__all__ = ["slack_headers"]
