"""A guarded decision as its readers see it, before a platform lays it out (Block Kit, cards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.i18n import format_instant, translate, translate_plural

__all__ = ["GuardState", "GuardView", "format_grace"]


class GuardState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


def format_grace(grace: timedelta, locale: str) -> str:
    """``4 h`` / ``1 h 30 min`` (``4 t`` in bokmål): a grace period in working time."""
    minutes = int(grace.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return translate("guard.hours_minutes", locale, hours=hours, minutes=rest)
    if hours:
        return translate("guard.hours", locale, hours=hours)
    return translate("guard.minutes", locale, minutes=rest)


@dataclass(frozen=True)
class GuardView:
    """One guard reply (or the private question to a leader) in one language.

    ``until`` is the instant the grace period ends (UTC). Platforms that can show an instant in
    each reader's own time zone (Slack's ``<!date>``, Adaptive Cards' ``DATE()/TIME()``) pass
    their token as ``until_text``; otherwise it is named in the team's zone.
    """

    guard_id: int
    state: GuardState
    decided_at: datetime
    until: datetime
    grace: timedelta
    away: int | None
    tz: ZoneInfo
    locale: str
    now: datetime
    conversation: str = ""
    thread: str = ""

    @property
    def confirmable(self) -> bool:
        """Confirm is offered (enabled) only once the grace period is over."""
        return self.state is GuardState.OPEN and self.now >= self.until

    @property
    def is_open(self) -> bool:
        return self.state is GuardState.OPEN

    def until_in_team_zone(self) -> str:
        return format_instant(self.until, self.tz, self.locale, now=self.now)

    def text(self, *, until_text: str | None = None, who: str | None = None) -> str:
        """What the thread reply says in its current state; ``who`` names whoever settled it."""
        until = until_text or self.until_in_team_zone()
        if self.state is GuardState.CONFIRMED:
            return translate("guard.confirmed", self.locale, who=who or "—")
        if self.state is GuardState.REOPENED:
            return translate("guard.reopened", self.locale, who=who or "—")
        line = translate(
            "guard.open", self.locale, until=until, grace=format_grace(self.grace, self.locale)
        )
        if self.away:
            line += " " + translate_plural("guard.away", self.away, self.locale)
        if not self.confirmable:
            line += " " + translate("guard.confirm_after", self.locale, until=until)
        return line

    def question(self, *, where: str, until_text: str | None = None) -> str:
        """The private question to a leader once the grace period is over."""
        return translate(
            "guard.ask",
            self.locale,
            where=where,
            decided=format_instant(self.decided_at, self.tz, self.locale, now=self.now),
            until=until_text or self.until_in_team_zone(),
        )

    def reopen_label(self) -> str:
        return translate("guard.button.reopen", self.locale)

    def confirm_label(self) -> str:
        return translate("guard.button.confirm", self.locale)
