"""The durable part of an off-hours message in a watched channel, as one write of a group commit.

:meth:`bot.services.watch.OffHoursWatcher.record` plans a message from its snapshot of the
watched channels (no database read per message) and hands :func:`store` to the process's
:class:`~bot.services.group_commit.GroupCommit`. In the batch's transaction :func:`store` first
checks that the channel's team is still what the snapshot says — one read per channel per
batch, not per message — and raises :class:`StaleSnapshot` when it is not (the team changed
or the channel left it within the snapshot's few seconds): the watcher then reads afresh and
plans again, and nothing of the stale plan is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import MembersHours
from bot.domain.digest import excerpt, looks_decided
from bot.domain.hours import WorkingHours
from bot.domain.policy import Mode, TeamPolicy
from bot.services.away_members import AwayMembers
from bot.services.group_commit import Refused, before_commit
from bot.services.guard import DecisionGuard, PendingGuard
from bot.storage.batch_writes import (
    TEAM_COLUMNS,
    ExcerptLine,
    channel_team,
    insert_activity,
    remember_excerpts,
)
from bot.storage.crypto import Cipher
from bot.storage.models import TeamRow, WorkspaceRow
from bot.storage.repositories import LabelRepository

__all__ = ["EXCERPT_KEEP", "ChannelMessage", "RecordPlan", "StaleSnapshot", "store"]

#: A thread's first line is kept (encrypted) at most this long, and erased once its digest is out.
EXCERPT_KEEP = timedelta(days=14)
#: ``session.info`` key of the batch's reads: (workspace id, channel) -> the team's columns.
_CURRENT = "quiet_hours.watch_record.teams"


@dataclass(frozen=True)
class ChannelMessage:
    """A message seen in a channel (the text is only read for the decision signal)."""

    platform: str
    workspace: str
    conversation: str
    thread: str  # the thread root's id (the message's own id when it starts a thread)
    author: str
    at: datetime
    text: str
    is_thread_root: bool
    urgent: bool = False
    message_id: str | None = None  # the message's own id (a reaction on it finds the thread)


@dataclass(frozen=True)
class RecordPlan:
    """What the watcher decided before the transaction, from its snapshot and the hours."""

    message: ChannelMessage
    workspace: WorkspaceRow
    team: TeamRow
    policy: TeamPolicy
    hours: WorkingHours | MembersHours
    handled: datetime  # when the message is handled (UTC): labels are decided against it
    opening: datetime | None = None  # off hours: when the hours open next after ``handled``
    still_off: bool = False  # off hours: still closed at ``handled``
    back: datetime | None = None  # in hours: when the last away member of the channel is back


class StaleSnapshot(Refused):
    """The channel's team is not what the plan was made from: read afresh and plan again."""


def _columns(team: TeamRow) -> tuple[Any, ...]:
    return tuple(getattr(team, key) for key in TEAM_COLUMNS)


async def _check_current(session: AsyncSession, plan: RecordPlan) -> None:
    # (workspace id, channel) -> whether its team is still the plan's; a batch's messages in
    # one channel share their plan's team object, so it is compared once
    reads: dict[tuple[int, str], tuple[tuple[Any, ...] | None, int, bool]]
    reads = session.info.setdefault(_CURRENT, {})
    key = (plan.workspace.id, plan.message.conversation)
    read = reads.get(key)
    if read is None:
        current = await channel_team(session, *key)
        read = reads[key] = (current, id(plan.team), current == _columns(plan.team))
    elif read[1] != id(plan.team):
        read = reads[key] = (read[0], id(plan.team), read[0] == _columns(plan.team))
    if not read[2]:
        raise StaleSnapshot(f"channel {plan.message.conversation}")


async def store(
    session: AsyncSession,
    plan: RecordPlan,
    *,
    guard: DecisionGuard,
    away: AwayMembers,
    cipher: Cipher | None,
) -> tuple[bool, PendingGuard | None]:
    """The writes of one message in the batch's transaction: (label claimed, decision guard
    claimed). The activity row and the thread's first line are written with the batch's others
    (``before_commit``). Raises :class:`StaleSnapshot` before writing anything when the plan
    is stale."""
    await _check_current(session, plan)
    message, workspace, team = plan.message, plan.workspace, plan.team
    if plan.back is not None:  # in hours, for someone away: the activity and first line only
        await away.keep(
            session,
            back=plan.back,
            workspace_id=workspace.id,
            team_id=team.id,
            conversation=message.conversation,
            thread=message.thread,
            author=message.author,
            at=message.at,
            text=message.text,
            is_thread_root=message.is_thread_root,
            message_id=message.message_id,
        )
        return False, None
    decided = looks_decided(message.text)
    before_commit(session, "activity", insert_activity).append(
        {
            "workspace_id": workspace.id,
            "team_id": team.id,
            "conversation_id": message.conversation,
            "thread_id": message.thread,
            "person_id": message.author,
            "occurred_at": message.at,
            "is_thread_root": message.is_thread_root,
            "decision_signal": decided,
            "message_id": message.message_id,
            "in_hours": False,
        }
    )
    pending_guard = None
    if decided:
        pending_guard = await guard.claim(
            session,
            platform=message.platform,
            workspace=workspace,
            team=team,
            policy=plan.policy,
            conversation=message.conversation,
            thread=message.thread,
            at=message.at,
        )
    line = excerpt(message.text)
    if cipher is not None and line:
        lines = before_commit(session, "excerpts", partial(remember_excerpts, cipher=cipher))
        lines.append(
            ExcerptLine(
                workspace_id=workspace.id,
                conversation_id=message.conversation,
                thread_id=message.thread,
                text=line,
                now=message.at,
                keep=EXCERPT_KEEP,
                is_thread_root=message.is_thread_root,
            )
        )
    # an urgent post's thread takes the label slot but is never labelled (see
    # ``OffHoursWatcher.after_urgent``); other threads only where the team labels
    opening = plan.opening
    wants_label = plan.still_off and (plan.policy.mode is Mode.LABEL or message.urgent)
    claimed = (
        wants_label
        and opening is not None
        and await LabelRepository(session).claim(
            workspace.id,
            message.conversation,
            message.thread,
            period_end=opening,
            due_at=opening,
            now=message.at,
        )
    )
    return bool(claimed) and not message.urgent, pending_guard
