"""One contract for every chat adapter: what the core may rely on from ``bot.ports.ChatPlatform``.

Each case is the real adapter over real HTTP against its platform's stand-in:

- ``slack``: :class:`SlackPlatform` against the fake Slack Web API, every call checked against
  Slack's own spec (``tests.support.slack.fake_slack``);
- ``sandbox``: what ``quiet-hours demo`` runs — the same :class:`SlackPlatform` class, but
  composed by ``build_runtime`` from the demo's settings against the demo's :class:`FakeSlack`
  (no spec validator, message timestamps following the demo clock, its own SQLite database);
- ``teams-sqlite`` / ``teams-postgresql``: :class:`TeamsPlatform` against the fake Bot Connector
  (which also plays Graph's channel messages), with the conversation references an install
  leaves in the database.

A test reads what the platform *shows* through the case (``messages``, ``private_to``), never
through the adapter, so each adapter is judged by the same observations.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.platform import DELIVERY_EVENT, SlackPlatform
from adapters.teams.activities import conversation_info, delivery_tag
from adapters.teams.connector import BotConnector, StaticToken
from adapters.teams.graph import GraphClient
from adapters.teams.platform import TeamsPlatform
from bot.bootstrap import build_runtime
from bot.clock import FixedClock
from bot.domain.digest import DigestThread, DigestView
from bot.i18n import has_message, normalize_locale
from bot.ports import (
    ChatPlatform,
    DeliveryError,
    DeliveryErrorKind,
    DigestPoster,
    OutgoingMessage,
)
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import Base
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import ConversationRepository, PersonRepository, WorkspaceRepository
from tests.conftest import TEST_KEY, _postgres_database, postgres_url
from tests.support.slack import fake_slack
from tests.support.teams import (
    CHANNEL,
    KARI,
    TENANT,
    FakeConnector,
    channel_message,
    installation_update,
)

Sessions = async_sessionmaker[AsyncSession]
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
OSLO = ZoneInfo("Europe/Oslo")
SLACK_TOKEN = "xoxb-contract"
TEAMS_TOKEN = "outbound-token"
CASES = ["slack", "sandbox", "teams-sqlite", "teams-postgresql"]
T = TypeVar("T")


@dataclass(frozen=True)
class Seen:
    """A message as people see it on the platform."""

    id: str
    text: str  # the text and, for rich layouts, everything they show
    tag: str | None  # the delivery tag it carries
    thread: str | None  # the thread it replies in


@dataclass
class Case(ABC):
    """An adapter under test, the platform behind it, and how to look at that platform."""

    platform: ChatPlatform
    workspace: str
    channel: str
    person: str  # Kari: name, Oslo time zone, Norwegian
    missing: str  # a channel that does not exist
    urgent_mark: str  # what marks an urgent post where people see it
    closers: list[Any] = field(default_factory=list)

    @abstractmethod
    def messages(self, conversation: str) -> list[Seen]: ...

    @abstractmethod
    def private_to(self, person: str) -> list[Seen]: ...

    @abstractmethod
    def fail_next(self, status: int) -> None: ...

    @abstractmethod
    def lose_next_answer(self) -> None:
        """The platform carries out the next post, but its answer never reaches the app."""
        ...

    @abstractmethod
    def gone(self) -> None:
        """The platform stops accepting posts in ``channel`` (archived, deleted)."""
        ...

    @abstractmethod
    async def root(self) -> str:
        """Someone starts a thread in ``channel``; its id."""
        ...

    async def tag(self) -> str:
        """A held message being delivered now (as the delivery engine has it)."""
        return uuid.uuid4().hex

    async def reopened(self) -> ChatPlatform:
        """The adapter as a new process would build it (nothing remembered in memory)."""
        return self.platform


# -- Slack and the sandbox ------------------------------------------------------------------------


@dataclass
class SlackCase(Case):
    slack: FakeSlack | None = None

    def _seen(self, conversation: str) -> list[Seen]:
        assert self.slack is not None
        found = []
        for message in self.slack.posted(conversation):
            if message.user != self.slack.bot_user:
                continue
            metadata = message.metadata or {}
            payload = metadata.get("event_payload") or {}
            tag = payload.get("held_id") if metadata.get("event_type") == DELIVERY_EVENT else None
            shown = message.text + json.dumps(message.blocks or [], ensure_ascii=False)
            found.append(Seen(message.ts, shown, tag, message.thread_ts))
        return found

    def messages(self, conversation: str) -> list[Seen]:
        return self._seen(conversation)

    def private_to(self, person: str) -> list[Seen]:
        return self._seen(person)  # a DM addressed by the person's id

    def fail_next(self, status: int) -> None:
        assert self.slack is not None
        self.slack.faults.fail_next.setdefault("chat.postMessage", []).append(status)

    def lose_next_answer(self) -> None:
        assert self.slack is not None
        self.slack.faults.lose_answers = 1

    def gone(self) -> None:
        assert self.slack is not None
        self.slack.archived.add(self.channel)

    async def root(self) -> str:
        assert self.slack is not None
        return self.slack.user_writes(self.channel, "U_OLA", "Skal vi bytte leverandør?").ts


def _slack_people(slack: FakeSlack) -> None:
    slack.add_user("U_KARI", "Kari", tz="Europe/Oslo", locale="nb-NO")
    slack.add_user("U_OLA", "Ola")
    slack.add_channel("C_PLATFORM")


async def _slack_case() -> SlackCase:
    slack = fake_slack(bot_token=SLACK_TOKEN, team_id="T1")
    _slack_people(slack)
    url = await slack.start()

    async def token_for(workspace: str, person: str | None) -> str | None:
        return SLACK_TOKEN if workspace == "T1" and person is None else None

    platform = SlackPlatform(token_for=token_for, base_url=url, timeout=5)
    return SlackCase(
        platform=platform,
        workspace="T1",
        channel="C_PLATFORM",
        person="U_KARI",
        missing="C_GONE",
        urgent_mark=":rotating_light:",
        closers=[platform.close, slack.stop],
        slack=slack,
    )


async def _sandbox_case(tmp: Path) -> SlackCase:
    """Exactly the demo's composition (``adapters.sandbox.demo.run_demo``)."""
    clock = FixedClock(MONDAY_0800)
    slack = FakeSlack(
        team_id="T_DEMO", bot_token=SLACK_TOKEN, wall_clock=lambda: clock.now().timestamp()
    )
    _slack_people(slack)
    url = await slack.start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'demo.db'}",
        secret_key=Cipher.generate_key(),
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret="contract-signing-secret",
        slack_api_url=url,
    )
    runtime = await build_runtime(settings, clock=clock, owner="contract")
    return SlackCase(
        platform=runtime.platforms["slack"],
        workspace="T_DEMO",
        channel="C_PLATFORM",
        person="U_KARI",
        missing="C_GONE",
        urgent_mark=":rotating_light:",
        closers=[runtime.close, slack.stop],
        slack=slack,
    )


# -- Teams ----------------------------------------------------------------------------------------


@dataclass
class TeamsCase(Case):
    connector: FakeConnector | None = None
    sessions: Sessions | None = None
    cipher: Cipher | None = None
    workspace_id: int = 0

    def _seen(self, conversation: str) -> list[Seen]:
        assert self.connector is not None
        found = []
        for call in self.connector.posted(conversation):
            body = call.body
            shown = str(body.get("text", "")) + json.dumps(
                body.get("attachments", []), ensure_ascii=False
            )
            assert call.answer_id is not None
            found.append(Seen(call.answer_id, shown, delivery_tag(body), call.reply_to))
        return found

    def messages(self, conversation: str) -> list[Seen]:
        return self._seen(conversation)

    def private_to(self, person: str) -> list[Seen]:
        """Posts into 1:1 chats opened with exactly this person (``isGroup: false``)."""
        assert self.connector is not None
        chats = {
            call.answer_id
            for call in self.connector.calls
            if call.path.endswith("/v3/conversations") and call.status < 300
            if call.body.get("isGroup") is False and call.body["members"] == [{"id": person}]
        }
        return [seen for chat in sorted(c for c in chats if c) for seen in self._seen(chat)]

    def fail_next(self, status: int) -> None:
        assert self.connector is not None
        self.connector.fail_next(status, retry_after="2" if status == 429 else None)

    def lose_next_answer(self) -> None:
        assert self.connector is not None
        self.connector.lose_answers = 1

    def gone(self) -> None:
        assert self.connector is not None
        self.connector.fail_next(404, code="ConversationNotFound")

    async def root(self) -> str:
        return str(next(_roots))

    async def tag(self) -> str:
        """A held row claimed by the engine: ``note_posted`` records ids only for those."""
        assert self.sessions is not None and self.cipher is not None
        async with self.sessions() as session, session.begin():
            held = HeldMessageRepository(session, self.cipher)
            row = await held.add(
                workspace_id=self.workspace_id,
                conversation_id=self.channel,
                author_id=KARI["id"],
                body="til mandag",
                deliver_at=MONDAY_0800,
                now=SUNDAY,
            )
            held_id = row.id
        async with self.sessions() as session, session.begin():
            claimed = await HeldMessageRepository(session, self.cipher).claim_due(
                now=MONDAY_0800, owner="contract", limit=100, lease_seconds=60
            )
        assert held_id in {row.id for row in claimed}
        return held_id

    async def reopened(self) -> ChatPlatform:
        assert self.sessions is not None and self.cipher is not None
        assert self.connector is not None
        platform = _teams_platform(self.sessions, self.cipher, self.connector.graph_url)
        self.closers.append(platform.close)
        return platform


_roots = iter(range(1_800_000_000_000, 1_900_000_000_000))


def _teams_platform(sessions: Sessions, cipher: Cipher, graph_url: str) -> TeamsPlatform:
    """The platform as ``serve`` builds it, Graph (played by the fake connector) included."""
    return TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=StaticToken(TEAMS_TOKEN), timeout=5),
        clock=FixedClock(MONDAY_0800),
        graph=GraphClient(tokens=StaticToken("graph-token"), base_url=graph_url),
    )


async def _teams_case(sessions: Sessions) -> TeamsCase:
    cipher = Cipher.from_secret(TEST_KEY)
    connector = FakeConnector(token=TEAMS_TOKEN)
    await connector.start()
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("teams", TENANT, now=SUNDAY)
        # what the app keeps when added to the team and when it hears from the channel
        for activity in (
            installation_update(connector.service_url),
            channel_message(connector.service_url),
        ):
            info = conversation_info(activity)
            assert info is not None
            await ConversationRepository(session).save(
                workspace.id,
                info.conversation,
                kind=info.kind,
                service_url=info.service_url,
                reference=info.reference_json(),
                now=SUNDAY,
            )
        await PersonRepository(session).get_or_create(
            workspace.id,
            KARI["id"],
            now=SUNDAY,
            display_name="Kari",
            tz="Europe/Oslo",
            locale="nb-NO",
        )
        workspace_id = workspace.id
    platform = _teams_platform(sessions, cipher, connector.graph_url)
    return TeamsCase(
        platform=platform,
        workspace=TENANT,
        channel=CHANNEL,
        person=KARI["id"],
        missing="19:gone@thread.tacv2",
        urgent_mark='"text": "Haster"',  # in Kari's language, on the card
        closers=[platform.close, connector.stop],
        connector=connector,
        sessions=sessions,
        cipher=cipher,
        workspace_id=workspace_id,
    )


# -- databases: one per module and engine, emptied before each Teams case --------------------------


def _off_loop(work: Callable[[], T]) -> T:
    """Run blocking set-up (its own ``asyncio.run``) beside the test's running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('contract') / 'contract.db'}"
    _off_loop(lambda: asyncio.run(_migrate(url)))
    return url


@pytest.fixture(scope="module")
def postgresql_url() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip("QH_TEST_DATABASE_URL is not set (CI sets it; see README)")
    database = _postgres_database(base)  # creates on first step, drops on the last
    url = _off_loop(lambda: next(database))
    _off_loop(lambda: asyncio.run(_migrate(url)))
    try:
        yield url
    finally:
        _off_loop(lambda: next(database, None))


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _empty(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))


@pytest.fixture(params=CASES)
async def case(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Case]:
    kind: str = request.param
    engine = None
    if kind == "slack":
        made: Case = await _slack_case()
    elif kind == "sandbox":
        made = await _sandbox_case(tmp_path)
    else:
        url = request.getfixturevalue(f"{kind.removeprefix('teams-')}_url")
        engine = create_engine(url)
        sessions = session_factory(engine)
        await _empty(sessions)
        made = await _teams_case(sessions)
    try:
        yield made
    finally:
        for close in reversed(made.closers):
            await close()
        if engine is not None:
            await engine.dispose()


# -- the contract ---------------------------------------------------------------------------------


async def test_a_post_is_visible_once_with_its_delivery_tag(case: Case) -> None:
    tag = await case.tag()
    posted = await case.platform.post(
        OutgoingMessage(workspace=case.workspace, conversation=case.channel, text="Møte?", tag=tag)
    )
    [seen] = case.messages(case.channel)
    assert (seen.id, seen.tag, seen.thread) == (posted.message_id, tag, None)
    assert "Møte?" in seen.text


async def test_a_posted_message_is_found_by_its_tag_after_a_restart(case: Case) -> None:
    tag, other = await case.tag(), await case.tag()
    posted = await case.platform.post(
        OutgoingMessage(workspace=case.workspace, conversation=case.channel, text="én", tag=tag)
    )
    again = await case.reopened()
    assert await again.find_tagged(case.workspace, case.channel, tag) == posted.message_id
    assert await again.find_tagged(case.workspace, case.channel, other) is None


async def test_a_post_whose_answer_was_lost_is_found_by_its_tag(case: Case) -> None:
    """The platform took the post but the app never heard: the tag finds it, so the engine
    records it instead of posting again (Teams: in a channel the app may read, via Graph)."""
    tag = await case.tag()
    case.lose_next_answer()
    with pytest.raises(DeliveryError) as failed:
        await case.platform.post(
            OutgoingMessage(
                workspace=case.workspace,
                conversation=case.channel,
                text="Møte?",
                tag=tag,
                author=case.person,
            )
        )
    assert failed.value.kind is DeliveryErrorKind.TRANSIENT
    [seen] = case.messages(case.channel)  # it is there all the same
    again = await case.reopened()
    assert await again.find_tagged(case.workspace, case.channel, tag) == seen.id


async def test_an_urgent_post_is_marked_urgent_where_people_see_it(case: Case) -> None:
    for urgent, text in ((False, "Til mandag"), (True, "Produksjon er nede")):
        await case.platform.post(
            OutgoingMessage(
                workspace=case.workspace,
                conversation=case.channel,
                text=text,
                author=case.person,
                urgent=urgent,
            )
        )
    calm, alarm = case.messages(case.channel)
    assert "Produksjon er nede" in alarm.text and case.urgent_mark in alarm.text
    assert "Til mandag" in calm.text and case.urgent_mark not in calm.text


async def test_a_workspace_cannot_post_into_another_workspaces_conversation(case: Case) -> None:
    with pytest.raises(DeliveryError) as failed:
        await case.platform.post(
            OutgoingMessage(workspace="T_SOMEONE_ELSE", conversation=case.channel, text="x")
        )
    assert failed.value.kind is DeliveryErrorKind.PERMANENT
    assert case.messages(case.channel) == []


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, DeliveryErrorKind.RATE_LIMITED), (503, DeliveryErrorKind.TRANSIENT)],
)
async def test_throttling_and_server_errors_are_retryable(
    case: Case, status: int, kind: DeliveryErrorKind
) -> None:
    case.fail_next(status)
    with pytest.raises(DeliveryError) as failed:
        await case.platform.post(
            OutgoingMessage(workspace=case.workspace, conversation=case.channel, text="x")
        )
    assert failed.value.kind is kind
    if kind is DeliveryErrorKind.RATE_LIMITED:
        assert failed.value.retry_after is not None and failed.value.retry_after > 0
    assert case.messages(case.channel) == []
    # and the next try goes through
    await case.platform.post(
        OutgoingMessage(workspace=case.workspace, conversation=case.channel, text="x")
    )
    assert len(case.messages(case.channel)) == 1


@pytest.mark.parametrize("how", ["missing", "gone"])
async def test_a_channel_that_is_not_there_fails_for_good_with_a_reason_people_can_read(
    case: Case, how: str
) -> None:
    conversation = case.missing if how == "missing" else case.channel
    if how == "gone":
        case.gone()
    with pytest.raises(DeliveryError) as failed:
        await case.platform.post(
            OutgoingMessage(workspace=case.workspace, conversation=conversation, text="x")
        )
    assert failed.value.kind is DeliveryErrorKind.PERMANENT
    for locale in ("en", "nb"):
        assert has_message(f"delivery.failed.{failed.value.code}", locale)


async def test_notify_reaches_the_person_privately(case: Case) -> None:
    await case.platform.notify(case.workspace, case.person, "Meldingen din ble ikke levert")
    [note] = case.private_to(case.person)
    assert "Meldingen din ble ikke levert" in note.text
    assert case.messages(case.channel) == []


async def test_a_label_is_a_reply_in_the_thread(case: Case) -> None:
    root = await case.root()
    label = await case.platform.add_label(
        case.workspace, case.channel, root, "Ingen svar ventes før man. 08:00"
    )
    [reply] = [seen for seen in case.messages(case.channel) if seen.thread == root]
    assert "Ingen svar ventes før man. 08:00" in reply.text
    assert label == reply.id
    assert [seen for seen in case.messages(case.channel) if seen.thread is None] == []


async def test_a_profile_has_name_time_zone_and_locale(case: Case) -> None:
    profile = await case.platform.user_profile(case.workspace, case.person)
    assert (profile.id, profile.name, profile.tz) == (case.person, "Kari", "Europe/Oslo")
    assert normalize_locale(profile.locale) == "nb"


def _view(case: Case, root: str) -> DigestView:
    thread = DigestThread(
        conversation=case.channel,
        thread=root,
        messages=3,
        people=2,
        first_at=SUNDAY,
        last_at=SUNDAY + timedelta(minutes=20),
        looks_decided=True,
    )
    return DigestView(
        team="Plattform",
        locale="nb",
        tz=OSLO,
        since=SUNDAY - timedelta(days=2),
        now=MONDAY_0800,
        threads=(thread,),
        first_lines={(case.channel, root): "Skal vi bytte leverandør?"},
    )


@pytest.mark.parametrize("to", ["channel", "person"])
async def test_a_digest_is_one_rich_message(case: Case, to: str) -> None:
    assert isinstance(case.platform, DigestPoster)
    root = await case.root()
    view = _view(case, root)
    where = case.channel if to == "channel" else case.person
    posted = await case.platform.post_digest(case.workspace, where, view)
    top_level = [seen for seen in case.messages(case.channel) if seen.thread is None]
    [digest] = top_level if to == "channel" else case.private_to(case.person)
    if to == "person":
        assert top_level == []
    assert digest.id == posted.message_id
    assert "3 meldinger fra 2 personer" in digest.text
    assert "Skal vi bytte leverandør?" in digest.text
