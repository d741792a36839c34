"""One claimed held message as the delivery engine carries it, from claim to outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from bot.storage.models import HeldMessageRow
from bot.storage.outbox import WorkspaceRef

if TYPE_CHECKING:  # pacing imports this module
    from bot.delivery.pacing import Taken

__all__ = ["Job", "Step"]


class Step(Enum):
    """What a conversation's worker does after one try of its first job."""

    DONE = "done"  # delivered, failed, released or no longer ours: next job
    AGAIN = "again"  # rate limited, or its slot came too late: the same job, a new slot


@dataclass
class Job:
    """A claimed row: the claim ``(owner, generation)`` is what every later write is fenced on.

    ``check_first``: a post of this row may already have reached the platform (an earlier
    claim took the send slot), so the conversation is searched for its tag before posting.
    """

    id: str
    generation: int
    workspace: WorkspaceRef
    conversation: str
    thread: str | None
    author: str
    as_author: bool
    urgent: bool
    deliver_at: datetime
    attempts: int
    body_enc: bytes | None
    check_first: bool
    created_at: datetime | None = None
    schedule_id: str | None = None  # the platform posts it itself (Slack chat.scheduleMessage)
    fenced: bool = False  # this claim has taken the send slot at least once
    seq: int = 1  # its place in the conversation's backlog when held (``HeldMessageRow.seq``)
    rank: int = 0  # the order this process claimed it in
    late_slot: Taken | None = None  # a slot it woke too late to post on: to be given back
    late_slots: int = 0  # how many times that happened (a few, then it posts late anyway)

    @classmethod
    def from_row(cls, row: HeldMessageRow, workspace: WorkspaceRef, rank: int = 0) -> Job:
        return cls(
            id=row.id,
            generation=row.lease_generation,
            workspace=workspace,
            conversation=row.conversation_id,
            thread=row.thread_id,
            author=row.author_id,
            as_author=row.as_author,
            urgent=row.urgent,
            deliver_at=row.deliver_at,
            attempts=row.attempts,
            body_enc=row.body_enc,
            check_first=row.send_generation is not None,
            created_at=row.created_at,
            schedule_id=row.platform_schedule_id,
            seq=row.seq,
            rank=rank,
        )

    @property
    def priority(self) -> tuple[datetime, int, int]:
        """Which ready job gets the workspace's next send slot, lowest first: due earliest,
        then earliest in its conversation's backlog (its conversation has the most left),
        then claimed first."""
        return (self.deliver_at, self.seq, self.rank)

    @property
    def key(self) -> tuple[str, str]:
        """The conversation this job waits in (one worker each)."""
        return (self.workspace.key, self.conversation)
