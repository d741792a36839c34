"""A whole week through the core services, the delivery engine and the sandbox Slack API.

Friday 17:30 DM -> held -> Monday 08:00 delivered once; Saturday thread -> labelled once -> in
Monday's digest (once, however many replicas run it); an urgent override goes out at once and
is logged; a leader changes the team's hours -> the next decision follows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.ports import ChatPlatform
from bot.services.compose import ComposeService
from bot.services.digest import DigestService
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.models import UrgentOverrideRow
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.support.slack import fake_slack, is_guard

Sessions = async_sessionmaker[AsyncSession]
TOKEN = "xoxb-week"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SATURDAY_1100 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = fake_slack(bot_token=TOKEN, team_id="T1")
    for user, name in (("U_KARI", "Kari"), ("U_OLA", "Ola"), ("U_PER", "Per")):
        server.add_user(user, name)
    server.add_channel("C_PLATFORM")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class Week:
    def __init__(self, sessions: Sessions, cipher: Cipher, slack: FakeSlack) -> None:
        self.clock = FixedClock(FRIDAY_1730)
        self.slack = slack
        self.sessions = sessions
        self.platform = SlackPlatform(
            token_for=StoredTokens(sessions, cipher, ttl=0), base_url=slack.url
        )
        platforms: dict[str, ChatPlatform] = {"slack": self.platform}
        self.engine = DeliveryEngine(
            sessions=sessions,
            cipher=cipher,
            platforms=platforms,
            clock=self.clock,
            owner="w",
            config=EngineConfig(),
        )
        self.compose = ComposeService(sessions=sessions, cipher=cipher, clock=self.clock)
        self.watcher = OffHoursWatcher(sessions=sessions, platforms=platforms)
        self.digests = [
            DigestService(sessions=sessions, platforms=platforms, clock=self.clock, owner=name)
            for name in ("replica-a", "replica-b")
        ]

    async def install(self, cipher: Cipher) -> int:
        async with self.sessions() as session, session.begin():
            ws = await WorkspaceRepository(session).get_or_create("slack", "T1", now=FRIDAY_1730)
            await InstallationRepository(session, cipher).save(
                ws.id, bot_token=TOKEN, now=FRIDAY_1730
            )
            people = PersonRepository(session)
            kari = await people.get_or_create(
                ws.id, "U_KARI", now=FRIDAY_1730, display_name="Kari", tz="Europe/Oslo", locale="nb"
            )
            await people.set_hours(
                kari,
                "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
                source="personal",
                now=FRIDAY_1730,
            )
            lead = await people.get_or_create(ws.id, "U_LEAD", now=FRIDAY_1730)
            teams = TeamRepository(session)
            team = await teams.create(
                ws.id,
                "Platform",
                now=FRIDAY_1730,
                mode="label",
                locale="nb",
                hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo holidays NO",
            )
            await teams.watch(team, "C_PLATFORM")
            await teams.add_leader(team.id, lead.id)
            return team.id


async def test_the_week(sessions: Sessions, cipher: Cipher, slack: FakeSlack) -> None:
    week = Week(sessions, cipher, slack)
    team_id = await week.install(cipher)

    # Friday 17:30: Ola writes to Kari. Held until Monday 08:00, and Ola is told why.
    dm = await week.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="D_KARI",
        recipient="U_KARI",
        text="Kan du se på kontrakten?",
    )
    assert dm.held
    assert dm.decision.deliver_at == MONDAY_0800
    assert dm.decision.explain("en", now=FRIDAY_1730) == "Kari's hours start Mon 08:00 Europe/Oslo."
    await week.engine.run_until_idle()
    assert slack.posted("D_KARI") == []

    # Saturday: a thread in the team channel. Labelled once, however many replies.
    week.clock.set(SATURDAY_1100)
    root = slack.user_writes("C_PLATFORM", "U_OLA", "Skal vi bytte leverandør?")
    slack.user_writes("C_PLATFORM", "U_PER", "Ja, vi går for alternativ B.", thread_ts=root.ts)
    first = ChannelMessage(
        platform="slack",
        workspace="T1",
        conversation="C_PLATFORM",
        thread=root.ts,
        author="U_OLA",
        at=SATURDAY_1100,
        text="Skal vi bytte leverandør?",
        is_thread_root=True,
    )
    reply = ChannelMessage(
        platform="slack",
        workspace="T1",
        conversation="C_PLATFORM",
        thread=root.ts,
        author="U_PER",
        at=SATURDAY_1100 + timedelta(minutes=9),
        text="Ja, vi går for alternativ B.",
        is_thread_root=False,
    )
    assert (await week.watcher.on_message(first)).labelled
    assert not (await week.watcher.on_message(reply)).labelled
    [label] = [
        m
        for m in slack.posted("C_PLATFORM")
        if m.user == "U_QUIETBOT" and m.thread_ts and not is_guard(m)  # the guard: its own test
    ]
    assert label.thread_ts == root.ts
    # Monday 08:00 Oslo in each reader's own zone; the fallback names Oslo
    assert label.text == (
        "Ingen svar forventes — svar ventes fra "
        "<!date^1796022000^{date_short_pretty} {time}|man. 08:00 (Europe/Oslo)>."
    )
    assert root.reactions == ["zzz"]

    # Saturday: an urgent override goes out now, and is logged.
    urgent = await week.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="C_PLATFORM",
        acting_in="C_PLATFORM",  # written there
        text="Serveren er nede!",
        urgent=True,
        author_name="Ola",
    )
    assert urgent.decision.urgent and not urgent.held
    await week.engine.run_until_idle()
    assert "Serveren er nede!" in [m.body for m in slack.posted("C_PLATFORM")]
    async with sessions() as session:
        assert (
            await session.execute(select(func.count()).select_from(UrgentOverrideRow))
        ).scalar() == 1

    # Sunday night: still nothing for Kari, no digest yet.
    week.clock.set(MONDAY_0800 - timedelta(seconds=1))
    await week.engine.run_until_idle()
    assert slack.posted("D_KARI") == []
    assert await week.digests[0].run_due() == []

    # Monday 08:00: the DM is delivered once; the digest is posted once across two replicas.
    week.clock.set(MONDAY_0800)
    await week.engine.run_until_idle()
    await week.engine.run_until_idle()
    assert [m.body for m in slack.posted("D_KARI")] == ["Kan du se på kontrakten?"]
    runs = [await digest.run_due() for digest in week.digests] + [await week.digests[0].run_due()]
    assert [len(run) for run in runs] == [1, 0, 0]
    digests = [m for m in slack.posted("C_PLATFORM") if m.text.startswith("Mens du var borte")]
    assert len(digests) == 1
    assert "2 meldinger fra 2 personer" in digests[0].text
    assert "beslutning tatt utenfor arbeidstid" in digests[0].text  # and guarded
    assert "Serveren er nede!" not in digests[0].text  # the bot's own post is not activity

    # A leader moves the team's hours; the next decision follows them.
    async with sessions() as session, session.begin():
        teams = TeamRepository(session)
        team = await teams.get(team_id)
        assert team is not None
        await teams.update(
            team,
            now=MONDAY_0800,
            mode="hold",
            hours_spec="mon-fri 09:00-17:00 tz Europe/Oslo holidays NO",
        )
    early = await week.compose.compose(
        platform="slack",
        workspace="T1",
        author="U_OLA",
        conversation="C_PLATFORM",
        acting_in="C_PLATFORM",  # written there
        text="God morgen",
    )
    assert early.held
    assert early.decision.deliver_at == MONDAY_0800 + timedelta(hours=1)
    assert slack.violations == []
    await week.platform.close()


async def test_no_digest_when_nothing_happened(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    week = Week(sessions, cipher, slack)
    await week.install(cipher)
    week.clock.set(MONDAY_0800 + timedelta(minutes=5))
    [run] = await week.digests[0].run_due()
    assert (run.posted, run.threads) == (0, 0)
    assert slack.posted("C_PLATFORM") == []
    await week.platform.close()
