"""Who decides a direct or group message in the replay: one remembered span per recipient.

A DM is decided by its recipient's own hours (the member who did not write); a group DM by half
of its members other than the author, each in their own hours (``MembersAudience`` with
``group=True``), as ``DESIGN.md`` ("Decision") has it. Both answer with
:class:`~bot.simulate.spans.DecisionSpans`, so ``decide`` is asked once per stretch.
"""

from __future__ import annotations

from bot.domain.audience import MembersHours
from bot.domain.decisions import MembersAudience
from bot.domain.hours import WorkingHours
from bot.domain.policy import TeamPolicy
from bot.simulate.spans import DecisionSpans, members_open_until

__all__ = ["DirectSpans", "GroupSpans"]


class GroupSpans:
    """A group DM: half of the members other than the author, each in their own hours
    (``MembersAudience`` with ``group=True``); one remembered span per author."""

    __slots__ = ("_by_author", "_conversation", "_fallback", "_hours", "_policy")

    def __init__(
        self,
        conversation: str,
        hours: dict[str, WorkingHours],
        policy: TeamPolicy,
        fallback: DecisionSpans,
    ) -> None:
        self._conversation, self._hours, self._policy = conversation, hours, policy
        self._fallback = fallback
        self._by_author: dict[str, DecisionSpans] = {}

    def at(self, ts: float, author: str) -> tuple[int, float | None]:
        return self.spans_for(author).at(ts)

    def spans_for(self, author: str) -> DecisionSpans:
        """Who decides ``author``'s messages here: the others, or the team if there are none."""
        spans = self._by_author.get(author)
        if spans is None:
            others = [hours for member, hours in self._hours.items() if member != author]
            if not others:
                return self._fallback
            members = MembersHours.of(others, self._policy.hours.tz)
            audience = MembersAudience(self._conversation, members, self._policy, group=True)
            spans = self._by_author[author] = DecisionSpans(audience, members_open_until(members))
        return spans

    def spans(self) -> list[DecisionSpans]:
        return list(self._by_author.values())


class DirectSpans:
    """A DM: the recipient (the member who did not write) decides, by their own hours."""

    __slots__ = ("_by_member", "_fallback")

    def __init__(self, by_member: dict[str, DecisionSpans], fallback: DecisionSpans) -> None:
        self._by_member = by_member
        self._fallback = fallback

    def at(self, ts: float, author: str) -> tuple[int, float | None]:
        return self.spans_for(author).at(ts)

    def spans_for(self, author: str) -> DecisionSpans:
        """Who decides ``author``'s messages here: the recipient, or the team for a note to
        self."""
        for member, spans in self._by_member.items():
            if member != author:
                return spans
        return self._fallback
