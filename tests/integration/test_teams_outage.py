"""A Teams activity that arrives while the database is unreachable: 503 (retry), never lost."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.teams.app import ROUTE, TeamsBot
from bot.clock import FixedClock
from bot.metrics import DeliveryMetrics
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ConversationRow
from bot.web import build_app
from tests.support.outage import DatabaseOutage
from tests.support.teams import PERSONAL_KARI, FakeConnector, installation_update, personal_message

SUNDAY = datetime(2026, 11, 29, 20, 14, tzinfo=UTC)


async def test_an_activity_during_a_database_outage_gets_503_and_its_retry_is_served(
    database_url: str,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
) -> None:
    outage = DatabaseOutage(database_url)
    app_engine = create_engine(await outage.url())
    connector = FakeConnector()
    await connector.start()
    app = build_app(engine=app_engine, delivery_metrics=DeliveryMetrics())
    TeamsBot(
        app_id=None,
        app_password=None,
        tenant_id=None,
        sessions=session_factory(app_engine),
        cipher=cipher,
        clock=FixedClock(SUNDAY),
    ).mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url(ROUTE))
    activity = personal_message(connector.service_url, "help")
    try:
        async with aiohttp.ClientSession() as http:
            warm = installation_update(connector.service_url, scope="team")
            async with http.post(url, json=warm) as response:
                assert response.status == 202
            await outage.down(app_engine)
            async with http.post(url, json=activity) as response:
                assert response.status == 503
                assert int(response.headers["Retry-After"]) > 0
            assert connector.posted(PERSONAL_KARI) == []
            await outage.up()
            async with http.post(url, json=activity) as response:  # the Bot Connector retries
                assert response.status == 202
    finally:
        await server.close()
        await connector.stop()
        await app_engine.dispose()
        await outage.close()
    assert len(connector.posted(PERSONAL_KARI)) == 1
    async with sessions() as session:
        stored = (await session.scalars(select(ConversationRow.conversation_id))).all()
    assert stored.count(PERSONAL_KARI) == 1
