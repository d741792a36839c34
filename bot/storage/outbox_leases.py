"""Leases on outbox rows: claim, fence each send, renew, record — so a row is posted at most once.

A claim is ``(lease_owner, lease_generation)``: every claim bumps the generation, so a process
that lost its lease (it lapsed, another replica re-claimed the row) can never act on the row
again, even when the new claim is its own. Before each platform call the holder takes the
*send slot* (:meth:`LeaseOperations.take_send_slot`): a conditional UPDATE that succeeds only
while the claim is current and its lease unexpired, committed before the call. ``send_generation``
then says "a post may have reached the platform": whoever claims the row next looks for the
delivery tag before posting; a row whose send slot was never taken is re-sent without a look.

Lock order: statements that touch several rows (renewal, recording) first lock them with
``SELECT … ORDER BY id FOR UPDATE``, so two replicas' transactions always take row locks in id
order and cannot deadlock each other. Claims use ``SKIP LOCKED`` and never wait.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, not_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.claim_room import ClaimLimits, ClaimRoom
from bot.storage.models import HeldMessageRow, WorkspaceRow
from bot.storage.statements import padded, unindexed

__all__ = ["ClaimLimits", "LeaseOperations", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """A delivery to record: the held row, the claim generation that sent it, the platform id."""

    message_id: str
    generation: int
    platform_message_id: str


class LeaseOperations:
    """The lease half of :class:`bot.storage.outbox.HeldMessageRepository` (mixed in there)."""

    _session: AsyncSession

    async def claim_due(
        self,
        *,
        now: datetime,
        owner: str,
        limit: int,
        lease_seconds: float,
        limits: ClaimLimits | None = None,
    ) -> list[HeldMessageRow]:
        """Move up to ``limit`` due rows to ``delivering`` under a new claim held by ``owner``.

        Due means ``delivering`` whose lease expired (its owner died or stalled), claimed first,
        or ``held`` with ``deliver_at`` passed (and no retry pause pending), earliest first,
        and among rows due at the same instant by their place in their conversation (``seq``):
        the first message of every conversation, then the second of every one, and so on, so
        conversations empty evenly, as in the platform's best schedule (``bench/bounds.py``). On
        PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so replicas
        claim disjoint sets without waiting on each other. With ``limits``, conversations and
        workspaces already at their bound (counting every replica's live claims) are skipped and
        no conversation gets more than its bound. Returned rows carry the new
        ``lease_generation``; ``send_generation`` not NULL means "look for the tag first".

        Each kind is read by its own statement in ``(state, deliver_at, seq)`` index order, so a
        claim reads about ``limit`` rows however many are due (one ``OR`` over both kinds made
        SQLite sort every due row on each claim).
        """
        room = (
            await ClaimRoom.load(self._session, limits, now)
            if limits
            else ClaimRoom(ClaimLimits(), now)
        )
        lease_until = now + timedelta(seconds=lease_seconds)
        claimed: list[HeldMessageRow] = []
        for due in (_expired, _held):
            if len(claimed) < limit:
                ids = await self._candidates(due(now, indexed=True), room, limit - len(claimed))
                claimed += await self._claim(ids, due(now, indexed=False), owner, lease_until, now)
        # RETURNING follows no ORDER BY: restore due order, which the engine keeps per conversation
        return sorted(claimed, key=lambda row: (row.deliver_at, row.seq))

    async def _candidates(self, due: ColumnElement[bool], room: ClaimRoom, limit: int) -> list[str]:
        query = (
            select(
                HeldMessageRow.id,
                HeldMessageRow.workspace_id,
                WorkspaceRow.platform,
                HeldMessageRow.conversation_id,
            )
            .join(WorkspaceRow, WorkspaceRow.id == HeldMessageRow.workspace_id)
            .where(due)
            .order_by(HeldMessageRow.deliver_at, HeldMessageRow.seq)
            .limit(limit)
            .with_for_update(skip_locked=True, of=HeldMessageRow)
        )
        if room.full_workspaces:
            query = query.where(HeldMessageRow.workspace_id.not_in(padded(room.full_workspaces)))
        if room.full_conversations:
            key = tuple_(HeldMessageRow.workspace_id, HeldMessageRow.conversation_id)
            query = query.where(not_(key.in_(padded(room.full_conversations))))
        rows = (await self._session.execute(query)).all()
        await room.count(self._session, ((row.workspace_id, row[3]) for row in rows))
        return [row.id for row in rows if room.take(row.workspace_id, row.platform, row[3])]

    async def _claim(
        self,
        ids: list[str],
        due: ColumnElement[bool],
        owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> list[HeldMessageRow]:
        if not ids:
            return []
        # ``due`` again: on SQLite nothing locked the candidates, a cancel may have come between
        result = await self._session.scalars(
            update(HeldMessageRow)
            .where(HeldMessageRow.id.in_(padded(ids)), due)
            .values(
                state="delivering",
                lease_owner=owner,
                lease_until=lease_until,
                lease_generation=HeldMessageRow.lease_generation + 1,
                updated_at=now,
            )
            .returning(HeldMessageRow),
            execution_options={"synchronize_session": False},
        )
        return list(result.all())

    async def take_send_slot(
        self, message_id: str, *, owner: str, generation: int, now: datetime, lease_seconds: float
    ) -> bool:
        """The fence before a platform call: ``True`` only while this claim holds the row.

        Marks the row as possibly posted (``send_generation``), counts an attempt the first
        time this claim sends, and extends the lease to ``now + lease_seconds`` so nobody may
        re-claim the row while the call (bounded by the platform timeout) is in flight. Commit
        before calling the platform; on ``False`` drop the job: it is no longer ours.
        """
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(
                HeldMessageRow.id == message_id,
                HeldMessageRow.state == "delivering",
                HeldMessageRow.lease_owner == owner,
                HeldMessageRow.lease_generation == generation,
                HeldMessageRow.lease_until > now,
            )
            .values(
                send_generation=generation,
                attempts=case(
                    (HeldMessageRow.send_generation == generation, HeldMessageRow.attempts),
                    else_=HeldMessageRow.attempts + 1,
                ),
                lease_until=now + timedelta(seconds=lease_seconds),
                updated_at=now,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def take_send_slots(
        self,
        claims: Sequence[tuple[str, int]],
        *,
        owner: str,
        now: datetime,
        lease_seconds: float,
    ) -> set[str]:
        """:meth:`take_send_slot` for many ``(id, generation)`` claims in one statement (after
        locking the rows in id order); returns the ids whose claims held."""
        if not claims:
            return set()
        await self._lock_in_id_order([message_id for message_id, _ in claims], owner)
        result = await self._session.scalars(
            update(HeldMessageRow)
            .where(
                HeldMessageRow.id.in_(padded(message_id for message_id, _ in claims)),
                tuple_(HeldMessageRow.id, HeldMessageRow.lease_generation).in_(padded(claims)),
                unindexed(HeldMessageRow.state) == "delivering",
                HeldMessageRow.lease_owner == owner,
                HeldMessageRow.lease_until > now,
            )
            .values(
                send_generation=HeldMessageRow.lease_generation,
                attempts=case(
                    (
                        HeldMessageRow.send_generation == HeldMessageRow.lease_generation,
                        HeldMessageRow.attempts,
                    ),
                    else_=HeldMessageRow.attempts + 1,
                ),
                lease_until=now + timedelta(seconds=lease_seconds),
                updated_at=now,
            )
            .returning(HeldMessageRow.id),
            execution_options={"synchronize_session": False},
        )
        return set(result.all())

    async def _lock_in_id_order(self, ids: Sequence[str], owner: str) -> list[str]:
        """Lock the rows we still hold, lowest id first (the order every writer keeps)."""
        query = (
            select(HeldMessageRow.id)
            .where(
                HeldMessageRow.id.in_(padded(set(ids))),
                unindexed(HeldMessageRow.state) == "delivering",
                HeldMessageRow.lease_owner == owner,
            )
            .order_by(HeldMessageRow.id)
            .with_for_update()
        )
        return list((await self._session.scalars(query)).all())

    async def renew_leases(
        self, *, owner: str, ids: Sequence[str], now: datetime, lease_seconds: float
    ) -> int:
        """Extend the leases ``owner`` still holds on ``ids``; returns how many were extended."""
        held = await self._lock_in_id_order(ids, owner)
        if not held:
            return 0
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id.in_(padded(held)), HeldMessageRow.lease_owner == owner)
            .values(lease_until=now + timedelta(seconds=lease_seconds))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def record_delivered(
        self, outcomes: Sequence[Outcome], *, owner: str, at: datetime
    ) -> set[str]:
        """Record deliveries made under ``owner``'s claims; erase their bodies (the platform has
        them now). Returns the ids recorded; a row re-claimed since is left to its new owner,
        who finds our tag. One ``UPDATE … RETURNING`` for the whole batch (each row's platform
        id by a ``CASE`` on its id), after locking the rows in id order."""
        if not outcomes:
            return set()
        await self._lock_in_id_order([outcome.message_id for outcome in outcomes], owner)
        posted = padded((o.message_id, o.platform_message_id) for o in outcomes)
        result = await self._session.scalars(
            update(HeldMessageRow)
            .where(
                HeldMessageRow.id.in_(padded(outcome.message_id for outcome in outcomes)),
                tuple_(HeldMessageRow.id, HeldMessageRow.lease_generation).in_(
                    padded((outcome.message_id, outcome.generation) for outcome in outcomes)
                ),
                unindexed(HeldMessageRow.state) == "delivering",
                HeldMessageRow.lease_owner == owner,
            )
            .values(
                state="delivered",
                platform_message_id=case(
                    *[(HeldMessageRow.id == message_id, sent) for message_id, sent in posted]
                ),
                delivered_at=at,
                body_enc=None,
                lease_owner=None,
                lease_until=None,
                updated_at=at,
            )
            .returning(HeldMessageRow.id),
            execution_options={"synchronize_session": False},
        )
        recorded = set(result.all())
        await self._release_after(
            {o.message_id: o.platform_message_id for o in outcomes if o.message_id in recorded}, at
        )
        return recorded

    async def _release_after(self, posted: Mapping[str, str], at: datetime) -> None:
        """Replies held after roots just delivered get the roots' new threads: one indexed
        read for the batch (nearly always finding none), a write only for roots that have."""
        if not posted:
            return
        roots = await self._session.scalars(
            select(HeldMessageRow.after_id)
            .where(
                HeldMessageRow.after_id.in_(padded(posted)),
                unindexed(HeldMessageRow.state) == "held",
            )
            .distinct()
        )
        for root in [root for root in roots.all() if root is not None]:
            await self.release_followers(root, thread=_thread_of(posted[root]), now=at)

    async def release_followers(self, root_id: str, *, thread: str | None, now: datetime) -> int:
        """The replies held after ``root_id`` (``after_id``) may go: into ``thread`` (the root's
        new post), or with None at the conversation's top (the root was cancelled or failed,
        or the platform posted it where we cannot tell). In the caller's transaction, so a
        root's outcome and its replies' thread are written together. Returns how many."""
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.after_id == root_id, unindexed(HeldMessageRow.state) == "held")
            .values(after_id=None, thread_id=thread, updated_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def mark_delivered(
        self,
        message_id: str,
        *,
        owner: str,
        platform_message_id: str,
        at: datetime,
        generation: int | None = None,
    ) -> bool:
        """Record one delivery (``generation`` defaults to the row's current claim)."""
        if generation is None:
            row = await self._session.get(HeldMessageRow, message_id)
            generation = row.lease_generation if row is not None else -1
        recorded = await self.record_delivered(
            [Outcome(message_id, generation, platform_message_id)], owner=owner, at=at
        )
        return message_id in recorded

    async def mark_failed(
        self,
        message_id: str,
        *,
        error: str,
        at: datetime,
        owner: str | None = None,
        generation: int | None = None,
    ) -> bool:
        """Fail an open row and erase its body; with ``owner``/``generation`` only under that
        claim."""
        conditions = [HeldMessageRow.id == message_id, HeldMessageRow.state.in_(OPEN_STATES)]
        if owner is not None:
            conditions.append(HeldMessageRow.lease_owner == owner)
        if generation is not None:
            conditions.append(HeldMessageRow.lease_generation == generation)
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(*conditions)
            .values(
                state="failed",
                last_error=error,
                body_enc=None,
                lease_owner=None,
                lease_until=None,
                updated_at=at,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self.release_followers(message_id, thread=None, now=at)
        return True

    async def release(
        self,
        message_id: str,
        *,
        owner: str,
        retry_at: datetime,
        error: str,
        at: datetime,
        generation: int | None = None,
        attempted: bool = True,
    ) -> bool:
        """Give a claimed row back to the outbox, to be retried no earlier than ``retry_at``.

        ``send_generation`` stays as it is: a row that may have been posted is still checked by
        whoever claims it next, one never sent is not. ``attempted=False``: this claim took the
        send slot but is sure nothing was posted (it could not even build the message), so the
        attempt the send slot counted is taken back.
        """
        conditions = [
            HeldMessageRow.id == message_id,
            HeldMessageRow.state == "delivering",
            HeldMessageRow.lease_owner == owner,
        ]
        if generation is not None:
            conditions.append(HeldMessageRow.lease_generation == generation)
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(*conditions)
            .values(
                state="held",
                lease_owner=None,
                lease_until=retry_at,
                last_error=error,
                updated_at=at,
                attempts=HeldMessageRow.attempts - (0 if attempted else 1),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_all(
        self,
        claims: Sequence[tuple[str, int]],
        *,
        owner: str,
        retry_at: datetime,
        error: str,
        at: datetime,
    ) -> int:
        """:meth:`release` for many ``(id, generation)`` claims at once (shutdown), in id order."""
        if not claims:
            return 0
        await self._lock_in_id_order([message_id for message_id, _ in claims], owner)
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(
                HeldMessageRow.id.in_(padded(message_id for message_id, _ in claims)),
                tuple_(HeldMessageRow.id, HeldMessageRow.lease_generation).in_(padded(claims)),
                unindexed(HeldMessageRow.state) == "delivering",
                HeldMessageRow.lease_owner == owner,
            )
            .values(
                state="held",
                lease_owner=None,
                lease_until=retry_at,
                last_error=error,
                updated_at=at,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def adopt_stale(self, *, owner: str, now: datetime) -> tuple[int, int]:
        """A restarted process takes back what its previous life (same ``owner``) left claimed.

        Only safe when no live process can hold ``owner`` (the engine's owner name is bound to
        a listening port). Rows never sent go straight back to ``held``; rows whose send slot
        was taken become claimable now, to be looked up by tag first. Returns (released, due).
        """
        mine = and_(HeldMessageRow.state == "delivering", HeldMessageRow.lease_owner == owner)
        unsent = await self._session.execute(
            update(HeldMessageRow)
            .where(mine, HeldMessageRow.send_generation.is_(None))
            .values(state="held", lease_owner=None, lease_until=None, updated_at=now)
        )
        sent = await self._session.execute(
            update(HeldMessageRow)
            .where(mine, HeldMessageRow.send_generation.is_not(None))
            .values(lease_until=now, updated_at=now)
        )
        return int(unsent.rowcount), int(sent.rowcount)  # type: ignore[attr-defined]


OPEN_STATES = ("held", "delivering")


def _expired(now: datetime, *, indexed: bool) -> ColumnElement[bool]:
    """Claimed rows whose lease has lapsed; ``indexed=False`` for a statement that names its
    rows by id (``bot/storage/statements.py``)."""
    state = HeldMessageRow.state if indexed else unindexed(HeldMessageRow.state)
    return and_(state == "delivering", HeldMessageRow.lease_until <= now)


def _held(now: datetime, *, indexed: bool) -> ColumnElement[bool]:
    """Held rows due now (no retry pause pending, no held root to wait for)."""
    state = HeldMessageRow.state if indexed else unindexed(HeldMessageRow.state)
    after_id = HeldMessageRow.after_id if indexed else unindexed(HeldMessageRow.after_id)
    return and_(
        state == "held",
        HeldMessageRow.deliver_at <= now,
        or_(HeldMessageRow.lease_until.is_(None), HeldMessageRow.lease_until <= now),
        after_id.is_(None),  # a reply waits for its held root's new thread
    )


def _thread_of(platform_message_id: str) -> str | None:
    """The thread a delivered root opens: its new id; None when the platform posted it from
    its own schedule (recorded as ``scheduled:<id>``, its new id unknown)."""
    return None if platform_message_id.startswith("scheduled:") else platform_message_id
