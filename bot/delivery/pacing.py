"""Pacing shared by every replica: send slots are taken in the database, with the lease fence.

Each conversation and each workspace has token buckets (``bot/delivery/ratelimit.py``) stored in
``send_slots``. Taking send slots is one transaction for a *batch* of jobs (at most one per
conversation): the buckets are read (and locked, in key order), each job is given the earliest
instant every one of its buckets (and any ``Retry-After``) allows — if that is within
:data:`HORIZON_SECONDS` — then the fences on those jobs' claims are taken in one statement, and
the buckets are compare-and-set in one statement as if those jobs were sent at their instants;
all committed before any platform call. (A statement per job and per bucket made a batch take
0.3-0.8 s on PostgreSQL on a loaded machine, too slow to keep 100 sends a second planned.) The
job then waits for its instant and posts. Two replicas therefore share one budget per
conversation and per workspace instead of pacing separately, a ``Retry-After`` recorded by one
holds back all of them, and one commit paces many sends (a commit per send capped a workspace at
one send per commit's latency: about 60/s on PostgreSQL on a loaded 2-core machine).

The fence extends the lease by a whole lease (60 s by default) and the instant is at most
:data:`HORIZON_SECONDS` ahead, so a job is still the claim's own when it posts.

Posts reach the platform a little later than their instant, by a varying amount (the event
loop, the network). Paced exactly at a limit, a post delayed less than the one before it would
arrive early and be refused with a 429 — and 38 % of a 10k herd's posts were. So each bucket
leaves :data:`JITTER_SECONDS` worth of its burst unused (never more than the burst minus one):
the platform's bucket then always holds that much in reserve, which absorbs lateness up to
that long; the rate is unchanged, and a herd ends that much later, once. And a batch's slots
start no earlier than the previous batch took from planning to commit: planned from the
moment of planning, the first slots of a slow commit would already be past when it is done,
and their posts would go out together.

A post that goes out later than its instant by more than half the reserve
(:attr:`SharedPacer.late`; the other half is for the way to the platform), on a slot that found
one of its buckets idle or nearly (:meth:`Taken.found_idle`), is not sent: an idle bucket of the
platform's counts from the post's real arrival, ours from its instant, and later posts paced on
ours are refused. (A bucket busy with earlier slots is still busy when the late post arrives,
and nothing changes: a saturated workspace's late posts go out.) Whatever made it
late — a starved event loop waking several timers at once, a commit slower than the lead so that
the slot was already past when it came, a slow history look-up — the job gives its slot back
and asks for a new one in its place in line (:class:`Taken` says what it took from each bucket;
the next batch puts a bucket back as it was if nobody has taken a slot from it since, latest
first, so a whole batch made late at once gives every slot back). A late wake then costs a
transaction, not a ``429`` and a ``Retry-After`` second for its conversation, and the buckets
keep agreeing with the platform's however late a replica is. A post can also be late on its way
(a starved platform, or network): when its answer comes back more than half the reserve after
its instant, the next batch (started at once if none is under way) makes each of its buckets
count from no earlier than the answer (``tat`` at least the answer plus one interval) — what
the platform's bucket did if it was idle when the post arrived; a busy bucket is already past
that and does not change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.jobs import Job
from bot.delivery.ratelimit import Bucket
from bot.storage.send_slots import SendSlotRepository, SlotState

__all__ = [
    "HORIZON_SECONDS",
    "JITTER_SECONDS",
    "SharedPacer",
    "Slot",
    "Taken",
    "Wait",
]

#: Buckets idle this long are deleted (longer than any window they keep: Teams' hour).
IDLE_SECONDS = 2 * 3600.0
#: A send slot is reserved at most this far ahead (seconds); later ones wait and ask again.
HORIZON_SECONDS = 0.5
#: Each bucket's burst left unused, in seconds of its rate (see the module's docstring).
JITTER_SECONDS = 0.1
#: A bucket given back to "never used" (any instant long past reads the same).
IDLE_TAT = 0.0
#: The lead before any batch has been timed (seconds).
FIRST_LEAD = 0.05
#: The lead (the last batch's plan-to-commit time) follows a slower commit at once, a faster
#: one by this factor per batch.
LEAD_DECAY = 0.8


class Slot(Enum):
    LOST = "lost"  # the claim is no longer ours: drop the job, send nothing


@dataclass(frozen=True)
class Taken:
    """The fence held and every bucket allows a send at ``at`` (Unix seconds): committed.

    ``took``: per bucket, ``(key, tat before, tat after)`` — what giving the slot back (unused)
    restores, if the bucket is still at ``tat after``.
    """

    at: float
    took: tuple[tuple[str, float | None, float], ...] = ()

    def found_idle(self, margin: float) -> bool:
        """Did any of its buckets have less than ``margin`` seconds queued ahead of it (idle, or
        nearly)? A late post may then be the first the platform's bucket sees after a pause,
        and count from its late arrival; a bucket with more queued is still busy when it
        arrives, and a late post changes nothing there."""
        return any(before is None or before - self.at < margin for _, before, _ in self.took)


@dataclass(frozen=True)
class Wait:
    """Not yet: try again in ``seconds``; ``workspace`` when only the workspace holds it back."""

    seconds: float
    workspace: bool


class _Moved(Exception):
    """A bucket moved under us (another replica sent): roll back and try again at once."""


#: Takes the send slot of each job's claim, in the pacer's transaction (``take_send_slots``);
#: returns the ids whose claims still hold (the others are no longer ours).
Fence = Callable[[AsyncSession, Sequence[Job]], Awaitable[Collection[str]]]
Result = Taken | Slot | Wait


class SharedPacer:
    """Takes send slots for jobs; ``limits`` are buckets by platform name (none: unpaced)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        conversation_limits: Mapping[str, Sequence[Bucket]],
        workspace_limits: Mapping[str, Sequence[Bucket]],
        wall: Callable[[], float] = time.time,
        horizon: float = HORIZON_SECONDS,
        jitter: float = JITTER_SECONDS,
        lead: float = FIRST_LEAD,
    ) -> None:
        self._sessions = sessions
        self._conversation = conversation_limits
        self._workspace = workspace_limits
        self._wall = wall
        self._horizon = horizon
        self._jitter = jitter
        self._lead = lead
        self._blocking = asyncio.Lock()

    def wall(self) -> float:
        """The clock slots are reserved on (Unix seconds)."""
        return self._wall()

    @property
    def horizon(self) -> float:
        """How far ahead (seconds) a send slot may be reserved."""
        return self._horizon

    def _conversation_keys(self, job: Job) -> list[tuple[str, Bucket]]:
        buckets = self._conversation.get(job.workspace.platform, ())
        return [(f"c:{job.workspace.key}:{job.conversation}#{n}", b) for n, b in enumerate(buckets)]

    def _workspace_keys(self, job: Job) -> list[tuple[str, Bucket]]:
        buckets = self._workspace.get(job.workspace.platform, ())
        return [(f"w:{job.workspace.key}#{n}", bucket) for n, bucket in enumerate(buckets)]

    @staticmethod
    def _block_key(job: Job) -> str:
        """The row that holds the conversation's ``Retry-After`` (its first bucket's row)."""
        return f"c:{job.workspace.key}:{job.conversation}#0"

    @property
    def late(self) -> float:
        """Seconds after its instant past which a slot is given back rather than posted on:
        half the reserve (the other half absorbs the way to the platform)."""
        return self._jitter / 2

    async def take(self, job: Job, fence: Fence, given_back: Sequence[Taken] = ()) -> Result:
        """One job's slot: see :meth:`take_batch`."""
        return (await self.take_batch([job], fence, given_back))[0]

    async def take_batch(
        self,
        jobs: Sequence[Job],
        fence: Fence,
        given_back: Sequence[Taken] = (),
        answered_late: Sequence[tuple[Taken, float]] = (),
    ) -> list[Result]:
        """Send slots for ``jobs`` (at most one per conversation), in one transaction in which
        ``fence`` takes the claims' send slots of the jobs that may send, and the slots in
        ``given_back`` (taken for these jobs, not posted on: too late) are put back into their
        buckets where nobody has taken a slot since, and the buckets of each post in
        ``answered_late`` (its slot, when its answer came) count from no earlier than then
        (it may have reached an idle bucket that late: ``tat`` at least the answer plus the
        bucket's interval; a busy bucket is already past that). ``jobs`` may be empty.

        Per job, in order: :class:`Taken` (committed; post at its ``at``), :attr:`Slot.LOST`
        (no longer ours: send nothing) or :class:`Wait`. Raises the database's errors (a
        deadlock is for the caller to retry; a slot given back to a failed call stays taken,
        which only paces more carefully).
        """
        while True:
            try:
                return await self._try(jobs, fence, given_back, answered_late)
            except _Moved:
                continue

    def _plan(
        self,
        jobs: Sequence[Job],
        states: Mapping[str, SlotState],
        base: Mapping[str, float | None],
        now: float,
        start: float,
    ) -> tuple[list[Taken | Wait], dict[str, float]]:
        """Each job's instant (or wait) in order, none before ``start``, from the buckets at
        ``base``; and the buckets' new ``tat``s (those that differ from ``states``)."""
        tats = dict(base)
        plans: list[Taken | Wait] = []
        for job in jobs:
            pairs = self._conversation_keys(job) + self._workspace_keys(job)
            blocked = states[self._block_key(job)].blocked_until
            conversation_at = max(
                [start, blocked]
                + [
                    _earliest(bucket, tats[key], start, self._jitter)
                    for key, bucket in self._conversation_keys(job)
                ]
            )
            workspace_at = max(
                [start]
                + [
                    _earliest(bucket, tats[key], start, self._jitter)
                    for key, bucket in self._workspace_keys(job)
                ]
            )
            at = max(conversation_at, workspace_at)
            if at - now > self._horizon:
                plans.append(Wait(at - now, workspace_at > conversation_at))
                continue
            took = []
            for key, bucket in pairs:
                tat = tats[key]
                after = max(start if tat is None else tat, at) + 1.0 / bucket.rate
                tats[key] = after
                took.append((key, tat, after))
            plans.append(Taken(at, tuple(took)))
        changed = {
            key: tat for key, tat in tats.items() if tat is not None and tat != states[key].tat
        }
        return plans, changed

    async def _try(
        self,
        jobs: Sequence[Job],
        fence: Fence,
        given_back: Sequence[Taken],
        answered_late: Sequence[tuple[Taken, float]],
    ) -> list[Result]:
        async with self._sessions() as session, session.begin():
            slots = SendSlotRepository(session)
            keys: set[str] = set()
            for job in jobs:
                keys.add(self._block_key(job))
                keys.update(key for key, _ in self._conversation_keys(job))
                keys.update(key for key, _ in self._workspace_keys(job))
            keys.update(key for slot, _ in answered_late for key, _, _ in slot.took)
            # locked (PostgreSQL), in key order, until the commit: another replica's batch
            # waits instead of planning on the same buckets and losing its compare-and-set
            states = await slots.read(sorted(keys), lock=True)
            base = _given_back(states, given_back)
            for slot, answered in answered_late:
                base = _answered_late(base, slot, answered)
            now = self._wall()
            start = now + self._lead  # no slot before the commit is likely to be done
            plans, _ = self._plan(jobs, states, base, now, start)
            results: list[Result] = list(plans)
            sending = [n for n, plan in enumerate(plans) if isinstance(plan, Taken)]
            held = set(await fence(session, [jobs[n] for n in sending])) if sending else set()
            fenced: list[int] = []
            for n in sending:
                if jobs[n].id in held:
                    fenced.append(n)
                else:
                    results[n] = Slot.LOST
            # the buckets as if only the fenced jobs send (the others' slots stay free)
            final, changed = self._plan([jobs[n] for n in fenced], states, base, now, start)
            for n, plan in zip(fenced, final, strict=True):
                results[n] = plan  # never later than planned above: fewer jobs went before it
            old = {key: states[key].tat for key in changed}
            if not await slots.compare_and_set_many(old, changed):
                raise _Moved  # leaves the transaction: the fences are rolled back too
        # how long planning to commit took: the next batch's slots start that much later,
        # so a slow commit does not leave the first slots in the past, posted all at once
        took = self._wall() - now
        self._lead = min(self._horizon / 2, max(took, LEAD_DECAY * self._lead))
        return results

    async def block(self, job: Job, seconds: float) -> None:
        """A ``Retry-After`` of ``seconds`` on the job's conversation, for every replica.

        One at a time in a process: 429s come in bursts, and each waiting on the database in
        its own transaction took a pooled connection apiece (SQLite writes one at a time
        anyway), growing the pool to its limit; each connection then kept its own caches.
        """
        async with self._blocking:
            now = self._wall()
            async with self._sessions() as session, session.begin():
                await SendSlotRepository(session).block(self._block_key(job), now + seconds, now)

    async def forget_idle(self) -> int:
        """Delete buckets nobody has used for :data:`IDLE_SECONDS`."""
        async with self._sessions() as session, session.begin():
            return await SendSlotRepository(session).forget_idle(self._wall() - IDLE_SECONDS)


def _given_back(
    states: Mapping[str, SlotState], given_back: Sequence[Taken]
) -> dict[str, float | None]:
    """The buckets' ``tat``s with the slots in ``given_back`` put back: each bucket as it was
    before the slot, if it is still as the slot left it (nobody took one since), latest slot
    first, so slots taken one after another in a bucket all go back."""
    tats = {key: state.tat for key, state in states.items()}
    returned = sorted(
        ((after, key, before) for slot in given_back for key, before, after in slot.took),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    for after, key, before in returned:
        if key in tats and tats[key] == after:
            tats[key] = IDLE_TAT if before is None else before
    return tats


def _answered_late(
    tats: dict[str, float | None], slot: Taken, answered: float
) -> dict[str, float | None]:
    """``tats`` with each bucket the post on ``slot`` went through counting from no earlier
    than its answer: at least the answer plus the bucket's interval (the platform's bucket, if
    it was idle when the post arrived, is no further on than that)."""
    for key, before, after in slot.took:
        tat = tats.get(key)
        if tat is None:  # forgotten since (idle for hours): nothing to correct
            continue
        interval = after - max(slot.at, slot.at if before is None else before)
        tats[key] = max(tat, answered + interval)
    return tats


def _earliest(bucket: Bucket, tat: float | None, now: float, jitter: float) -> float:
    """The first instant ``bucket`` (with ``tat``) lets a send through, from ``now`` on, with
    ``jitter`` seconds of its burst (at most all but one send) kept in reserve."""
    if tat is None:
        return now
    spare = (bucket.burst - 1) / bucket.rate
    return max(now, tat - spare + min(jitter, spare))
