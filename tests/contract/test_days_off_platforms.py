"""Days off on every chat adapter (issue #9 part 5): what is held for a person who is away waits
until their first working hour after it, and their digest covers the whole absence.

Each case is the real adapter over real HTTP — :class:`SlackPlatform` against the fake Slack Web
API, :class:`TeamsPlatform` against the fake Bot Connector — with the real
:class:`ComposeService`, :class:`DeliveryEngine`, :class:`DigestService` and database. Friday
27 November 2026, 17:30 in Oslo: Kari (Oslo, team hours Mon–Fri 08:00–16:00) is off Monday 30
November to Wednesday 2 December. Ola writes to her now; the channel is busy in the evenings
while she is away, and on Tuesday morning, in the team's hours, Ola starts a thread that only her
welcome-back digest can tell her about (seen through the real :class:`OffHoursWatcher`). A
daytime message on the Friday before, when nobody in the channel is away, leaves no trace.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.platform import SlackPlatform
from adapters.teams.activities import conversation_info
from adapters.teams.connector import BotConnector, StaticToken
from adapters.teams.platform import TeamsPlatform
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine
from bot.ports import ChatPlatform
from bot.services.compose import ComposeService
from bot.services.days_off import save_days_off
from bot.services.digest import DigestService
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, HeldMessageRow, ReturnDigestRow
from bot.storage.repositories import (
    ActivityRepository,
    ConversationRepository,
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.support.slack import fake_slack
from tests.support.teams import (
    CHANNEL,
    TEAM,
    TENANT,
    FakeConnector,
    channel_message,
    installation_update,
)

Sessions = async_sessionmaker[AsyncSession]
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
THURSDAY_0759 = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)
THURSDAY_0800 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
AWAY = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
#: off-hours threads in the channel: one on Saturday (the team's own Monday digest has it),
#: two on Tuesday evening, while Kari is away (only her welcome-back digest tells her)
THREADS = [
    ("1001", datetime(2026, 11, 28, 9, 0, tzinfo=UTC)),
    ("1002", datetime(2026, 12, 1, 19, 0, tzinfo=UTC)),
    ("1003", datetime(2026, 12, 1, 19, 30, tzinfo=UTC)),
]
#: in the team's hours (Oslo 10:00): Friday, nobody away; Tuesday, Kari away
FRIDAY_1000 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TUESDAY_1000 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYTIME_LINE = "Vi flytter lanseringen til januar"
SLACK_TOKEN = "xoxb-days-off"
TEAMS_TOKEN = "outbound-token"


@dataclass
class Case:
    name: str
    workspace: str
    channel: str
    kari: str
    ola: str
    platform: ChatPlatform
    private_to: Callable[[str], list[str]]  # what a person was sent privately, as shown
    everything: Callable[[], list[str]]  # all the bot posted anywhere, as shown
    closers: list[Any] = field(default_factory=list)


async def _workspace(sessions: Sessions, platform: str, external: str, case: Case) -> int:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create(
            platform, external, now=FRIDAY_1730
        )
        teams = TeamRepository(session)
        team = await teams.create(
            workspace.id,
            "Plattform",
            now=FRIDAY_1730,
            hours_spec="mon-fri 08:00-16:00 tz Europe/Oslo",
        )
        await teams.watch(team, case.channel)
        people = PersonRepository(session)
        await people.get_or_create(
            workspace.id, case.ola, now=FRIDAY_1730, display_name="Ola", tz="Europe/Oslo"
        )
        kari = await people.get_or_create(
            workspace.id,
            case.kari,
            now=FRIDAY_1730,
            display_name="Kari",
            tz="Europe/Oslo",
            locale="nb-NO",
        )
        # her own hours (until the workspace default covers a private message, #9 part 2)
        await people.set_hours(
            kari, "mon-fri 08:00-16:00 tz Europe/Oslo", source="personal", now=FRIDAY_1730
        )
        await save_days_off(session, kari, AWAY, today=date(2026, 11, 27), now=FRIDAY_1730)
        for thread, at in THREADS:
            for minute in range(2):
                await ActivityRepository(session).record(
                    workspace_id=workspace.id,
                    team_id=team.id,
                    conversation_id=case.channel,
                    thread_id=thread,
                    person_id=case.ola,
                    occurred_at=at.replace(minute=minute),
                    is_thread_root=minute == 0,
                )
        return workspace.id


async def _slack_case(sessions: Sessions, cipher: Cipher) -> Case:
    slack = fake_slack(bot_token=SLACK_TOKEN, team_id="T1")
    slack.add_user("U_KARI", "Kari", tz="Europe/Oslo", locale="nb-NO")
    slack.add_user("U_OLA", "Ola", tz="Europe/Oslo")
    slack.add_channel("C_PLATFORM", members=["U_KARI", "U_OLA"])
    url = await slack.start()

    async def token_for(workspace: str, person: str | None) -> str | None:
        return SLACK_TOKEN if workspace == "T1" and person is None else None

    platform = SlackPlatform(token_for=token_for, base_url=url, timeout=5)

    def private_to(person: str) -> list[str]:
        return [
            m.text + json.dumps(m.blocks or [], ensure_ascii=False) for m in slack.posted(person)
        ]

    def everything() -> list[str]:
        return [m.text + json.dumps(m.blocks or [], ensure_ascii=False) for m in slack.posted()]

    case = Case(
        "slack", "T1", "C_PLATFORM", "U_KARI", "U_OLA", platform, private_to, everything,
        [platform.close, slack.stop],
    )  # fmt: skip
    workspace_id = await _workspace(sessions, "slack", "T1", case)
    async with sessions() as session, session.begin():
        await InstallationRepository(session, cipher).save(
            workspace_id, bot_token=SLACK_TOKEN, now=FRIDAY_1730
        )
    return case


async def _teams_case(sessions: Sessions, cipher: Cipher) -> Case:
    connector = FakeConnector(token=TEAMS_TOKEN)
    await connector.start()
    kari, ola = "29:kari-aad", "29:ola-aad"
    connector.members[TEAM] = [{"id": kari, "name": "Kari"}, {"id": ola, "name": "Ola"}]
    platform = TeamsPlatform(
        sessions=sessions,
        cipher=cipher,
        connector=BotConnector(tokens=StaticToken(TEAMS_TOKEN), timeout=5),
        clock=FixedClock(FRIDAY_1730),
    )

    def private_to(person: str) -> list[str]:
        chats = {
            call.answer_id
            for call in connector.calls
            if call.path.endswith("/v3/conversations") and call.status < 300
            if call.body.get("isGroup") is False and call.body["members"] == [{"id": person}]
        }
        return [
            str(call.body.get("text", ""))
            + json.dumps(call.body.get("attachments", []), ensure_ascii=False)
            for chat in sorted(c for c in chats if c)
            for call in connector.posted(chat)
        ]

    def everything() -> list[str]:
        return [json.dumps(call.body, ensure_ascii=False) for call in connector.posted()]

    case = Case(
        "teams", TENANT, CHANNEL, kari, ola, platform, private_to, everything,
        [platform.close, connector.stop],
    )  # fmt: skip
    workspace_id = await _workspace(sessions, "teams", TENANT, case)
    async with sessions() as session, session.begin():
        for activity in (
            installation_update(connector.service_url),
            channel_message(connector.service_url),
        ):
            info = conversation_info(activity)
            assert info is not None
            await ConversationRepository(session).save(
                workspace_id,
                info.conversation,
                kind=info.kind,
                service_url=info.service_url,
                reference=info.reference_json(),
                now=FRIDAY_1730,
            )
    return case


@pytest.fixture(params=["slack", "teams"])
async def case(
    request: pytest.FixtureRequest, sessions: Sessions, cipher: Cipher
) -> AsyncIterator[Case]:
    made = await (_slack_case if request.param == "slack" else _teams_case)(sessions, cipher)
    try:
        yield made
    finally:
        for close in reversed(made.closers):
            await close()


async def test_held_for_someone_away_arrives_at_their_return_with_the_digest_of_it(
    case: Case, sessions: Sessions, cipher: Cipher
) -> None:
    clock = FixedClock(FRIDAY_1730)
    platforms = {case.name: case.platform}
    compose = ComposeService(sessions=sessions, cipher=cipher, clock=clock)
    engine = DeliveryEngine(
        sessions=sessions, cipher=cipher, platforms=platforms, clock=clock, owner="contract"
    )
    digests = DigestService(
        sessions=sessions, platforms=platforms, clock=clock, owner="contract", cipher=cipher
    )

    composed = await compose.compose(
        platform=case.name,
        workspace=case.workspace,
        author=case.ola,
        conversation=case.kari,
        recipient=case.kari,
        text="Ring meg når du er tilbake",
        author_name="Ola",
    )
    assert composed.decision.deliver_at == THURSDAY_0800  # not Monday: she is away

    watcher = OffHoursWatcher(sessions=sessions, platforms=platforms, cipher=cipher, clock=clock)

    def daytime(thread: str, at: datetime, text: str) -> ChannelMessage:
        return ChannelMessage(
            platform=case.name,
            workspace=case.workspace,
            conversation=case.channel,
            thread=thread,
            author=case.ola,
            at=at,
            text=text,
            is_thread_root=True,
            message_id=thread,
        )

    # Friday morning, in hours, nobody in the channel away: nothing about it is stored
    clock.set(FRIDAY_1000)
    calm = await watcher.on_message(daytime("0900", FRIDAY_1000, "Kaffe?"))
    # Tuesday morning, in hours, Kari away: kept (metadata, and its first line encrypted)
    clock.set(TUESDAY_1000)
    kept = await watcher.on_message(daytime("2001", TUESDAY_1000, DAYTIME_LINE))
    assert (calm.recorded, kept.recorded, kept.labelled) == (False, True, False)
    async with sessions() as session:
        stored = (await session.scalars(select(ActivityRow).order_by(ActivityRow.id))).all()
    assert [(a.thread_id, a.in_hours) for a in stored if a.thread_id in ("0900", "2001")] == [
        ("2001", True)
    ]

    for instant in (MONDAY_0800, THURSDAY_0759):
        clock.set(instant)
        await engine.run_until_idle()
        await digests.run_due()
        assert case.private_to(case.kari) == []  # nothing while away, nor before her hours

    clock.set(THURSDAY_0800)
    await engine.run_until_idle()
    await engine.run_until_idle()
    await digests.run_due()
    await digests.run_due()  # once, however often the job runs
    shown = case.private_to(case.kari)
    assert sum("Ring meg når du er tilbake" in text for text in shown) == 1
    [digest] = [text for text in shown if "Mens du var borte" in text]
    # the whole absence: from Friday 16:00, when her hours closed before it, to Thursday; the
    # three evening threads and Tuesday morning's, each once
    assert "4 tråder" in digest and "fre. 16:00" in digest
    assert DAYTIME_LINE in digest and "Kaffe?" not in digest
    async with sessions() as session:
        [held] = (await session.scalars(select(HeldMessageRow))).all()
        [claim] = (await session.scalars(select(ReturnDigestRow))).all()
    assert (held.state, held.delivered_at is not None) == ("delivered", True)
    assert (claim.person_id, claim.period_end, claim.state) == (case.kari, THURSDAY_0800, "posted")
    assert case.private_to(case.ola) == []  # Ola was not away
    # the team's own digests are about off-hours only: Tuesday morning's thread is in none,
    # and nobody but Kari hears of it
    assert sum(DAYTIME_LINE in text for text in case.everything()) == 1
