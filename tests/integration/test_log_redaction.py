"""`LOG_LEVEL=DEBUG` on a real `quiet-hours serve`: no token, secret or message text in the log.

The process installs the Slack workspace (auth.test with the bot token), takes a signed event
with text, and delivers a held message (chat.postMessage with its text) — the calls slack_sdk,
slack_bolt and aiohttp log in full at DEBUG.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.logs
from adapters.sandbox.slack_api import FakeSlack
from bot.logs import JsonFormatter, install_redaction, scrub
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import WorkspaceRepository
from tests.support.serving import serve
from tests.support.signing import slack_headers
from tests.support.slack import fake_slack
from tests.support.slack_app import shared_payload
from tests.support.waiting import until

TOKEN = "xoxb-4242-debug-must-not-leak"
SECRET = "signing-secret-must-not-leak-0123"
HELD = "Hemmelig plan for fredag"
SAID = "Budsjettet kuttes med ti prosent"


async def test_debug_logging_carries_no_token_secret_or_message_text(
    tmp_path: Path,
    database_url: str,
    engine: object,
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
) -> None:
    slack: FakeSlack = fake_slack(bot_token=TOKEN, team_id="T_LOG")
    slack.add_user("U_KARI", "Kari")
    slack.add_channel("C_TEAM")
    await slack.start()
    try:
        async with serve(
            tmp_path,
            DATABASE_URL=database_url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            LOG_LEVEL="DEBUG",
        ) as served:
            async with sessions() as session, session.begin():
                workspace = await WorkspaceRepository(session).find("slack", "T_LOG")
                assert workspace is not None
                now = datetime.now(UTC) - timedelta(seconds=1)
                await HeldMessageRepository(session, cipher).add(
                    workspace_id=workspace.id,
                    conversation_id="C_TEAM",
                    author_id="U_KARI",
                    body=HELD,
                    deliver_at=now,
                    now=now,
                )
            event = shared_payload("test_message__message_body.json")
            event = copy.deepcopy(event) | {"team_id": "T_LOG", "event_id": "EvLog"}
            event["event"].update({"channel": "C_TEAM", "user": "U_KARI", "text": SAID})
            body = json.dumps(event).encode()
            async with served.http.post(
                served.base + "/slack/events", data=body, headers=slack_headers(SECRET, body)
            ) as response:
                assert response.status == 200
            await until(lambda: any(HELD in m.text for m in slack.posted("C_TEAM")), within=30)
    finally:
        await slack.stop()
    log = "".join(served.stderr)
    assert "DEBUG slack_sdk" in log  # the library really logged its calls
    for secret in (TOKEN, TOKEN.split("-", 1)[1], SECRET, HELD, SAID, "Hemmelig", "Budsjettet"):
        assert secret not in log


@pytest.mark.parametrize(
    "line",
    [
        "Sending a request - url: https://slack.com/api/chat.postMessage, query_params: {}, "
        "body_params: {}, files: {}, json_body: {'channel': 'C1', 'text': 'Hemmelig'}, "
        "headers: {'Authorization': '(redacted)'}",
        'Received the following response - status: 200, headers: {}, body: {"ok": true, '
        '"message": {"text": "Hemmelig"}}',
        "headers={'Authorization': 'Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl'}",
        "GET /slack/oauth_redirect?code=1234.5678.abcd&state=Hemmelig HTTP/1.1",
        "client_secret=Hemmelig&code=Hemmelig",
        "token xoxp-1-Hemmelig and xapp-1-Hemmelig and xoxe.xoxp-1-Hemmelig",
    ],
)
def test_library_lines_lose_tokens_and_bodies(line: str) -> None:
    assert "Hemmelig" not in scrub(line)
    assert "eyJ" not in scrub(line)


@pytest.fixture
def redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Redaction installed as `serve` installs it, and taken out again after the test."""
    saved = logging.getLogRecordFactory()
    monkeypatch.setattr(bot.logs, "_installed", None)
    install_redaction()
    try:
        yield
    finally:
        logging.setLogRecordFactory(saved)


@pytest.mark.usefixtures("redaction")
def test_a_record_is_scrubbed_for_every_handler_whatever_its_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("slack_sdk.web.async_base_client").debug(
            "Sending a request - headers: %s, json_body: %s",
            {"Authorization": f"Bearer {TOKEN}"},
            {"text": SAID},
        )
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logging.getLogger("aiohttp.server").exception("failed")
    assert caplog.records
    assert TOKEN not in caplog.text and SAID not in caplog.text


def test_log_format_json_prints_one_scrubbed_object_per_line_without_extras() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, "%s", ("GET /x HTTP/1.1",), None
    )
    record.first_request_line = "GET /slack/oauth_redirect?code=secret HTTP/1.1"  # an extra
    entry = json.loads(formatter.format(record))
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["level"] == "INFO" and entry["message"] == "GET /x HTTP/1.1"
    assert entry["time"].endswith("+00:00")


def test_log_format_json_prints_the_scrubbed_traceback_and_text_as_written() -> None:
    install_redaction()
    formatter = JsonFormatter()
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        record = logging.getLogger("bot.test").makeRecord(
            "bot.test", logging.ERROR, __file__, 1, "feil på %s", ("Ø",), sys.exc_info()
        )
    entry = json.loads(formatter.format(record))
    assert set(entry) == {"time", "level", "logger", "message", "exception"}
    assert entry["message"] == "feil på Ø"
    assert "ValueError" in entry["exception"] and TOKEN not in entry["exception"]
    assert "feil på Ø" in formatter.format(record)  # not \u-escaped
