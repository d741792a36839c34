"""The two baselines of the ingest benchmark, each run as its own server process.

python -m bench.ingest_targets bare PORT SECRET    # aiohttp + signature check only
python -m bench.ingest_targets bolt PORT SECRET    # a minimal slack-bolt app that only acks

The bolt app acknowledges message events and the ``/quiet`` command (with a short text, as
the smallest useful answer to a slash command is), and does nothing else.
"""

from __future__ import annotations

import sys
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier


def bare(secret: str) -> web.Application:
    verifier = SignatureVerifier(secret)

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


def bolt(secret: str) -> web.Application:
    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-x")

    app = AsyncApp(signing_secret=secret, authorize=authorize)

    @app.event("message")
    async def ack_only() -> None:
        return None

    @app.command("/quiet")
    async def ack_command(ack: Any) -> None:
        await ack("Held.")

    web_app: web.Application = app.web_app(path="/slack/events")
    return web_app


if __name__ == "__main__":
    kind, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    application = bare(secret) if kind == "bare" else bolt(secret)
    web.run_app(application, host="127.0.0.1", port=port, print=None, access_log=None)
