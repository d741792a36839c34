"""Off-hours threads: their labels, activity rows, digests and encrypted first lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.inserts import first_insert
from bot.storage.models import (
    ActivityRow,
    DigestRow,
    LabelRow,
    ThreadExcerptRow,
)

__all__ = ["ActivityRepository", "DigestRepository", "ExcerptRepository", "LabelRepository"]

log = logging.getLogger(__name__)


class LabelRepository:
    """The "no reply expected" label of each off-hours thread: claimed once per quiet period
    (race-safe, :meth:`claim`), then given the platform's message id of the label posted."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        *,
        period_end: datetime,
        due_at: datetime,
        now: datetime,
    ) -> bool:
        """True only for the first claim of this thread in this quiet period."""
        return await first_insert(
            self._session,
            LabelRow,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            thread_id=thread_id,
            period_end=period_end,
            due_at=due_at,
            labelled_at=now,
        )

    async def set_message(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        period_end: datetime,
        platform_message_id: str,
    ) -> None:
        await self._session.execute(
            update(LabelRow)
            .where(
                LabelRow.workspace_id == workspace_id,
                LabelRow.conversation_id == conversation_id,
                LabelRow.thread_id == thread_id,
                LabelRow.period_end == period_end,
            )
            .values(platform_message_id=platform_message_id)
        )

    async def unclaim(
        self, workspace_id: int, conversation_id: str, thread_id: str, period_end: datetime
    ) -> None:
        """Give a claim back when the label could not be posted, so a later message retries."""
        await self._session.execute(
            delete(LabelRow).where(
                LabelRow.workspace_id == workspace_id,
                LabelRow.conversation_id == conversation_id,
                LabelRow.thread_id == thread_id,
                LabelRow.period_end == period_end,
            )
        )


class ActivityRepository:
    """Off-hours activity: who, where, when. The text of a message is never passed in.

    Rows marked ``in_hours`` (daytime messages kept while a channel member is away, for their
    welcome-back digest) are left out of every read unless ``in_hours=True`` asks for them.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        person_id: str,
        occurred_at: datetime,
        team_id: int | None = None,
        is_thread_root: bool = False,
        decision_signal: bool = False,
        message_id: str | None = None,
        in_hours: bool = False,
    ) -> None:
        self._session.add(
            ActivityRow(
                message_id=message_id,
                in_hours=in_hours,
                workspace_id=workspace_id,
                team_id=team_id,
                conversation_id=conversation_id,
                thread_id=thread_id,
                person_id=person_id,
                occurred_at=occurred_at,
                is_thread_root=is_thread_root,
                decision_signal=decision_signal,
            )
        )
        await self._session.flush()

    async def between(
        self,
        workspace_id: int,
        start: datetime,
        end: datetime,
        *,
        person: str | None = None,
        in_hours: bool = False,
    ) -> list[ActivityRow]:
        """Off-hours messages in ``[start, end)``; only one person's when ``person`` is given;
        with ``in_hours``, the daytime ones kept for a welcome-back digest as well."""
        query = (
            select(ActivityRow)
            .where(
                ActivityRow.workspace_id == workspace_id,
                ActivityRow.occurred_at >= start,
                ActivityRow.occurred_at < end,
            )
            .order_by(ActivityRow.occurred_at, ActivityRow.id)
        )
        if person is not None:
            query = query.where(ActivityRow.person_id == person)
        if not in_hours:
            query = query.where(ActivityRow.in_hours.is_(False))
        return list((await self._session.scalars(query)).all())


class DigestRepository:
    """Digest runs: one claimed row per team and period, so every replica posts each digest once."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        team_id: int,
        *,
        period_start: datetime,
        period_end: datetime,
        owner: str,
        now: datetime,
        stale: timedelta = timedelta(minutes=10),
        retry: timedelta = timedelta(minutes=5),
    ) -> bool:
        """True for exactly one claimer of (team, period), however many replicas try.

        A run that died after claiming (still ``claimed`` after ``stale``), or that could post
        nothing (``failed``, after ``retry``), may be claimed again; a posted one never.
        """
        if await first_insert(
            self._session,
            DigestRow,
            team_id=team_id,
            period_start=period_start,
            period_end=period_end,
            state="claimed",
            claimed_by=owner,
            claimed_at=now,
        ):
            return True
        result = await self._session.execute(
            update(DigestRow)
            .where(
                DigestRow.team_id == team_id,
                DigestRow.period_end == period_end,
                or_(
                    and_(DigestRow.state == "claimed", DigestRow.claimed_at <= now - stale),
                    and_(DigestRow.state == "failed", DigestRow.claimed_at <= now - retry),
                ),
            )
            .values(state="claimed", claimed_by=owner, claimed_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(
        self,
        team_id: int,
        period_end: datetime,
        *,
        state: str,
        now: datetime,
        summary: dict[str, Any] | None = None,
    ) -> None:
        await self._session.execute(
            update(DigestRow)
            .where(DigestRow.team_id == team_id, DigestRow.period_end == period_end)
            .values(
                state=state,
                posted_at=now if state == "posted" else None,
                summary=None if summary is None else json.dumps(summary, sort_keys=True),
            )
        )

    async def last(self, team_id: int) -> DigestRow | None:
        query = (
            select(DigestRow)
            .where(DigestRow.team_id == team_id)
            .order_by(DigestRow.period_end.desc())
        )
        return (await self._session.scalars(query)).first()


class ExcerptRepository:
    """First lines of off-hours threads for the digest: encrypted, short-lived, erasable."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def remember(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        text: str,
        *,
        now: datetime,
        keep: timedelta,
        is_thread_root: bool = False,
    ) -> bool:
        """Keep a thread's first line: its opening message's, else its first off-hours reply's.

        Events may arrive out of order, so the root's line replaces a reply's kept before it.
        """
        encrypted = self._cipher.encrypt(text)
        if await first_insert(
            self._session,
            ThreadExcerptRow,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            thread_id=thread_id,
            excerpt_enc=encrypted,
            created_at=now,
            expires_at=now + keep,
        ):
            return True
        if not is_thread_root:
            return False
        await self._session.execute(
            update(ThreadExcerptRow)
            .where(
                ThreadExcerptRow.workspace_id == workspace_id,
                ThreadExcerptRow.conversation_id == conversation_id,
                ThreadExcerptRow.thread_id == thread_id,
            )
            .values(excerpt_enc=encrypted)
        )
        return True

    async def has(self, workspace_id: int, conversation_id: str, thread_id: str) -> bool:
        query = select(ThreadExcerptRow.id).where(
            ThreadExcerptRow.workspace_id == workspace_id,
            ThreadExcerptRow.conversation_id == conversation_id,
            ThreadExcerptRow.thread_id == thread_id,
        )
        return (await self._session.scalar(query)) is not None

    async def lines(
        self, workspace_id: int, threads: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        wanted = set(threads)
        if not wanted:
            return {}
        conversations = {conversation for conversation, _ in wanted}
        query = select(ThreadExcerptRow).where(
            ThreadExcerptRow.workspace_id == workspace_id,
            ThreadExcerptRow.conversation_id.in_(conversations),
        )
        found: dict[tuple[str, str], str] = {}
        unreadable = 0
        for row in (await self._session.scalars(query)).all():
            key = (row.conversation_id, row.thread_id)
            if key in wanted:
                try:
                    found[key] = self._cipher.decrypt(row.excerpt_enc)
                except DecryptionError:
                    unreadable += 1  # the digest goes out without that line; the row stays
        if unreadable:
            log.error(
                "%d thread first line(s) cannot be decrypted with the configured keys; kept",
                unreadable,
            )
        return found

    async def erase(self, workspace_id: int, threads: Iterable[tuple[str, str]]) -> None:
        for conversation_id, thread_id in set(threads):
            await self._session.execute(
                delete(ThreadExcerptRow).where(
                    ThreadExcerptRow.workspace_id == workspace_id,
                    ThreadExcerptRow.conversation_id == conversation_id,
                    ThreadExcerptRow.thread_id == thread_id,
                )
            )

    async def erase_conversation(self, workspace_id: int, conversation_id: str) -> int:
        """Every first line kept from one conversation (the bot was removed from it)."""
        result = await self._session.execute(
            delete(ThreadExcerptRow).where(
                ThreadExcerptRow.workspace_id == workspace_id,
                ThreadExcerptRow.conversation_id == conversation_id,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def purge_expired(self, now: datetime) -> int:
        result = await self._session.execute(
            delete(ThreadExcerptRow).where(ThreadExcerptRow.expires_at <= now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
