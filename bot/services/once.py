"""At most once per platform event: the de-duplication row goes in the effect's own transaction.

Slack retries an event it did not see acknowledged (``X-Slack-Retry-Num``) and the Bot
Connector retries an activity it got a 5xx for; bolt and the Agents SDK do not de-duplicate.
Writing the ``(platform, event_id)`` row in the same transaction as the effect (the recorded
activity, the held message) makes both durable together, or neither: a retry after a failure
finds no row and does the work; a retry after success finds the row and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.repositories import SeenEventRepository

__all__ = ["Duplicate", "EventKey", "claim_event"]

#: ``(platform, the platform's event id)``, e.g. ``("slack", "Ev0123ABC")``.
EventKey = tuple[str, str]


class Duplicate(Exception):
    """This event was handled before (a platform retry): it must have no second effect."""


async def claim_event(session: AsyncSession, event: EventKey | None, now: datetime) -> None:
    """Record ``event`` as handled inside ``session``'s transaction; raises :class:`Duplicate`
    when it already was. ``None`` (an event without an id) is never a duplicate."""
    if event is None:
        return
    platform, event_id = event
    if not await SeenEventRepository(session).first_time(platform, event_id, now):
        raise Duplicate(f"{platform} event {event_id}")
