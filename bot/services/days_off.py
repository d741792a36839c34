"""Days off as a use case: save a person's absence, and move what is held for them past it.

Whoever changes when a person is away (``/quiet off``, App Home, the Teams card, Outlook's
scheduled automatic replies read through Graph) calls :func:`save_days_off` or
:func:`save_outlook_away` inside their own transaction; both re-plan the messages held *for*
that person (``later @person``) so each waits for their first opening after the absence — or
comes back earlier when an absence is cleared. A message is never moved before the instant it
was first held for, nor to the past.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.hours import Interval, WorkingHours
from bot.domain.timeutil import ensure_utc
from bot.services.person_hours import hours_for, team_of_person
from bot.storage.models import HeldMessageRow, PersonRow

__all__ = [
    "MAX_STORED_DAYS",
    "TooManyDaysError",
    "effective_hours",
    "replan_held",
    "save_days_off",
    "save_outlook_away",
]

log = logging.getLogger(__name__)

#: An Outlook absence that ended is kept this long (for the welcome-back digest).
OUTLOOK_KEEP = timedelta(days=10)
#: Typed days off kept per person (past days are dropped on every save): two years' worth.
MAX_STORED_DAYS = 800


class TooManyDaysError(ValueError):
    """More than :data:`MAX_STORED_DAYS` days off would be stored."""


async def effective_hours(
    session: AsyncSession, workspace_id: int, row: PersonRow, conversation: str | None = None
) -> WorkingHours | None:
    """The hours that decide for the person (bot.services.person_hours: their own > their
    platform schedule > their team's > the workspace default) minus their absence; their team
    is one they lead, else the one covering ``conversation``. None when nothing applies."""
    team = await team_of_person(session, workspace_id, row.external_id, context=conversation)
    found = await hours_for(session, workspace_id, row.external_id, team=team, row=row)
    return found.hours if found is not None else None


async def replan_held(
    session: AsyncSession, workspace_id: int, row: PersonRow, *, now: datetime
) -> int:
    """Move each message held for ``row`` (``later @person``) to their first opening at or
    after the later of when it was held and ``now``; returns how many moved. Urgent ones and
    ones the platform itself schedules are left alone, and so are ones already due."""
    held = list(
        (
            await session.scalars(
                select(HeldMessageRow).where(
                    HeldMessageRow.workspace_id == workspace_id,
                    HeldMessageRow.conversation_id == row.external_id,
                    HeldMessageRow.state == "held",
                    HeldMessageRow.urgent.is_(False),
                    HeldMessageRow.platform_schedule_id.is_(None),
                    HeldMessageRow.deliver_at > now,  # due (or "Send now"): going out already
                )
            )
        ).all()
    )
    if not held:
        return 0
    hours = await effective_hours(session, workspace_id, row)
    moved = 0
    for message in held:
        since = max(ensure_utc(message.created_at), ensure_utc(now))
        due = since if hours is None else (hours.next_open(since) or since)
        if due != ensure_utc(message.deliver_at):
            message.deliver_at, message.lease_until, message.updated_at = due, None, now
            moved += 1
    return moved


async def save_days_off(
    session: AsyncSession, row: PersonRow, days: Iterable[date], *, today: date, now: datetime
) -> int:
    """Store ``days`` as the person's typed days off (past ones dropped) and re-plan what is
    held for them; returns how many held messages moved. Raises :class:`TooManyDaysError`."""
    kept = sorted({day for day in days if day >= today})
    if len(kept) > MAX_STORED_DAYS:
        raise TooManyDaysError(len(kept))
    row.days_off = json.dumps([day.isoformat() for day in kept]) if kept else None
    row.updated_at = now
    await session.flush()
    return await replan_held(session, row.workspace_id, row, now=now)


async def save_outlook_away(
    session: AsyncSession, row: PersonRow, windows: Iterable[Interval], *, now: datetime
) -> bool:
    """Store the person's scheduled Outlook automatic replies (ended ones dropped); re-plans
    what is held for them when they changed. Returns whether anything changed."""
    # ended ones are kept a while: the welcome-back digest looks for returns (return_digest)
    keep_from = now - OUTLOOK_KEEP
    kept = sorted((ensure_utc(s), ensure_utc(e)) for s, e in windows if s < e and e > keep_from)
    text = json.dumps([[s.isoformat(), e.isoformat()] for s, e in kept]) if kept else None
    if text == row.outlook_away:
        return False
    row.outlook_away, row.updated_at = text, now
    await session.flush()
    await replan_held(session, row.workspace_id, row, now=now)
    return True
