"""Run the sandbox Slack Web API in its own process, with Slack-like rate limits.

    python -m bench.slack_server --port 0 --channel-rate 1 --channel-burst 3 --workspace-rate 100
    python -m bench.slack_server --users 50     # people U000 … U049 (users.info knows them)

Prints the API base URL on its first line, then serves until killed. Besides the sandbox's own
``/_sandbox/messages`` it answers ``GET /_sandbox/summary``: what the benchmarks judge by, without
sending every message over — ``posted`` (accepted ``chat.postMessage`` calls), ``distinct``
texts among them, ``duplicates`` (posts of a text already posted), ``rate_limited`` (``429``
answers), ``calls`` (every API call) and ``first_at``/``last_at`` (Unix seconds, arrival of the
first and the last accepted post).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from aiohttp import web

from adapters.sandbox.slack_api import FakeSlack, Faults

TOKEN = "xoxb-bench"


class BenchSlack(FakeSlack):
    """The sandbox on the wall clock (call times are Unix seconds), with a summary endpoint."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/_sandbox/summary", self._summary)
        app.router.add_get("/_sandbox/posts", self._posts)
        return app

    async def _posts(self, request: web.Request) -> web.Response:
        """Every chat.postMessage call: [arrival (Unix s), status, channel] (diagnosis)."""
        return web.json_response(
            [
                [call.at, call.status, str(call.params.get("channel", ""))]
                for call in self.calls
                if call.method == "chat.postMessage"
            ]
        )

    async def _summary(self, request: web.Request) -> web.Response:
        accepted = [
            call.at
            for call in self.calls
            if call.method == "chat.postMessage" and call.status == 200 and call.error is None
        ]
        texts = Counter(message.text for message in self.posted())
        return web.json_response(
            {
                "posted": sum(texts.values()),
                "distinct": len(texts),
                "duplicates": sum(count - 1 for count in texts.values()),
                "rate_limited": sum(1 for call in self.calls if call.status == 429),
                "calls": len(self.calls),
                "first_at": min(accepted, default=None),
                "last_at": max(accepted, default=None),
            }
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--channel-rate", type=float, default=None)
    parser.add_argument("--channel-burst", type=float, default=3.0)
    parser.add_argument("--workspace-rate", type=float, default=None)
    parser.add_argument("--workspace-burst", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=0, help="people U000, U001, … in Oslo")
    args = parser.parse_args()
    server = BenchSlack(
        team_id="T_BENCH",
        bot_token=TOKEN,
        auto_create_channels=True,
        clock=time.time,
        faults=Faults(
            channel_rate=args.channel_rate,
            channel_burst=args.channel_burst,
            workspace_rate=args.workspace_rate,
            workspace_burst=args.workspace_burst,
        ),
    )
    for n in range(args.users):
        server.add_user(f"U{n:03d}", f"Person {n}")
    url = await server.start(port=args.port)
    print(url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
