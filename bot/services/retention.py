"""Retention: the daily clean-up that deletes what is no longer needed.

What is kept, and for how long (README, "Retention"; the privacy page says the same):

- **Message bodies** of held messages: erased the moment a message is delivered, cancelled or
  fails (``bot.storage.outbox``); never kept afterwards, so nothing here.
- **Thread first lines** (encrypted): erased once their digest is out, at the latest after
  14 days (``bot.services.watch.EXCERPT_KEEP``); this job deletes any left over.
- **Activity metadata** (who wrote off hours in which thread, when), **urgent-override
  records**, finished held-message rows (who wrote to which conversation, when; no body),
  labels, digest runs, guarded decisions and approving reactions: deleted after
  ``activity_days`` (``QUIET_HOURS_ACTIVITY_RETENTION_DAYS``,
  default 90 — long enough for a quarter's report on off-hours pressure, short enough that
  nobody's evening habits are kept for years; GDPR Art. 5(1)(c) and (e), data minimisation and
  storage limitation).
- **Seen event ids** (opaque; drop retried platform events): deleted after a day. Slack
  retries an event for about an hour at most (api.slack.com/apis/events-api, "Retries").

Every delete is idempotent and bounded by time alone, so all replicas may run it at once: the
second finds nothing to delete. Open held messages (``held``, ``delivering``) are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.storage.models import (
    ActivityRow,
    DecisionGuardRow,
    DecisionReactionRow,
    DigestRow,
    HeldMessageRow,
    LabelRow,
    SeenEventRow,
    ThreadExcerptRow,
    UrgentOverrideRow,
)

__all__ = ["DEFAULT_ACTIVITY_DAYS", "SEEN_EVENTS_KEEP", "Retention", "RetentionJob"]

log = logging.getLogger(__name__)

DEFAULT_ACTIVITY_DAYS = 90
SEEN_EVENTS_KEEP = timedelta(days=1)
#: Held messages in these states are finished: their body is gone, only metadata is left.
FINISHED = ("delivered", "cancelled", "failed")


@dataclass(frozen=True)
class Retention:
    """How long metadata is kept, in whole days (at least 1)."""

    activity_days: int = DEFAULT_ACTIVITY_DAYS

    def __post_init__(self) -> None:
        if self.activity_days < 1:
            raise ValueError("activity_days must be at least 1")


class RetentionJob:
    """Deletes what is past its retention; run daily by ``serve`` on every replica."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        retention: Retention | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._retention = retention or Retention()

    def _statements(self, now: datetime) -> list[tuple[str, Delete]]:
        cutoff = now - timedelta(days=self._retention.activity_days)
        return [
            ("off_hours_activity", delete(ActivityRow).where(ActivityRow.occurred_at < cutoff)),
            (
                "urgent_overrides",
                delete(UrgentOverrideRow).where(UrgentOverrideRow.occurred_at < cutoff),
            ),
            (
                "held_messages",
                delete(HeldMessageRow).where(
                    HeldMessageRow.state.in_(FINISHED), HeldMessageRow.updated_at < cutoff
                ),
            ),
            ("labels", delete(LabelRow).where(LabelRow.labelled_at < cutoff)),
            (
                "decision_guards",
                delete(DecisionGuardRow).where(DecisionGuardRow.created_at < cutoff),
            ),
            (
                "decision_reactions",
                delete(DecisionReactionRow).where(DecisionReactionRow.reacted_at < cutoff),
            ),
            ("digests", delete(DigestRow).where(DigestRow.period_end < cutoff)),
            ("thread_excerpts", delete(ThreadExcerptRow).where(ThreadExcerptRow.expires_at <= now)),
            (
                "seen_events",
                delete(SeenEventRow).where(SeenEventRow.seen_at < now - SEEN_EVENTS_KEEP),
            ),
        ]

    async def run(self) -> dict[str, int]:
        """Delete everything past retention, in one transaction; rows deleted per table.

        Never raises for a database failure (logged; the next day's run catches up)."""
        now = self._clock.now()
        deleted: dict[str, int] = {}
        try:
            async with self._sessions() as session, session.begin():
                for table, statement in self._statements(now):
                    result = await session.execute(statement)
                    deleted[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        except Exception:  # a scheduled job: the log has it, tomorrow tries again
            log.exception("the retention clean-up failed")
            return {}
        log.info("retention clean-up: %d row(s) deleted", sum(deleted.values()))
        return deleted
