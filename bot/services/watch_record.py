"""The durable part of an off-hours message in a watched channel, as one write of a group commit.

:meth:`bot.services.watch.OffHoursWatcher.record` plans a message from its snapshot of the
watched channels (no database read per message) and hands its write to the process's
:class:`~bot.services.group_commit.GroupCommit`. Most messages store only rows
(:func:`plan_rows`: the team check, the activity, the first line, the label claim), which a
group writes on its SQLite writer thread in one hand-over per batch, or through the session
with :func:`store_rows`; a decision (its guard) or a message kept for someone away needs the
session (:func:`store`). Either way the batch first checks that the channel's team is still
what the snapshot says — one read per channel per batch, not per message — and the write gets
:class:`StaleSnapshot` when it is not (the team changed or the channel left it within the
snapshot's few seconds): the watcher then reads afresh and plans again, and nothing of the
stale plan is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import MembersHours
from bot.domain.digest import excerpt, looks_decided
from bot.domain.hours import WorkingHours
from bot.domain.policy import Mode, TeamPolicy
from bot.services.away_members import AwayMembers
from bot.services.group_commit import StaleSnapshot, before_commit
from bot.services.guard import DecisionGuard, PendingGuard
from bot.storage.batch_writes import (
    TEAM_COLUMNS,
    ExcerptLine,
    channel_team,
    insert_activity,
    remember_excerpts,
)
from bot.storage.crypto import Cipher
from bot.storage.inserts import first_insert
from bot.storage.message_rows import MessageRows, TeamCheck
from bot.storage.models import LabelRow, TeamRow, WorkspaceRow

__all__ = [
    "EXCERPT_KEEP",
    "ChannelMessage",
    "RecordPlan",
    "StaleSnapshot",
    "needs_session",
    "plan_rows",
    "store",
    "store_rows",
]

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


#: A snapshot's team's columns, read off the row once (a message's plan compares them with the
#: database's in the batch): snapshot rows are read-only once read.
_TEAM_COLUMNS: WeakKeyDictionary[TeamRow, tuple[Any, ...]] = WeakKeyDictionary()


def _columns(team: TeamRow) -> tuple[Any, ...]:
    columns = _TEAM_COLUMNS.get(team)
    if columns is None:
        columns = _TEAM_COLUMNS[team] = tuple(getattr(team, key) for key in TEAM_COLUMNS)
    return columns


def plan_rows(plan: RecordPlan, *, cipher: Cipher | None) -> MessageRows:
    """The rows of a planned message: the team check and, off hours, its activity row, its
    thread's first line (encrypted with ``cipher``; none without one) and, where the team
    labels and it is still off hours, its thread's label claim. In hours (kept for someone
    away, ``plan.back``) only the check: :func:`store` writes the rest."""
    message, workspace, team = plan.message, plan.workspace, plan.team
    check = TeamCheck(workspace.id, message.conversation, _columns(team))
    if plan.back is not None:
        return MessageRows(check=check)
    activity = {
        "workspace_id": workspace.id,
        "team_id": team.id,
        "conversation_id": message.conversation,
        "thread_id": message.thread,
        "person_id": message.author,
        "occurred_at": message.at,
        "is_thread_root": message.is_thread_root,
        "decision_signal": looks_decided(message.text),
        "message_id": message.message_id,
        "in_hours": False,
    }
    line = excerpt(message.text)
    first_line = None
    if cipher is not None and line:
        first_line = ExcerptLine(
            workspace_id=workspace.id,
            conversation_id=message.conversation,
            thread_id=message.thread,
            encrypted=cipher.encrypt(line),
            now=message.at,
            keep=EXCERPT_KEEP,
            is_thread_root=message.is_thread_root,
        )
    # an urgent post's thread takes the label slot but is never labelled (see
    # ``OffHoursWatcher.after_urgent``); other threads only where the team labels
    opening = plan.opening
    label = None
    if (
        plan.still_off
        and opening is not None
        and (plan.policy.mode is Mode.LABEL or message.urgent)
    ):
        label = {
            "workspace_id": workspace.id,
            "conversation_id": message.conversation,
            "thread_id": message.thread,
            "period_end": opening,
            "due_at": opening,
            "labelled_at": message.at,
        }
    return MessageRows(check=check, activity=activity, excerpt=first_line, label=label)


def needs_session(plan: RecordPlan, rows: MessageRows) -> bool:
    """Whether the message stores more than its ``rows`` (:func:`plan_rows`): a decision's
    guard, or what is kept for someone away. Then :func:`store`, else :func:`store_rows` or a
    group's rows thread."""
    return plan.back is not None or _decided(rows)


def _decided(rows: MessageRows) -> bool:
    """Whether the message reads like a decision (``looks_decided``, asked once, in
    :func:`plan_rows`)."""
    return bool(rows.activity and rows.activity["decision_signal"])


async def _check_current(session: AsyncSession, check: TeamCheck) -> None:
    # (workspace id, channel) -> its team's columns, read once per batch
    reads: dict[tuple[int, str], tuple[Any, ...] | None] = session.info.setdefault(_CURRENT, {})
    key = (check.workspace_id, check.conversation_id)
    if key not in reads:
        reads[key] = await channel_team(session, *key)
    if reads[key] != check.team:
        raise StaleSnapshot(f"channel {check.conversation_id}")


async def store_rows(session: AsyncSession, rows: MessageRows) -> bool:
    """``rows`` written in the batch's transaction (the activity rows and first lines with the
    batch's others, ``before_commit``): True when they claimed their thread's label. The same
    outcome as ``bot.storage.message_rows.write_batch`` gives on the SQLite writer thread.
    Raises :class:`StaleSnapshot` before writing anything when the team check fails."""
    if rows.check is not None:
        await _check_current(session, rows.check)
    if rows.activity is not None:
        before_commit(session, "activity", insert_activity).append(rows.activity)
    if rows.excerpt is not None:
        before_commit(session, "excerpts", remember_excerpts).append(rows.excerpt)
    if rows.label is None:
        return False
    return await first_insert(session, LabelRow, **rows.label)


async def store(
    session: AsyncSession,
    plan: RecordPlan,
    *,
    rows: MessageRows,
    guard: DecisionGuard,
    away: AwayMembers,
) -> tuple[bool, PendingGuard | None]:
    """The writes of one message in the batch's transaction: (label claimed, decision guard
    claimed) — its ``rows`` (:func:`plan_rows`, written by :func:`store_rows`) and, for a
    decision, its guard's claim; in hours for someone away, what :class:`AwayMembers` keeps.
    Raises :class:`StaleSnapshot` before writing anything when the plan is stale."""
    claimed = await store_rows(session, rows)
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
    pending_guard = None
    if _decided(rows):
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
    return claimed and not message.urgent, pending_guard
