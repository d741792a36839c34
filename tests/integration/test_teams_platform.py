"""TeamsPlatform and the delivery engine against a fake Bot Connector over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.activities import conversation_info
from adapters.teams.connector import BotConnector, StaticToken
from adapters.teams.platform import TeamsPlatform
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import TEAMS_CONVERSATION, Backoff
from bot.ports import DeliveryError, DeliveryErrorKind, OutgoingMessage
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    ConversationRepository,
    PersonRepository,
    WorkspaceRepository,
)
from tests.support.teams import (
    CHANNEL,
    KARI,
    OLA,
    TEAM,
    TENANT,
    FakeConnector,
    channel_message,
    element_text,
    installation_update,
)

SUNDAY_EVENING = datetime(2026, 11, 29, 20, 14, tzinfo=UTC)  # 21:14 in Oslo
MONDAY_8 = datetime(2026, 11, 30, 7, tzinfo=UTC)
TOKEN = "outbound-token"

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    server = FakeConnector(token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def install(sessions: Sessions, connector: FakeConnector) -> int:
    """What the app stores when it is added to a team and hears from a channel."""
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            "teams", TENANT, now=SUNDAY_EVENING
        )
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
                now=SUNDAY_EVENING,
            )
        await PersonRepository(session).get_or_create(
            workspace.id,
            KARI["id"],
            now=SUNDAY_EVENING,
            display_name="Kari",
            tz="Europe/Oslo",
            locale="nb",
        )
        return workspace.id


async def hold(sessions: Sessions, cipher: Cipher, workspace_id: int, text: str) -> str:
    async with sessions() as session, session.begin():
        row = await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace_id,
            conversation_id=CHANNEL,
            author_id=KARI["id"],
            body=text,
            deliver_at=MONDAY_8,
            now=SUNDAY_EVENING,
            as_author=True,
        )
        return row.id


def platform_for(
    sessions: Sessions, cipher: Cipher, clock: FixedClock, token: str = TOKEN
) -> TeamsPlatform:
    return TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=StaticToken(token), timeout=2),
        clock=clock,
    )


def engine_for(
    sessions: Sessions, cipher: Cipher, platform: TeamsPlatform, clock: FixedClock
) -> DeliveryEngine:
    return DeliveryEngine(
        sessions=sessions,
        cipher=cipher,
        platforms={"teams": platform},
        clock=clock,
        owner="test",
        config=EngineConfig(
            conversation_limits={"teams": TEAMS_CONVERSATION},
            backoff=Backoff(base=0.05, cap=0.2),
            lease_seconds=30.0,
        ),
    )


async def row_of(sessions: Sessions, cipher: Cipher, held_id: str) -> tuple[str, str | None]:
    async with sessions() as session:
        row = await HeldMessageRepository(session, cipher).get(held_id)
        assert row is not None
        return row.state, row.platform_message_id


async def test_a_held_message_reaches_the_channel_once_naming_its_author(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    workspace = await install(sessions, connector)
    held = await hold(sessions, cipher, workspace, "Kan vi ta dette mandag?")
    clock = FixedClock(MONDAY_8)
    platform = platform_for(sessions, cipher, clock)
    try:
        await engine_for(sessions, cipher, platform, clock).run_until_idle()
    finally:
        await platform.close()
    [call] = connector.posted(CHANNEL)
    assert call.path == f"/emea/v3/conversations/{CHANNEL}/activities"
    assert call.authorization == f"Bearer {TOKEN}"
    activity = call.body
    assert activity["channelData"] == {"quietHours": {"delivery": held}}
    assert activity["from"]["id"].startswith("28:")
    [card] = activity["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    byline, body = card["content"]["body"]
    # Kari's language; Sun 21:14 in Oslo, shown in each reader's own zone
    assert (
        element_text(byline)
        == "Fra Kari · skrevet {{DATE(2026-11-29T20:14:00Z, SHORT)}} {{TIME(2026-11-29T20:14:00Z)}}"
    )
    assert element_text(body) == "Kan vi ta dette mandag?"
    assert connector.violations == []
    state, message_id = await row_of(sessions, cipher, held)
    assert state == "delivered"
    assert message_id is not None


async def test_throttled_then_delivered_once(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    workspace = await install(sessions, connector)
    held = await hold(sessions, cipher, workspace, "Neste uke")
    connector.fail_next(429, retry_after="0.2")
    clock = FixedClock(MONDAY_8)
    platform = platform_for(sessions, cipher, clock)
    engine = engine_for(sessions, cipher, platform, clock)
    try:
        await engine.run_until_idle()
    finally:
        await platform.close()
    statuses = [call.status for call in connector.calls]
    assert statuses == [429, 201]
    assert len(connector.posted(CHANNEL)) == 1
    assert engine.metrics.rate_limited._value.get() == 1
    assert (await row_of(sessions, cipher, held))[0] == "delivered"


async def test_a_server_error_is_retried_after_backoff(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    workspace = await install(sessions, connector)
    held = await hold(sessions, cipher, workspace, "Neste uke")
    connector.fail_next(502)
    clock = FixedClock(MONDAY_8)
    platform = platform_for(sessions, cipher, clock)
    engine = engine_for(sessions, cipher, platform, clock)
    try:
        await engine.run_until_idle()
        assert (await row_of(sessions, cipher, held))[0] == "held"
        clock.advance(timedelta(seconds=5))
        await engine.run_until_idle()
    finally:
        await platform.close()
    assert [call.status for call in connector.calls] == [502, 201]
    assert (await row_of(sessions, cipher, held))[0] == "delivered"


async def test_a_crash_after_posting_does_not_post_twice(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    workspace = await install(sessions, connector)
    held = await hold(sessions, cipher, workspace, "Bare én gang")
    clock = FixedClock(MONDAY_8)
    # A first process claims the row, posts, and dies before recording the delivery.
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        [claimed] = await repo.claim_due(now=MONDAY_8, owner="dead", limit=10, lease_seconds=30)
        assert await repo.take_send_slot(
            held,
            owner="dead",
            generation=claimed.lease_generation,
            now=MONDAY_8,
            lease_seconds=30,
        )
    assert claimed.id == held
    first = platform_for(sessions, cipher, clock)
    posted = await first.post(
        OutgoingMessage(
            workspace=TENANT, conversation=CHANNEL, text="Bare én gang", tag=held, author=KARI["id"]
        )
    )
    await first.close()
    # A new process takes the row over once the lease runs out.
    clock.advance(timedelta(seconds=31))
    second = platform_for(sessions, cipher, clock)
    engine = engine_for(sessions, cipher, second, clock)
    try:
        await engine.run_until_idle()
    finally:
        await second.close()
    assert len(connector.posted(CHANNEL)) == 1
    assert engine.metrics.recovered._value.get() == 1
    assert await row_of(sessions, cipher, held) == ("delivered", posted.message_id)


async def test_bot_removed_fails_for_good_and_tells_the_author_privately(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    workspace = await install(sessions, connector)
    held = await hold(sessions, cipher, workspace, "Til kanalen")
    connector.fail_next(403, code="BotNotInConversationRoster")
    clock = FixedClock(MONDAY_8)
    platform = platform_for(sessions, cipher, clock)
    try:
        await engine_for(sessions, cipher, platform, clock).run_until_idle()
    finally:
        await platform.close()
    async with sessions() as session:
        row = await HeldMessageRepository(session, cipher).get(held)
        assert row is not None
        assert (row.state, row.last_error, row.body_enc) == (
            "failed",
            "bot_not_in_conversation",
            None,
        )
    created = [call for call in connector.calls if call.path == "/emea/v3/conversations"]
    assert [call.body["members"] for call in created] == [[{"id": KARI["id"]}]]
    [note] = connector.posted(f"a:personal-{KARI['id']}")
    assert "Til kanalen" not in note.body["text"]  # the note names the failure, not the text
    # the channel by the names Teams shows, never by its id
    assert "Plattform" in note.body["text"] and CHANNEL not in note.body["text"]
    assert connector.violations == []


async def test_a_refused_token_is_refreshed_once(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    await install(sessions, connector)

    class Rotating:
        def __init__(self) -> None:
            self.refreshes = 0

        async def token(self, *, refresh: bool = False) -> str | None:
            self.refreshes += refresh
            return TOKEN if refresh else "expired-token"

    tokens = Rotating()
    platform = TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=tokens, timeout=2),
        clock=FixedClock(MONDAY_8),
    )
    try:
        posted = await platform.post(
            OutgoingMessage(workspace=TENANT, conversation=CHANNEL, text="x")
        )
    finally:
        await platform.close()
    assert posted.message_id
    assert [call.status for call in connector.calls] == [401, 201]
    assert tokens.refreshes == 1


async def test_labels_profiles_members_and_unknown_conversations(
    sessions: Sessions, cipher: Cipher, connector: FakeConnector
) -> None:
    await install(sessions, connector)
    connector.members[TEAM] = [
        {"id": KARI["id"], "name": "Kari"},
        {"id": OLA["id"], "name": "Ola Nordmann", "givenName": "Ola"},
    ]
    platform = platform_for(sessions, cipher, FixedClock(MONDAY_8))
    try:
        label = await platform.add_label(TENANT, CHANNEL, "1700000000001", "Ingen svar ventes")
        kari = await platform.user_profile(TENANT, KARI["id"])
        ola = await platform.user_profile(TENANT, OLA["id"])
        members = await platform.channel_members(TENANT, f"{CHANNEL};messageid=1700000000001")
        with pytest.raises(DeliveryError) as unknown:
            await platform.post(OutgoingMessage(workspace=TENANT, conversation="19:nope", text="x"))
        with pytest.raises(DeliveryError) as not_installed:
            await platform.post(OutgoingMessage(workspace="other", conversation=CHANNEL, text="x"))
    finally:
        await platform.close()
    [reply] = connector.posted(CHANNEL)
    assert reply.reply_to == "1700000000001"
    assert label is not None
    assert (kari.name, kari.tz, kari.locale) == ("Kari", "Europe/Oslo", "nb")
    assert ola.name == "Ola Nordmann"
    assert members == [KARI["id"], OLA["id"]]
    assert (unknown.value.kind, unknown.value.code) == (
        DeliveryErrorKind.PERMANENT,
        "no_conversation_reference",
    )
    assert not_installed.value.code == "not_installed"


async def test_members_are_read_page_by_page(connector: FakeConnector) -> None:
    connector.members["19:chat"] = [{"id": f"29:{n}"} for n in range(5)]
    client = BotConnector(tokens=StaticToken(TOKEN), timeout=2)
    try:
        members = await client.members(connector.service_url, "19:chat", page_size=2)
    finally:
        await client.close()
    assert [member["id"] for member in members] == [f"29:{n}" for n in range(5)]
    assert len(connector.calls) == 3
