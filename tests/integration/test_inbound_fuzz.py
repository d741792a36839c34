"""Whatever arrives at /slack/events and /api/messages, the answer is never a 5xx.

Hypothesis writes the requests byte by byte (``tests.support.rawhttp``): arbitrary headers
(non-ASCII, huge, duplicated, the platforms' own names with nonsense values) and bodies
(arbitrary bytes, JSON nested deep, forms, Slack- and Teams-shaped JSON), signed as the
platforms sign them or not. The database is up here, so no deliberate 503 is expected either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from microsoft_agents.hosting.core import JwtTokenValidator, OutboundHostValidator

from adapters.slack.events import SlackEvents
from adapters.slack.tokens import StoredTokens
from adapters.teams.app import ROUTE, TeamsBot
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.services.watch import OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.web import build_app
from tests.support.rawhttp import raw_request, status_of
from tests.support.signing import slack_headers
from tests.support.teams import APP_ID, TENANT, FakeTokenProvider, SigningKeys, personal_message

SECRET = "fuzz-signing-secret"
NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
#: A connector nobody listens on: replies fail at once (the turn must still not answer 5xx).
SERVICE_URL = "http://127.0.0.1:9/emea/"


class Inbound:
    """The two platform routes on one real aiohttp server, with a real SQLite database."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        self.keys = SigningKeys()
        self._saved = JwtTokenValidator._jwk_client_manager
        JwtTokenValidator._jwk_client_manager = self.keys  # type: ignore[assignment]
        self.engine = create_engine(f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}")
        sessions = session_factory(self.engine)
        cipher = Cipher.from_secret(Cipher.generate_key())
        self.runner.run(upgrade(self.engine))
        self.sessions, self.cipher = sessions, cipher
        app = build_app(engine=self.engine, delivery_metrics=DeliveryMetrics())
        clock = FixedClock(NOW)
        SlackEvents(
            signing_secret=SECRET,
            sessions=sessions,
            cipher=cipher,
            tokens=StoredTokens(sessions, cipher),
            watcher=OffHoursWatcher(sessions=sessions, platforms={}),
            clock=clock,
            api_url="http://127.0.0.1:9/api/",
        ).mount(app)
        TeamsBot(
            app_id=APP_ID,
            app_password="not-used-offline",
            tenant_id=TENANT,
            sessions=sessions,
            cipher=cipher,
            clock=clock,
            provider_factory=lambda configuration: FakeTokenProvider(configuration),
            host_validator=OutboundHostValidator(enabled=False),  # the connector is local
        ).mount(app)
        self.server = TestServer(app, host="127.0.0.1")
        self.runner.run(self.server.start_server())
        self.slack = str(self.server.make_url("/slack/events"))
        self.teams = str(self.server.make_url(ROUTE))

    def status(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int | None:
        return status_of(self.runner.run(raw_request(url, headers, body)))

    def close(self) -> None:
        self.runner.run(self.server.close())
        self.runner.run(self.engine.dispose())
        self.runner.close()
        JwtTokenValidator._jwk_client_manager = self._saved


@pytest.fixture(scope="module")
def inbound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbound]:
    served = Inbound(tmp_path_factory.mktemp("inbound"))
    try:
        yield served
    finally:
        served.close()


# -- strategies ------------------------------------------------------------------------------

NAMES = [
    b"X-Slack-Request-Timestamp",
    b"X-Slack-Signature",
    b"X-Slack-Retry-Num",
    b"Authorization",
    b"Content-Type",
    b"Content-Encoding",
    b"Accept-Language",
    b"X-Forwarded-For",
    b"Cookie",
]
header_value = st.one_of(
    st.binary(max_size=64).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(max_size=40).map(lambda t: t.encode("utf-8")).map(lambda b: b.replace(b"\r", b"")),
    st.sampled_from([b"abc", b"-1", b"1e9", b"v0=", "v0=é".encode(), b"Bearer", b"Bearer x.y.z"]),
    st.integers(1, 20_000).map(lambda n: b"a" * n),
)
headers = st.lists(st.tuples(st.sampled_from(NAMES), header_value), max_size=6)


def deep(levels: int, opener: bytes = b"[") -> bytes:
    """JSON nested ``levels`` deep (arrays, or objects with one key)."""
    if opener == b"{":
        return b'{"a":' * levels + b"1" + b"}" * levels
    return b"[" * levels + b"1" + b"]" * levels


def _slack_event(text: str) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "EvFuzz",
            "event": {"type": "message", "channel_type": "channel", "user": "U1", "text": text},
        }
    ).encode()


bodies = st.one_of(
    st.binary(max_size=512),
    st.builds(deep, st.integers(1, 120_000), st.sampled_from([b"[", b"{"])),
    st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4).map(
        lambda d: urlencode(d).encode()
    ),
    st.text(max_size=200).map(lambda t: b"payload=" + t.encode("utf-8")),
    st.text(max_size=80).map(_slack_event),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
    st.text(max_size=30).map(lambda t: json.dumps(personal_message(SERVICE_URL, t)).encode()),
)
content_types = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "ø/ø"]
)

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(extra=headers, body=bodies, signed=st.booleans(), content_type=content_types)
def test_slack_events_never_answers_5xx(
    inbound: Inbound,
    extra: list[tuple[bytes, bytes]],
    body: bytes,
    signed: bool,
    content_type: str,
) -> None:
    sent: list[tuple[bytes, bytes]] = []
    if signed:
        for name, value in slack_headers(SECRET, body, content_type=content_type).items():
            sent.append((name.encode(), value.encode("utf-8")))
    sent += extra
    status = inbound.status(inbound.slack, sent, body)
    assert status is not None and status < 500, (status, sent, body[:200])


@FUZZ
@given(extra=headers, body=bodies, token=st.sampled_from(["valid", "none", "stale", "garbage"]))
def test_teams_messages_never_answers_5xx(
    inbound: Inbound, extra: list[tuple[bytes, bytes]], body: bytes, token: str
) -> None:
    sent: list[tuple[bytes, bytes]] = [(b"Content-Type", b"application/json")]
    if token != "none":
        value = {
            "valid": lambda: inbound.keys.token(service_url=SERVICE_URL),
            "stale": lambda: inbound.keys.token(expires_in=-3600),
            "garbage": lambda: "x.y.z",
        }[token]()
        sent.append((b"Authorization", f"Bearer {value}".encode()))
    sent += extra
    status = inbound.status(inbound.teams, sent, body)
    assert status is not None and status < 500, (status, sent, body[:200])


def test_the_fuzzer_reaches_the_handlers(inbound: Inbound) -> None:
    """A signed, well-formed request gets through (so the properties above test something)."""
    body = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"}).encode()
    signed = [(k.encode(), v.encode()) for k, v in slack_headers(SECRET, body).items()]
    assert inbound.status(inbound.slack, signed, body) == 200
    token = inbound.keys.token(service_url=SERVICE_URL)
    activity = json.dumps(personal_message(SERVICE_URL, "help")).encode()
    headers_ = [
        (b"Content-Type", b"application/json"),
        (b"Authorization", f"Bearer {token}".encode()),
    ]
    assert inbound.status(inbound.teams, headers_, activity) == 202
