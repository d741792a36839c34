"""The held-message outbox: durable rows, encrypted bodies (leases: ``outbox_leases.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.ids import held_id
from bot.storage.crypto import Cipher
from bot.storage.models import HeldMessageRow, PersonRow, WorkspaceRow
from bot.storage.outbox_leases import OPEN_STATES, ClaimLimits, LeaseOperations, Outcome

__all__ = ["OPEN_STATES", "ClaimLimits", "HeldMessageRepository", "Outcome", "WorkspaceRef"]


@dataclass(frozen=True)
class WorkspaceRef:
    """Which platform and workspace a held message belongs to (as the adapters know it)."""

    id: int
    platform: str
    external_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.external_id}"


class HeldMessageRepository(LeaseOperations):
    """Everything the core does with held messages; bodies are encrypted before they are stored.

    Claiming, fencing, renewing and recording live in :class:`LeaseOperations`.
    """

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(
        self,
        *,
        workspace_id: int,
        conversation_id: str,
        author_id: str,
        body: str,
        deliver_at: datetime,
        now: datetime,
        thread_id: str | None = None,
        kind: str = "later",
        as_author: bool = False,
        urgent: bool = False,
        source_message_id: str | None = None,
        after_id: str | None = None,
    ) -> HeldMessageRow:
        """Hold a message (body encrypted) until ``deliver_at``; its ``seq`` is its place in
        the conversation's open backlog (one more than the last open row's), which claims and
        send slots follow so that every conversation's first message goes before any second."""
        last = await self._session.scalar(
            select(func.max(HeldMessageRow.seq)).where(
                HeldMessageRow.workspace_id == workspace_id,
                HeldMessageRow.conversation_id == conversation_id,
                HeldMessageRow.state.in_(OPEN_STATES),
            )
        )
        row = HeldMessageRow(
            source_message_id=source_message_id,
            after_id=after_id,
            id=str(uuid.uuid4()),
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            seq=(last or 0) + 1,
            thread_id=thread_id,
            author_id=author_id,
            body_enc=self._cipher.encrypt(body),
            kind=kind,
            as_author=as_author,
            urgent=urgent,
            created_at=now,
            deliver_at=deliver_at,
            state="held",
            attempts=0,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, message_id: str) -> HeldMessageRow | None:
        """The held message, or None (also for an id not shaped like ours: ``bot.domain.ids``)."""
        if held_id(message_id) is None:
            return None
        return await self._session.get(HeldMessageRow, message_id)

    def body(self, row: HeldMessageRow) -> str | None:
        """The decrypted body, or ``None`` once it has been erased."""
        return None if row.body_enc is None else self._cipher.decrypt(row.body_enc)

    async def set_body(self, message_id: str, body: str, now: datetime) -> bool:
        """Edit a message that is still held."""
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == message_id, HeldMessageRow.state == "held")
            .values(body_enc=self._cipher.encrypt(body), updated_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def reschedule(self, message_id: str, deliver_at: datetime, now: datetime) -> bool:
        """Send now / later: only a message that is still held can move."""
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == message_id, HeldMessageRow.state == "held")
            .values(deliver_at=deliver_at, lease_until=None, updated_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def cancel(self, message_id: str, now: datetime) -> bool:
        """Cancel a held message and erase its body; ``False`` if it is no longer held. Replies
        held after it (``after_id``) are not lost with it: they go out at the conversation's
        top when due."""
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == message_id, HeldMessageRow.state == "held")
            .values(state="cancelled", body_enc=None, updated_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self.release_followers(message_id, thread=None, now=now)
        return True

    async def held_root(
        self, workspace_id: int, conversation_id: str, source_message_id: str
    ) -> HeldMessageRow | None:
        """The auto-held message that was ``source_message_id`` in the conversation (its
        original was taken down), whatever its state now; None when we hold no such message."""
        query = (
            select(HeldMessageRow)
            .where(
                HeldMessageRow.workspace_id == workspace_id,
                HeldMessageRow.conversation_id == conversation_id,
                HeldMessageRow.source_message_id == source_message_id,
            )
            .order_by(HeldMessageRow.created_at.desc())
            .limit(1)
        )
        return (await self._session.scalars(query)).first()

    async def retarget_thread(
        self, workspace_id: int, conversation_id: str, thread_id: str, now: datetime
    ) -> list[HeldMessageRow]:
        """The thread root ``thread_id`` was deleted: held replies to it go out at the
        conversation's top instead (a reply into a deleted thread is never seen). Returns the
        rows moved; those the platform itself had scheduled keep their schedule id, for the
        caller to withdraw."""
        rows = list(
            (
                await self._session.scalars(
                    select(HeldMessageRow).where(
                        HeldMessageRow.workspace_id == workspace_id,
                        HeldMessageRow.conversation_id == conversation_id,
                        HeldMessageRow.thread_id == thread_id,
                        HeldMessageRow.state == "held",
                    )
                )
            ).all()
        )
        if rows:
            await self._session.execute(
                update(HeldMessageRow)
                .where(HeldMessageRow.id.in_([row.id for row in rows]))
                .values(thread_id=None, updated_at=now)
            )
        return rows

    async def set_schedule(self, message_id: str, schedule_id: str | None, now: datetime) -> bool:
        """Record (or forget) that the platform itself will post this held message.

        A row with a schedule id is not posted by the delivery engine: when it falls due, the
        engine only records it as delivered (the platform posted it on time).
        """
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == message_id, HeldMessageRow.state == "held")
            .values(platform_schedule_id=schedule_id, updated_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def post_as_bot(self, workspace_id: int, author_id: str, now: datetime) -> int:
        """The author's token is gone: their held messages that we would have posted as them
        are posted by the bot (naming them) instead. Returns how many are still held."""
        await self._session.execute(
            update(HeldMessageRow)
            .where(
                HeldMessageRow.workspace_id == workspace_id,
                HeldMessageRow.author_id == author_id,
                HeldMessageRow.state == "held",
                HeldMessageRow.as_author.is_(True),
                HeldMessageRow.platform_schedule_id.is_(None),
            )
            .values(as_author=False, updated_at=now)
        )
        return len(await self.list_for_author(workspace_id, author_id))

    async def scheduled_near(
        self, workspace_id: int, conversation_id: str, at: datetime, window: timedelta
    ) -> int:
        """How many held rows of a conversation the platform is scheduled to post near ``at``."""
        query = select(func.count()).where(
            HeldMessageRow.workspace_id == workspace_id,
            HeldMessageRow.conversation_id == conversation_id,
            HeldMessageRow.state == "held",
            HeldMessageRow.platform_schedule_id.is_not(None),
            HeldMessageRow.deliver_at > at - window,
            HeldMessageRow.deliver_at < at + window,
        )
        return int(await self._session.scalar(query) or 0)

    async def erase_for_workspace(
        self, workspace_id: int, now: datetime, *, conversation_id: str | None = None
    ) -> list[HeldMessageRow]:
        """Cancel every open message of a workspace (or one conversation) and erase the bodies.

        Returns the affected rows so the authors can be told.
        """
        conditions = [
            HeldMessageRow.workspace_id == workspace_id,
            HeldMessageRow.state.in_(OPEN_STATES),
        ]
        if conversation_id is not None:
            conditions.append(HeldMessageRow.conversation_id == conversation_id)
        rows = list((await self._session.scalars(select(HeldMessageRow).where(*conditions))).all())
        if rows:
            await self._session.execute(
                update(HeldMessageRow)
                .where(HeldMessageRow.id.in_([row.id for row in rows]))
                .values(state="cancelled", body_enc=None, updated_at=now)
            )
        return rows

    async def list_for_author(
        self, workspace_id: int, author_id: str, states: Sequence[str] = ("held",)
    ) -> list[HeldMessageRow]:
        return await self._list(workspace_id, HeldMessageRow.author_id == author_id, states)

    async def list_for_conversation(
        self, workspace_id: int, conversation_id: str, states: Sequence[str] = ("held",)
    ) -> list[HeldMessageRow]:
        return await self._list(
            workspace_id, HeldMessageRow.conversation_id == conversation_id, states
        )

    async def _list(
        self, workspace_id: int, condition: ColumnElement[bool], states: Sequence[str]
    ) -> list[HeldMessageRow]:
        query = (
            select(HeldMessageRow)
            .where(
                HeldMessageRow.workspace_id == workspace_id,
                condition,
                HeldMessageRow.state.in_(states),
            )
            .order_by(HeldMessageRow.deliver_at)
        )
        return list((await self._session.scalars(query)).all())

    async def workspaces(self, ids: set[int]) -> dict[int, WorkspaceRef]:
        if not ids:
            return {}
        rows = await self._session.execute(
            select(WorkspaceRow.id, WorkspaceRow.platform, WorkspaceRow.external_id).where(
                WorkspaceRow.id.in_(ids)
            )
        )
        return {row.id: WorkspaceRef(row.id, row.platform, row.external_id) for row in rows}

    async def author_locale(self, workspace: WorkspaceRef, author_id: str) -> str | None:
        query = select(PersonRow.locale).where(
            PersonRow.workspace_id == workspace.id, PersonRow.external_id == author_id
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def count_due(self, now: datetime) -> int:
        query = select(func.count()).where(
            HeldMessageRow.state.in_(OPEN_STATES), HeldMessageRow.deliver_at <= now
        )
        return int((await self._session.execute(query)).scalar_one())

    async def count_open(self) -> int:
        """Rows held or being delivered: read from the ``(state, …)`` index, so the cost follows
        the open rows, never the delivered history kept beside them."""
        query = select(func.count()).where(HeldMessageRow.state.in_(OPEN_STATES))
        return int((await self._session.execute(query)).scalar_one())

    async def count_by_state(self) -> dict[str, int]:
        query = select(HeldMessageRow.state, func.count()).group_by(HeldMessageRow.state)
        return {state: int(count) for state, count in (await self._session.execute(query)).all()}

    async def note_posted(self, message_id: str, platform_message_id: str, at: datetime) -> bool:
        """Remember a platform's id for a row still ``delivering``, the moment it is posted.

        For platforms with no history a bot can search (Teams): a new owner of the row finds
        the id here instead of posting a second time. The delivery outcome is still recorded
        by :meth:`mark_delivered`.
        """
        result = await self._session.execute(
            update(HeldMessageRow)
            .where(HeldMessageRow.id == message_id, HeldMessageRow.state == "delivering")
            .values(platform_message_id=platform_message_id, updated_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
