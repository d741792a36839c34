"""First-sight reads (a new person's zone and schedule, read in the background after their
event is acknowledged) stop with ``serve``: cancelled and awaited at shutdown like the periodic
jobs, said in one line, never left running after the database and the platforms' HTTP sessions
are closed, and never logged by asyncio as a task destroyed while pending or an exception never
retrieved.

Slack hangs on ``users.info`` here, so a burst of new people's reads is still in flight (four
at a time, the rest waiting their turn) when ``serve`` is told to stop.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from adapters.sandbox.driver import sign
from tests.support.serving import serve
from tests.support.slack import fake_slack
from tests.support.waiting import until

TOKEN = "xoxb-first-sight"
SECRET = "first-sight-secret"
PEOPLE = [f"U_NEW{n:02d}" for n in range(12)]


async def test_first_sight_reads_in_flight_are_cancelled_at_shutdown_in_one_line(
    tmp_path: Path,
) -> None:
    slack = fake_slack(bot_token=TOKEN, team_id="T_SERVE")
    for person in PEOPLE:
        slack.add_user(person, person.title())
    slack.add_channel("C_TEAM", members=PEOPLE)
    slack.faults.stall["users.info"] = 60.0
    await slack.start()
    try:
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
        }
        async with serve(tmp_path, **env) as served:
            for n, person in enumerate(PEOPLE):
                body = {
                    "type": "event_callback",
                    "team_id": "T_SERVE",
                    "api_app_id": "A1",
                    "event_id": f"Ev{n:04d}",
                    "event_time": int(time.time()),
                    "event": {
                        "type": "message",
                        "channel": "C_TEAM",
                        "user": person,
                        "text": "hei",
                        "ts": f"{time.time():.6f}",
                        "channel_type": "channel",
                    },
                }
                raw = json.dumps(body).encode()
                async with served.http.post(
                    served.base + "/slack/events", data=raw, headers=sign(SECRET, raw)
                ) as response:
                    assert response.status == 200
            # the reads are in flight: Slack has been asked and does not answer
            await until(lambda: any(c.method == "users.info" for c in slack.calls), within=10)
            stopping = time.monotonic()
        stopped = time.monotonic() - stopping  # SIGTERM to exit (0: serving.serve checks)
    finally:
        await slack.stop()
    log = "".join(served.stderr)
    assert "Task was destroyed but it is pending" not in log
    assert "Task exception was never retrieved" not in log
    assert "Traceback" not in log
    said = [line for line in served.stderr if "first-sight read" in line]
    assert len(said) == 1 and "were interrupted by the shutdown" in said[0], said
    # not waited out (each read may take its 2 s timeouts, the last ones queued behind others)
    assert stopped < 5.0, stopped
