"""The delivery engine against the sandbox Slack Web API over real HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack, Faults
from adapters.slack.platform import SlackPlatform
from bot.clock import FixedClock, SystemClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import SLACK_CHANNEL, Backoff, Bucket
from bot.storage.crypto import Cipher
from bot.storage.outbox import HeldMessageRepository
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    WorkspaceRepository,
)
from tests.support.slack import fake_slack

MONDAY_8 = datetime(2026, 11, 30, 7, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
TOKEN = "xoxb-test-token"

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = fake_slack(bot_token=TOKEN, team_id="T1")
    server.add_user("U_KARI", "Kari", locale="nb-NO")
    for channel in ("C1", "C2", "C3"):
        server.add_channel(channel)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def install(sessions: Sessions, cipher: Cipher, team: str = "T1") -> int:
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", team, now=FRIDAY)
        await InstallationRepository(session, cipher).save(
            workspace.id, bot_token=TOKEN, now=FRIDAY
        )
        await PersonRepository(session).get_or_create(
            workspace.id, "U_KARI", now=FRIDAY, locale="nb"
        )
        return workspace.id


async def hold(
    sessions: Sessions,
    cipher: Cipher,
    workspace_id: int,
    channel: str,
    text: str,
    deliver_at: datetime = MONDAY_8,
) -> str:
    async with sessions() as session, session.begin():
        row = await HeldMessageRepository(session, cipher).add(
            workspace_id=workspace_id,
            conversation_id=channel,
            author_id="U_KARI",
            body=text,
            deliver_at=deliver_at,
            now=FRIDAY,
        )
        return row.id


def platform_for(sessions: Sessions, cipher: Cipher, slack: FakeSlack) -> SlackPlatform:
    async def token_for(team: str, person: str | None) -> str | None:
        async with sessions() as session:
            workspace = await WorkspaceRepository(session).find("slack", team)
            if workspace is None:
                return None
            return await InstallationRepository(session, cipher).bot_token(workspace.id)

    return SlackPlatform(token_for=token_for, base_url=slack.url, timeout=2)


def engine_for(
    sessions: Sessions,
    cipher: Cipher,
    slack: FakeSlack,
    clock: FixedClock,
    owner: str = "test",
    **config: object,
) -> DeliveryEngine:
    settings = {
        "conversation_limits": {"slack": SLACK_CHANNEL},
        "backoff": Backoff(base=0.05, cap=0.2),
        "lease_seconds": 30.0,
        **config,
    }
    return DeliveryEngine(
        sessions=sessions,
        cipher=cipher,
        platforms={"slack": platform_for(sessions, cipher, slack)},
        clock=clock,
        owner=owner,
        config=EngineConfig(**settings),  # type: ignore[arg-type]
    )


async def states(sessions: Sessions, cipher: Cipher) -> dict[str, int]:
    async with sessions() as session:
        return await HeldMessageRepository(session, cipher).count_by_state()


async def test_nothing_is_posted_before_it_is_due(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    workspace = await install(sessions, cipher)
    await hold(sessions, cipher, workspace, "C1", "Kan vi ta dette mandag?")
    clock = FixedClock(MONDAY_8 - timedelta(seconds=1))
    engine = engine_for(sessions, cipher, slack, clock)
    await engine.run_until_idle()
    assert slack.posted("C1") == []
    clock.set(MONDAY_8)
    await engine.run_until_idle()
    [message] = slack.posted("C1")
    assert message.body == "Kan vi ta dette mandag?"
    assert message.metadata is not None
    assert message.metadata["event_type"] == "quiet_hours_delivery"
    assert await states(sessions, cipher) == {"delivered": 1}
    assert slack.violations == []


async def test_every_message_once_in_order_per_channel(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    workspace = await install(sessions, cipher)
    texts = {f"C{n % 3 + 1}": [] for n in range(3)}  # type: dict[str, list[str]]
    for n in range(30):
        channel = f"C{n % 3 + 1}"
        texts[channel].append(f"message {n}")
        await hold(
            sessions,
            cipher,
            workspace,
            channel,
            f"message {n}",
            deliver_at=MONDAY_8 + timedelta(microseconds=n),
        )
    engine = engine_for(
        sessions, cipher, slack, FixedClock(MONDAY_8 + timedelta(seconds=1)), conversation_limits={}
    )
    await engine.run_until_idle()
    for channel, expected in texts.items():
        assert [m.body for m in slack.posted(channel)] == expected
    assert engine.metrics.delivered._value.get() == 30


async def test_transient_failures_and_429_bursts_deliver_everything_once(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    slack.faults = Faults(
        error_rate=0.1,
        timeout_rate=0.05,
        slow_seconds=3.0,
        channel_rate=5.0,
        channel_burst=3,
        seed=7,
    )
    slack.faults.fail_next["chat.postMessage"] = [429, 429, 503, 429]
    workspace = await install(sessions, cipher)
    sent = [await hold(sessions, cipher, workspace, f"C{n % 3 + 1}", f"msg {n}") for n in range(40)]
    clock = FixedClock(MONDAY_8)
    engine = engine_for(sessions, cipher, slack, clock, conversation_limits={}, max_attempts=50)
    for _ in range(40):
        await engine.run_until_idle()
        clock.advance(timedelta(seconds=1))  # retry pauses run on the engine's clock
        if (await states(sessions, cipher)).get("delivered") == len(sent):
            break
        await asyncio.sleep(0.1)
    texts = Counter(m.body for m in slack.posted())
    assert texts == Counter(f"msg {n}" for n in range(40))
    assert engine.metrics.rate_limited._value.get() >= 3
    assert engine.metrics.retries._value.get() >= 1


async def test_archived_channel_fails_and_the_author_is_told_others_unaffected(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    slack.archived.add("C2")
    workspace = await install(sessions, cipher)
    await hold(sessions, cipher, workspace, "C1", "fine")
    doomed = await hold(sessions, cipher, workspace, "C2", "into the archive")
    await engine_for(sessions, cipher, slack, FixedClock(MONDAY_8)).run_until_idle()
    assert [m.body for m in slack.posted("C1")] == ["fine"]
    async with sessions() as session:
        row = await HeldMessageRepository(session, cipher).get(doomed)
    assert row is not None
    assert (row.state, row.last_error) == ("failed", "is_archived")
    [note] = slack.posted("U_KARI")
    assert note.text.startswith("Den holdte meldingen din til <#C2> kunne ikke leveres")
    assert "arkivert" in note.text


async def test_revoked_workspace_fails_without_touching_another_workspace(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    mine = await install(sessions, cipher, "T1")
    other = await install(sessions, cipher, "T2")
    await hold(sessions, cipher, mine, "C1", "to a revoked workspace")
    await hold(sessions, cipher, other, "C3", "to a healthy workspace")
    async with sessions() as session, session.begin():
        await InstallationRepository(session, cipher).revoke(mine, FRIDAY)
    await engine_for(sessions, cipher, slack, FixedClock(MONDAY_8)).run_until_idle()
    assert [m.body for m in slack.posted("C3")] == ["to a healthy workspace"]
    assert slack.posted("C1") == []
    assert await states(sessions, cipher) == {"delivered": 1, "failed": 1}


async def test_crash_after_posting_is_not_posted_again(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    """Posted, then the process died before recording: the next owner finds the tag."""
    workspace = await install(sessions, cipher)
    message_id = await hold(sessions, cipher, workspace, "C1", "exactly once")
    async with sessions() as session, session.begin():
        repo = HeldMessageRepository(session, cipher)
        [claimed] = await repo.claim_due(now=MONDAY_8, owner="dead", limit=10, lease_seconds=5)
        assert await repo.take_send_slot(
            message_id,
            owner="dead",
            generation=claimed.lease_generation,
            now=MONDAY_8,
            lease_seconds=5,
        )
    # the dead process got as far as posting, tagged with the held id
    platform = platform_for(sessions, cipher, slack)
    from bot.ports import OutgoingMessage

    await platform.post(
        OutgoingMessage(workspace="T1", conversation="C1", text="exactly once", tag=message_id)
    )
    clock = FixedClock(MONDAY_8 + timedelta(seconds=6))  # the lease has expired
    engine = engine_for(sessions, cipher, slack, clock, owner="new")
    await engine.run_until_idle()
    assert [m.body for m in slack.posted("C1")] == ["exactly once"]
    assert await states(sessions, cipher) == {"delivered": 1}
    assert engine.metrics.recovered._value.get() == 1


async def test_two_engines_share_the_outbox_without_duplicates(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    workspace = await install(sessions, cipher)
    for n in range(60):
        await hold(sessions, cipher, workspace, f"C{n % 3 + 1}", f"m{n}")
    clock = FixedClock(MONDAY_8)
    engines = [
        engine_for(sessions, cipher, slack, clock, owner=name, conversation_limits={}, batch_size=5)
        for name in ("a", "b")
    ]
    await asyncio.gather(*(engine.run_until_idle() for engine in engines))
    texts = Counter(m.body for m in slack.posted())
    assert texts == Counter(f"m{n}" for n in range(60))


async def test_run_stops_within_the_grace_period_and_releases_work(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    workspace = await install(sessions, cipher)
    for n in range(20):
        await hold(sessions, cipher, workspace, "C1", f"slow {n}")
    # one per second in one channel: most are still queued when we stop
    engine = engine_for(sessions, cipher, slack, FixedClock(MONDAY_8), shutdown_grace_seconds=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    counts = await states(sessions, cipher)
    assert counts.get("delivering", 0) == 0
    assert counts["held"] + counts["delivered"] == 20
    assert 2 <= counts["delivered"] < 20
    # what was released is picked up again without a "was it posted?" check
    await engine_for(
        sessions, cipher, slack, FixedClock(MONDAY_8), conversation_limits={}, owner="next"
    ).run_until_idle()
    assert Counter(m.body for m in slack.posted("C1")) == Counter(f"slow {n}" for n in range(20))
    assert slack.calls_to("conversations.history") == []


async def test_leases_are_kept_until_the_shutdown_is_over(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    """1 s leases, one send per 2 s: what waits while the engine shuts down is still ours when
    its turn comes (sent) or when the grace period ends (given back), never left stranded."""
    workspace = await install(sessions, cipher)
    for n in range(6):
        await hold(sessions, cipher, workspace, "C1", f"slow {n}")
    engine = engine_for(
        sessions,
        cipher,
        slack,
        SystemClock(),
        lease_seconds=1.0,
        claim_share=10.0,  # claim all six at once
        conversation_limits={"slack": (Bucket(0.5, 1),)},
        shutdown_grace_seconds=4.0,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    counts = await states(sessions, cipher)
    assert counts.get("delivering", 0) == 0
    assert counts["delivered"] >= 2  # the second went out 2 s into the shutdown, under renewals
    assert counts["delivered"] + counts["held"] == 6


async def test_a_herd_reaches_every_conversation_first_and_leaves_none_for_last(
    sessions: Sessions, cipher: Cipher, slack: FakeSlack
) -> None:
    """Messages held conversation by conversation (all of C1's, then C2's, then C3's), due at
    one instant: they go out one of each conversation at a time, so every conversation hears
    early and none is left with its whole backlog when the others are done (the tail that then
    goes at the channel's 1/s)."""
    workspace = await install(sessions, cipher)
    for channel in ("C1", "C2", "C3"):
        for n in range(4):
            await hold(sessions, cipher, workspace, channel, f"{channel} message {n}")
    engine = engine_for(
        sessions,
        cipher,
        slack,
        FixedClock(MONDAY_8 + timedelta(seconds=1)),
        batch_size=3,
        max_in_flight=3,
        conversation_limits={},
        workspace_limits={"slack": (Bucket(20.0, 1),)},
    )
    await engine.run_until_idle()
    order = [
        str(call.params["channel"])
        for call in slack.calls
        if call.method == "chat.postMessage" and call.status == 200
    ]
    assert len(order) == 12
    assert sorted(order[:3]) == ["C1", "C2", "C3"]
    assert sorted(order[-3:]) == ["C1", "C2", "C3"]
    for channel in ("C1", "C2", "C3"):
        assert [m.body for m in slack.posted(channel)] == [
            f"{channel} message {n}" for n in range(4)
        ]
