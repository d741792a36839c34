"""Personal off-hours patterns from activity timestamps, and their aggregation for leaders.

What counts, per person and in their own time zone (issue #10 names them for insights; the
policy simulator computes them from an export):

- *evening*: a message outside the person's hours, on a day that is not a rest day, between
  12:00 and 21:00 local time (after the working day, before the night);
- *night*: a message between 21:00 and 06:00 local time (the "quiet night" of the Norwegian
  preset, Working Environment Act § 10-11);
- *rest day*: a message on a Sunday or a public holiday (§ 10-10);
- *short rest*: a day whose first activity came less than 11 hours after the last activity of
  the day before (§ 10-8 (1): 11 hours' daily rest);
- *long week*: an ISO week whose daily activity spans (first to last message of each day)
  add up to more than 40 hours (§ 10-4 (1)).

Activity is a proxy for work: a message is the only trace an export holds. Aggregates for
anyone but the person are shown only when at least :data:`MIN_GROUP` distinct people make them
up; otherwise the figure is suppressed (``None``), never rounded or hinted at.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LONG_WEEK_SECONDS",
    "MIN_GROUP",
    "PATTERNS",
    "SHORT_REST_SECONDS",
    "GroupFigure",
    "PersonPatterns",
    "aggregate",
]

#: The smallest number of distinct people a figure shown to others may be built from.
MIN_GROUP = 5
SHORT_REST_SECONDS = 11 * 3600
LONG_WEEK_SECONDS = 40 * 3600
NIGHT_FROM, NIGHT_UNTIL, EVENING_FROM = 21 * 60, 6 * 60, 12 * 60  # minutes after midnight
PATTERNS = ("evenings", "nights", "rest_days", "short_rest", "long_weeks")


class PersonPatterns:
    """One person's running tally; feed messages in time order with :meth:`add`, then
    :meth:`finish`. Keeps O(1) state per person whatever the number of messages."""

    __slots__ = (
        "_day",
        "_day_first",
        "_day_last",
        "_week",
        "_week_seconds",
        "evenings",
        "long_weeks",
        "messages",
        "nights",
        "off_hours",
        "rest_days",
        "short_rest",
    )

    def __init__(self) -> None:
        self.messages = self.off_hours = 0
        self.evenings = self.nights = self.rest_days = self.short_rest = self.long_weeks = 0
        self._day = -1
        self._day_first = self._day_last = 0.0
        self._week = -1
        self._week_seconds = 0.0

    def add(
        self, ts: float, day: int, week: int, minute: int, *, off_hours: bool, rest_day: bool
    ) -> None:
        """A message at Unix time ``ts`` on local day ordinal ``day`` (ISO week key ``week``),
        ``minute`` minutes after local midnight; ``off_hours`` outside the person's hours."""
        self.messages += 1
        if off_hours:
            self.off_hours += 1
        if minute >= NIGHT_FROM or minute < NIGHT_UNTIL:
            self.nights += 1
        elif off_hours and not rest_day and minute >= EVENING_FROM:
            self.evenings += 1
        if rest_day:
            self.rest_days += 1
        if day != self._day:
            if self._day >= 0:
                if ts - self._day_last < SHORT_REST_SECONDS:
                    self.short_rest += 1
                self._close_day(week)
            if self._week < 0:
                self._week = week
            self._day, self._day_first = day, ts
        self._day_last = ts

    def _close_day(self, next_week: int) -> None:
        self._week_seconds += self._day_last - self._day_first
        if next_week != self._week:
            if self._week_seconds > LONG_WEEK_SECONDS:
                self.long_weeks += 1
            self._week, self._week_seconds = next_week, 0.0

    def finish(self) -> None:
        """Close the last day and week."""
        if self._day >= 0:
            self._close_day(-2)
            self._day = -1

    def figures(self) -> dict[str, int]:
        """This person's own figures (for ``--person``, never for anyone else)."""
        return {
            "messages": self.messages,
            "off_hours": self.off_hours,
            **{name: getattr(self, name) for name in PATTERNS},
        }


@dataclass(frozen=True)
class GroupFigure:
    """A pattern across a group: how many people show it and how often it happened.

    Both are ``None`` (suppressed) when fewer than :data:`MIN_GROUP` people show it, or the
    group itself is smaller than that.
    """

    pattern: str
    people: int | None
    occurrences: int | None
    group: int

    @property
    def suppressed(self) -> bool:
        return self.people is None


def aggregate(people: list[PersonPatterns]) -> list[GroupFigure]:
    """The group's figure for each of :data:`PATTERNS`, with the minimum group size applied."""
    active = [person for person in people if person.messages]
    figures = []
    for name in PATTERNS:
        showing = [getattr(person, name) for person in active if getattr(person, name)]
        if len(active) < MIN_GROUP or len(showing) < MIN_GROUP:
            figures.append(GroupFigure(name, None, None, len(active)))
        else:
            figures.append(GroupFigure(name, len(showing), sum(showing), len(active)))
    return figures
