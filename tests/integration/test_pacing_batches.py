"""Send slots taken for many conversations in one transaction, shared through the database.

A workspace bucket of 10/s with bursts of 2 and Slack's 1/s per channel with bursts of 3: each
job gets the earliest instant its buckets allow (at most half a second ahead), a job whose claim
is lost takes no slot from the others, and another replica's pacer continues where this one
left off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.jobs import Job
from bot.delivery.pacing import SharedPacer, Slot, Taken, Wait
from bot.delivery.ratelimit import SLACK_CHANNEL, Bucket
from bot.delivery.slot_batches import SlotBatches
from bot.storage.outbox import WorkspaceRef

Sessions = async_sessionmaker[AsyncSession]
T = 1_800_000_000.0
WORKSPACE = WorkspaceRef(1, "slack", "T1")


def job(conversation: str, seq: int = 1) -> Job:
    return Job(
        id=f"id-{conversation}",
        generation=1,
        workspace=WORKSPACE,
        conversation=conversation,
        thread=None,
        author="U1",
        as_author=False,
        urgent=False,
        deliver_at=datetime(2026, 11, 30, tzinfo=UTC),
        attempts=0,
        body_enc=None,
        check_first=False,
        seq=seq,
    )


def offsets(results: list[Taken | Slot | Wait]) -> list[float | str]:
    """Each result as seconds after T (a slot), "lost", or "wait N" (seconds, rounded)."""
    shown: list[float | str] = []
    for result in results:
        if isinstance(result, Taken):
            shown.append(round(result.at - T, 6))
        elif isinstance(result, Wait):
            shown.append(f"wait {result.seconds:.3f}")
        else:
            shown.append("lost")
    return shown


def pacer(sessions: Sessions, now: list[float], jitter: float = 0.0) -> SharedPacer:
    return SharedPacer(
        sessions=sessions,
        conversation_limits={"slack": SLACK_CHANNEL},
        workspace_limits={"slack": (Bucket(10.0, 2),)},
        wall=lambda: now[0],
        jitter=jitter,
        lead=0.0,  # the wall clock stands still here: no commit takes time
    )


async def held(session: AsyncSession, jobs: Sequence[Job]) -> set[str]:
    """Every claim still holds (except a conversation named ``…lost``)."""
    return {job.id for job in jobs if not job.conversation.endswith("lost")}


async def test_one_batch_paces_many_conversations_and_a_lost_claim_takes_no_slot(
    engine: object, sessions: Sessions
) -> None:
    now = [T]
    first = pacer(sessions, now)
    results = await first.take_batch([job("C1"), job("C2"), job("C3lost"), job("C4")], held)
    assert offsets(results) == [0.0, 0.0, "lost", 0.1]
    # another replica, same database: the workspace bucket goes on from T + 0.1
    other = pacer(sessions, now)
    assert offsets(await other.take_batch([job("C5")], held)) == [0.2]
    # the channel's own bucket: C1 has two of its burst of 3 left, the workspace decides
    later = await other.take_batch([job("C1"), job("C1b")], held)
    assert offsets(later) == [0.3, 0.4]


async def test_slots_beyond_the_horizon_wait_and_say_who_holds_them_back(
    engine: object, sessions: Sessions
) -> None:
    now = [T]
    shared = pacer(sessions, now)
    results = await shared.take_batch([job(f"C{n}") for n in range(9)], held)
    # 0.5 s ahead at most: the sixth slot after the burst would be at T + 0.6
    assert offsets(results) == [0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, "wait 0.600", "wait 0.600"]
    assert all(isinstance(r, Wait) and r.workspace for r in results[7:])
    # a Retry-After holds back only its channel, and says so
    await shared.block(job("C0"), 5.0)
    now[0] = T + 2.0
    blocked, free = await shared.take_batch([job("C0"), job("C9")], held)
    assert isinstance(blocked, Wait) and not blocked.workspace
    assert offsets([blocked, free]) == ["wait 3.000", 2.0]


async def test_a_tenth_of_a_second_of_each_burst_is_kept_in_reserve(
    engine: object, sessions: Sessions
) -> None:
    """Posts arrive late by varying amounts: paced at the very limit, one that is less late
    than the one before arrives early and is refused; a reserve in the platform's bucket
    absorbs that, and the rate is unchanged."""
    now = [T]
    shared = pacer(sessions, now, jitter=0.1)
    results = await shared.take_batch([job(f"C{n}") for n in range(5)], held)
    # the workspace's burst of 2 keeps 0.1 s (one send at 10/s) back: 1 at once, then 10/s
    assert offsets(results) == [0.0, 0.1, 0.2, 0.3, 0.4]
    # one channel (burst 3 at 1/s), asked four times at one instant: the first at once, the
    # next two at the workspace's pace, the fourth only when the channel's bucket holds a
    # tenth of a token more than it needs (a second after the second, plus 0.1 s)
    now[0] = T + 10
    channel = []
    for _ in range(4):
        channel += await shared.take_batch([job("C_ONE")], held)
    assert offsets(channel) == [10.0, 10.1, 10.2, "wait 1.100"]


async def test_the_workspace_slots_go_to_the_conversations_with_most_left_first(
    engine: object, sessions: Sessions
) -> None:
    """Conversations asking for the workspace's next send slots get them earliest in their
    backlog first (a 1st message before any 2nd), whoever asked first; one the workspace holds
    back waits in line for its turn (never told to wait and ask again behind the others), and
    a conversation with more left that asks meanwhile goes ahead of it."""
    shared = SharedPacer(
        sessions=sessions,
        conversation_limits={"slack": SLACK_CHANNEL},
        workspace_limits={"slack": (Bucket(10.0, 1),)},
        jitter=0.0,
    )
    batches = SlotBatches(shared, held)
    seconds = [job(f"C{n}", seq=2) for n in range(4)]  # their second message: they asked first
    firsts = [job(f"C{n}", seq=1) for n in range(4, 8)]
    asked = [asyncio.create_task(batches.take(j)) for j in seconds + firsts]
    await asyncio.sleep(0.1)  # the first batch: 6 slots within half a second, 2 held back
    late = asyncio.create_task(batches.take(job("C8", seq=1)))
    results = await asyncio.gather(*asked, late)
    assert all(isinstance(result, Taken) for result in results)
    at = {
        j.conversation: r.at
        for j, r in zip([*seconds, *firsts, job("C8")], results, strict=True)
        if isinstance(r, Taken)
    }
    assert max(at[j.conversation] for j in firsts) < min(at[j.conversation] for j in seconds)
    held_back = sorted(seconds, key=lambda j: at[j.conversation])[-2:]
    assert at["C8"] < min(at[j.conversation] for j in held_back)
    assert max(at.values()) - min(at.values()) < 1.0 + 0.05  # 9 slots at 10/s, none wasted


async def test_slots_given_back_unused_are_free_again_unless_taken_over_since(
    engine: object, sessions: Sessions
) -> None:
    """A job that wakes too late for its slot gives it back: the buckets are as if it had never
    been taken (a whole batch's slots, given back together, all go back), unless a slot has
    been taken from the bucket since — then the bucket stays as it is (never freer than the
    platform's)."""
    now = [T]
    shared = pacer(sessions, now, jitter=0.1)
    jobs = [job("C1"), job("C2"), job("C3")]
    first = await shared.take_batch(jobs, held)
    assert offsets(first) == [0.0, 0.1, 0.2]  # the workspace: one at once, then 10/s
    now[0] = T + 0.05
    given_back = [slot for slot in first if isinstance(slot, Taken)]
    again = await shared.take_batch(jobs, held, given_back)
    assert offsets(again) == [0.05, 0.15, 0.25]  # not [0.3, 0.4, 0.5]: no slot was lost
    # C1's new slot given back after C2's and C3's were taken: the workspace keeps it
    c1 = again[0]
    assert isinstance(c1, Taken)
    assert offsets(await shared.take_batch([job("C5")], held, [c1])) == [0.35]


async def test_a_post_answered_late_makes_its_buckets_count_from_the_answer(
    engine: object, sessions: Sessions
) -> None:
    """C1's first post, slot at T, is answered at T + 0.4: it may have reached an idle channel
    that late, and Slack's bucket counts from then; so do ours, and C1's fourth message waits
    until T + 1.5, not T + 1.1 (with the workspace's 10/s between)."""
    now = [T]
    shared = pacer(sessions, now, jitter=0.1)
    [first] = await shared.take_batch([job("C1")], held)
    assert isinstance(first, Taken) and offsets([first]) == [0.0]
    now[0] = T + 0.5
    assert await shared.take_batch([], held, answered_late=[(first, T + 0.4)]) == []
    results: list[Taken | Slot | Wait] = []
    for _ in range(3):
        results += await shared.take_batch([job("C1")], held)
    assert offsets(results) == [0.5, 0.6, "wait 1.000"]


async def test_only_a_slot_that_found_a_bucket_idle_is_at_risk_when_late(
    engine: object, sessions: Sessions
) -> None:
    """A late post matters only where it may be the first after a pause: C1's first slot found
    its channel idle; its second had the channel's earlier slot and the workspace's queued
    ahead of it (each more than half the reserve), so posted late it changes nothing."""
    now = [T]
    shared = SharedPacer(
        sessions=sessions,
        conversation_limits={"slack": SLACK_CHANNEL},
        workspace_limits={"slack": (Bucket(10.0, 3),)},
        wall=lambda: now[0],
        jitter=0.1,
        lead=0.0,
    )
    first, second = [(await shared.take_batch([job("C1")], held))[0] for _ in range(2)]
    assert isinstance(first, Taken) and isinstance(second, Taken)
    assert first.found_idle(shared.late)
    assert not second.found_idle(shared.late)


async def test_a_burst_of_retry_afters_is_written_on_one_connection(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    """Twenty 429s at once: each conversation is blocked for every replica, written one after
    another on one pooled connection, not twenty connections opened at once."""
    now = [T]
    shared = pacer(sessions, now)
    out = [0, 0]  # checked out now, most at once

    def checkout(*_: object) -> None:
        out[0] += 1
        out[1] = max(out)

    def checkin(*_: object) -> None:
        out[0] -= 1

    event.listen(engine.sync_engine, "checkout", checkout)
    event.listen(engine.sync_engine, "checkin", checkin)
    try:
        await asyncio.gather(*(shared.block(job(f"C{n}"), 5.0) for n in range(20)))
    finally:
        event.remove(engine.sync_engine, "checkout", checkout)
        event.remove(engine.sync_engine, "checkin", checkin)
    assert out[1] == 1
    results = await shared.take_batch([job(f"C{n}") for n in range(20)], held)
    assert all(isinstance(result, Wait) and not result.workspace for result in results)
