"""What a replay runs with (:class:`ReplaySetup`) and one digest it would have posted
(:class:`Digest`); :mod:`bot.simulate.replay` uses both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.digest import ThreadTally
from bot.domain.hours import WorkingHours
from bot.domain.policy import TeamPolicy

__all__ = ["Digest", "ReplaySetup"]


@dataclass(frozen=True)
class ReplaySetup:
    """What to replay with: the team policy, who decides channels, the report's zone, dates."""

    policy: TeamPolicy  # its ``audience`` says who decides channels (team | members)
    tz: ZoneInfo | None = None  # the report's zone (default: the policy's)
    first_day: date | None = None  # in the report's zone, inclusive
    last_day: date | None = None

    @property
    def report_tz(self) -> ZoneInfo:
        return self.tz or self.policy.hours.tz

    def hours_in(self, zone: ZoneInfo) -> WorkingHours:
        """The policy's windows and days off in a person's own zone."""
        hours = self.policy.hours
        if zone == hours.tz:
            return hours
        return WorkingHours(windows=hours.windows, tz=zone, days_off=hours.days_off)


@dataclass(frozen=True)
class Digest:
    """One digest message the replay would have posted: where, when, and how large (its
    threads are counted, not kept: half a year of them would not fit in memory)."""

    conversation: int
    at: float
    threads: int
    messages: int
    decided: int

    @classmethod
    def of(cls, conversation: int, at: float, threads: ThreadTally[float]) -> Digest:
        """The digest of ``threads`` (:func:`bot.domain.digest.tally_threads` of its messages)."""
        return cls(conversation, at, len(threads.keys), sum(threads.messages), sum(threads.decided))
