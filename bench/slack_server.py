"""Run the sandbox Slack Web API in its own process, with Slack-like rate limits.

    python -m bench.slack_server --port 0 --channel-rate 1 --channel-burst 3 --workspace-rate 100

Prints the API base URL on its first line, then serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio

from adapters.sandbox.slack_api import FakeSlack, Faults

TOKEN = "xoxb-bench"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--channel-rate", type=float, default=None)
    parser.add_argument("--channel-burst", type=float, default=3.0)
    parser.add_argument("--workspace-rate", type=float, default=None)
    parser.add_argument("--workspace-burst", type=float, default=20.0)
    args = parser.parse_args()
    server = FakeSlack(
        team_id="T_BENCH",
        bot_token=TOKEN,
        auto_create_channels=True,
        faults=Faults(
            channel_rate=args.channel_rate,
            channel_burst=args.channel_burst,
            workspace_rate=args.workspace_rate,
            workspace_burst=args.workspace_burst,
        ),
    )
    url = await server.start(port=args.port)
    print(url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
