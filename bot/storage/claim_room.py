"""How much a claim may still take, per conversation and per workspace, counting every replica.

Read for each claim, so its cost must not follow how many conversations are being delivered:
the database counts the live claims per workspace (a row each) and returns only the
conversations already at their bound (nearly always none); the live claims of the
conversations a claim is about to take from are counted for those alone. Reading one row per
conversation with a live claim, and counting them in Python, was a fifth of a 30k herd's
server CPU (1,500 conversations in flight at once, 5,000 in a 100k herd, read up to eight
times a second).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import HeldMessageRow, WorkspaceRow
from bot.storage.statements import padded

__all__ = ["ClaimLimits", "ClaimRoom"]


@dataclass(frozen=True)
class ClaimLimits:
    """How many rows may be ``delivering`` at once, by platform name, across every replica.

    Set from what the platform lets us send within one lease (see ``bot/delivery/pacing.py``),
    so a claim never takes more than can be sent before its lease would lapse, and a crashed
    process strands little. A platform missing from a mapping is not bounded there.
    """

    per_conversation: Mapping[str, int] = field(default_factory=dict)
    per_workspace: Mapping[str, int] = field(default_factory=dict)


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(HeldMessageRow.state == "delivering", HeldMessageRow.lease_until > now)


class ClaimRoom:
    """What :class:`ClaimLimits` still allows; :meth:`load` it, then :meth:`count` the
    conversations of the candidate rows before :meth:`take` decides on each."""

    def __init__(self, limits: ClaimLimits, now: datetime) -> None:
        self._limits = limits
        self._now = now
        self._conversations: Counter[tuple[int, str]] = Counter()
        self._counted: set[tuple[int, str]] = set()
        self._workspaces: Counter[int] = Counter()
        self.full_conversations: set[tuple[int, str]] = set()
        self.full_workspaces: set[int] = set()

    @classmethod
    async def load(cls, session: AsyncSession, limits: ClaimLimits, now: datetime) -> ClaimRoom:
        """The live claims per workspace, and the conversations at their bound."""
        room = cls(limits, now)
        workspaces = (
            select(HeldMessageRow.workspace_id, WorkspaceRow.platform, func.count())
            .join(WorkspaceRow, WorkspaceRow.id == HeldMessageRow.workspace_id)
            .where(_live(now))
            .group_by(HeldMessageRow.workspace_id, WorkspaceRow.platform)
        )
        for workspace, platform, rows in (await session.execute(workspaces)).all():
            room._workspaces[workspace] += int(rows)
            if room._workspaces[workspace] >= _cap(limits.per_workspace, platform):
                room.full_workspaces.add(workspace)
        if limits.per_conversation:
            lowest = min(limits.per_conversation.values())
            full = (
                select(
                    HeldMessageRow.workspace_id,
                    WorkspaceRow.platform,
                    HeldMessageRow.conversation_id,
                    func.count(),
                )
                .join(WorkspaceRow, WorkspaceRow.id == HeldMessageRow.workspace_id)
                .where(_live(now))
                .group_by(
                    HeldMessageRow.workspace_id,
                    WorkspaceRow.platform,
                    HeldMessageRow.conversation_id,
                )
                .having(func.count() >= lowest)
            )
            for workspace, platform, conversation, rows in (await session.execute(full)).all():
                if rows >= _cap(limits.per_conversation, platform):
                    room.full_conversations.add((workspace, conversation))
        return room

    async def count(self, session: AsyncSession, conversations: Iterable[tuple[int, str]]) -> None:
        """Count the live claims of ``conversations`` (those not counted yet)."""
        if not self._limits.per_conversation:
            return
        new = set(conversations) - self._counted
        if not new:
            return
        self._counted |= new
        key = tuple_(HeldMessageRow.workspace_id, HeldMessageRow.conversation_id)
        query = (
            select(HeldMessageRow.workspace_id, HeldMessageRow.conversation_id, func.count())
            .where(
                # each column's list too: SQLite then searches the (workspace, conversation,
                # state) index for these conversations' claims, not every claim in flight
                HeldMessageRow.workspace_id.in_(padded({workspace for workspace, _ in new})),
                HeldMessageRow.conversation_id.in_(padded({name for _, name in new})),
                key.in_(padded(new)),
                _live(self._now),
            )
            .group_by(HeldMessageRow.workspace_id, HeldMessageRow.conversation_id)
        )
        for workspace, conversation, rows in (await session.execute(query)).all():
            self._conversations[workspace, conversation] += int(rows)

    def take(self, workspace: int, platform: str, conversation: str) -> bool:
        """One more row of ``conversation`` if both bounds allow it (and count it)."""
        if self._conversations[workspace, conversation] >= _cap(
            self._limits.per_conversation, platform
        ) or self._workspaces[workspace] >= _cap(self._limits.per_workspace, platform):
            return False
        self._conversations[workspace, conversation] += 1
        self._workspaces[workspace] += 1
        return True


def _cap(caps: Mapping[str, int], platform: str) -> float:
    return caps.get(platform, float("inf"))
