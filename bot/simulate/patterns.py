"""The insights' personal patterns (``bot/domain/insights.py``) over a stream of messages.

The insights compute from a list of :class:`~bot.domain.insights.Activity` records; an export of
a million messages is too big to hold as records. Here each author keeps counters, fed one
message at a time with the insights' own rules (evening 18:00–21:00, night 21:00–06:00,
Sundays and rest days, outside their own hours), plus the first and last message of each local
day. At the end rest and span are worked out from those day edges merged with the person's working
hours as presumed activity (:func:`~bot.domain.insights.person_activity` makes them), by the
rules of :func:`~bot.domain.insights.personal_weeks` — the same figures ``/quiet me`` shows,
which a property test checks against ``personal_weeks`` itself (calling it per person was
seconds per thousand people).

Aggregation keeps the insights' rule: a figure made by fewer than
:data:`~bot.domain.insights.MIN_GROUP_SIZE` distinct people is suppressed
(:class:`~bot.domain.insights.Figure`).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bot.domain.insights import (
    EVENING,
    MIN_DAILY_REST,
    MIN_GROUP_SIZE,
    NIGHT,
    Activity,
    Figure,
    is_long_week,
)

__all__ = ["PATTERNS", "GroupFigure", "PersonPatterns", "aggregate", "rest_and_span_all"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
_DAYS = 1 << 22  # more than any day ordinal: (author, day) as one integer
_BLOCK = 256  # authors worked out together by rest_and_span_all

PATTERNS = ("evenings", "nights", "sundays_holidays", "short_rest_days", "long_weeks")


def _minutes(clock: object) -> int:
    return clock.hour * 60 + clock.minute  # type: ignore[attr-defined, no-any-return]


EVENING_FROM, EVENING_UNTIL = _minutes(EVENING[0]), _minutes(EVENING[1])
NIGHT_FROM, NIGHT_UNTIL = _minutes(NIGHT[0]), _minutes(NIGHT[1])


class PersonPatterns:
    """One author's running tally: call :meth:`add` per message in time order, then
    :meth:`finish` once. Memory: a few counters and two instants per active day."""

    __slots__ = (
        "_day",
        "_first",
        "_last",
        "_late",
        "_today",
        "_today_first",
        "_today_last",
        "evenings",
        "long_weeks",
        "messages",
        "nights",
        "outside_hours",
        "short_rest_days",
        "sundays_holidays",
        "tz",
    )

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.messages = self.outside_hours = self.evenings = self.nights = 0
        self.sundays_holidays = self.short_rest_days = self.long_weeks = 0
        # the local days with a message, in order, and the first and last message of each:
        # arrays (20 bytes a day), since 2,000 people over half a year are 360,000 days; the
        # latest day (``_today``, -1: none yet) is kept apart until a later one begins
        self._day = array("l")
        self._first = array("d")
        self._last = array("d")
        self._late: dict[int, tuple[float, float]] = {}
        self._today = -1
        self._today_first = self._today_last = 0.0

    def add(self, ts: float, day: int, minute: int, outside_hours: bool, rest_day: bool) -> None:
        """A message at Unix time ``ts`` on local day ordinal ``day``, ``minute`` minutes after
        local midnight (a quarter-hour start is enough: every threshold is on one)."""
        self.messages += 1
        if outside_hours:
            self.outside_hours += 1
        if minute >= NIGHT_FROM or minute < NIGHT_UNTIL:
            self.nights += 1
        elif EVENING_FROM <= minute < EVENING_UNTIL:
            self.evenings += 1
        if rest_day:
            self.sundays_holidays += 1
        if day == self._today:
            if ts > self._today_last:
                self._today_last = ts
            elif ts < self._today_first:
                self._today_first = ts
        elif day > self._today:
            self._close_day()
            self._today, self._today_first, self._today_last = day, ts, ts
        else:  # out of order (a day file filed under another date): rare, kept aside
            known = self._late.get(day)
            self._late[day] = (ts, ts) if known is None else (min(known[0], ts), max(known[1], ts))

    def add_counts(
        self, messages: int, outside_hours: int, evenings: int, nights: int, rest_days: int
    ) -> None:
        """Counts of messages tallied elsewhere by :meth:`add`'s rules (the replay counts a
        whole date at once)."""
        self.messages += messages
        self.outside_hours += outside_hours
        self.evenings += evenings
        self.nights += nights
        self.sundays_holidays += rest_days

    def add_days(self, days: Iterable[int], first: Iterable[float], last: Iterable[float]) -> None:
        """The first and last message (Unix time) of local days worked out elsewhere; a day
        given twice keeps the earliest first and the latest last (:meth:`finish` merges)."""
        self._close_day()
        for day, start, end in zip(days, first, last, strict=True):
            known = self._late.get(day)
            if known is not None:
                start, end = min(known[0], start), max(known[1], end)
            self._late[day] = (start, end)

    def _close_day(self) -> None:
        if self._today >= 0:
            self._day.append(self._today)
            self._first.append(self._today_first)
            self._last.append(self._today_last)
            self._today = -1

    def finish(self, presumed: Mapping[int, tuple[float, float]]) -> None:
        """Rest and span over this author's day edges merged with ``presumed`` (their hours'
        day edges over the period, :func:`day_edges` of ``person_activity``)."""
        self._close_day()
        days = dict(presumed)
        own = zip(self._day, zip(self._first, self._last, strict=True), strict=True)
        for day, (first, last) in [*own, *self._late.items()]:
            known = days.get(day)
            if known is not None:
                first, last = min(known[0], first), max(known[1], last)
            days[day] = (first, last)
        self.short_rest_days, self.long_weeks = rest_and_span(days)
        self._day, self._first, self._last, self._late = array("l"), array("d"), array("d"), {}

    def finish_with(self, short_rest_days: int, long_weeks: int) -> None:
        """:meth:`finish` with its figures worked out elsewhere (:func:`rest_and_span_all`)."""
        self._close_day()
        self.short_rest_days, self.long_weeks = short_rest_days, long_weeks
        self._day, self._first, self._last, self._late = array("l"), array("d"), array("d"), {}

    def figures(self) -> dict[str, int]:
        """This person's own figures (for ``--person``, never for anyone else)."""
        return {
            "messages": self.messages,
            "outside_hours": self.outside_hours,
            **{name: getattr(self, name) for name in PATTERNS},
        }


@dataclass(frozen=True)
class GroupFigure:
    """A pattern across the authors: how many show it, how often it happened; both ``None``
    when fewer than five people show it (:class:`~bot.domain.insights.Figure`)."""

    pattern: str
    people: int | None
    occurrences: int | None

    @property
    def suppressed(self) -> bool:
        return self.people is None


def aggregate(
    people: Sequence[PersonPatterns], *, least: int = MIN_GROUP_SIZE
) -> list[GroupFigure]:
    """The group's figure for each of :data:`PATTERNS`: suppressed as
    :meth:`Figure.of <bot.domain.insights.Figure.of>` does (``least`` only for tests)."""
    figures = []
    for name in PATTERNS:
        showing = [getattr(person, name) for person in people if getattr(person, name)]
        if least == MIN_GROUP_SIZE:
            count = Figure.of(len(showing), len(showing)).value
            times = Figure.of(sum(showing), len(showing)).value
        else:
            hidden = 0 < len(showing) < least
            count, times = (None, None) if hidden else (len(showing), sum(showing))
        figures.append(GroupFigure(name, count, times))
    return figures


def day_edges(records: Iterable[Activity]) -> dict[int, tuple[float, float]]:
    """Local day ordinal -> (first, last) Unix time of ``records``, as ``insights._days``."""
    days: dict[int, tuple[float, float]] = {}
    for record in records:
        day = record.local.date().toordinal()
        ts = record.at.timestamp()
        known = days.get(day)
        days[day] = (ts, ts) if known is None else (min(known[0], ts), max(known[1], ts))
    return days


def _to_minute(seconds: float) -> timedelta:
    """As :func:`bot.domain.insights.personal_weeks` rounds a week's span."""
    return timedelta(minutes=round(seconds / 60))


def rest_and_span(days: Mapping[int, tuple[float, float]]) -> tuple[int, int]:
    """(days with under 11 hours' rest, weeks over 40 hours) from day edges, with the rules of
    :func:`~bot.domain.insights.personal_weeks` (rest since the previous calendar day's last
    activity; a week's span, to the minute, then as shown, over
    :data:`~bot.domain.insights.LONG_WEEK`: :func:`~bot.domain.insights.is_long_week`).
    ``tests/unit/test_simulate_patterns.py`` checks the two agree."""
    short = 0
    spans: dict[int, float] = defaultdict(float)
    rest = MIN_DAILY_REST.total_seconds()
    for day, (first, last) in days.items():
        spans[day - (day - 1) % 7] += last - first  # ordinal 1 (0001-01-01) is a Monday
        before = days.get(day - 1)
        if before is not None and first - before[1] < rest:
            short += 1
    long_weeks = sum(1 for span in spans.values() if is_long_week(_to_minute(span)))
    return short, long_weeks


def rest_and_span_all(
    author: Ints,
    day: Ints,
    first: Floats,
    last: Floats,
    zone: Ints,
    presumed: Sequence[Mapping[int, tuple[float, float]]],
    *,
    block: int = _BLOCK,
) -> tuple[Ints, Ints]:
    """:func:`rest_and_span` for every author at once, as :meth:`PersonPatterns.finish` works
    it out: author ``a`` wrote on ``day[i]`` from ``first[i]`` to ``last[i]`` (where
    ``author[i] == a``; days ascending per author, each once), lives in ``zone[a]`` whose
    working days are ``presumed[zone[a]]`` (:func:`day_edges`, days ascending). Returns
    (short rest days, long weeks) per author.

    A week's span is summed in the order :func:`rest_and_span` sums it (the presumed days,
    then the others, each in day order; a float sum depends on its order), one day of every
    week at a time; everything else is exact whatever the order. Authors are taken ``block``
    at a time, so memory holds only their presumed days."""
    people = len(zone)
    short, long = np.zeros(people, np.int64), np.zeros(people, np.int64)
    if len(author) > 1 and not (author[1:] >= author[:-1]).all():
        by_author = np.argsort(author, kind="stable")
        author, day = author[by_author], day[by_author]
        first, last = first[by_author], last[by_author]
    bounds = np.searchsorted(author, np.arange(0, people + block, block)).tolist()
    for number, low in enumerate(range(0, people, block)):
        high = min(people, low + block)
        rows = slice(bounds[number], bounds[number + 1])
        short[low:high], long[low:high] = _rest_and_span_block(
            author[rows] - low, day[rows], first[rows], last[rows], zone[low:high], presumed
        )
    return short, long


def _rest_and_span_block(
    author: Ints,
    day: Ints,
    first: Floats,
    last: Floats,
    zone: Ints,
    presumed: Sequence[Mapping[int, tuple[float, float]]],
) -> tuple[Ints, Ints]:
    """:func:`rest_and_span_all` for authors ``0 .. len(zone) - 1``."""
    people = len(zone)
    parts = [(author, day, first, last, np.ones(len(day), np.int64))]
    for index, edges in enumerate(presumed):
        members = np.flatnonzero(zone == index)
        if not len(members) or not edges:
            continue
        days = np.fromiter(edges.keys(), np.int64, len(edges))
        bounds = np.array(list(edges.values()), np.float64).reshape(len(edges), 2)
        count = len(members)
        parts.append(
            (
                np.repeat(members, len(days)),
                np.tile(days, count),
                np.tile(bounds[:, 0], count),
                np.tile(bounds[:, 1], count),
                np.zeros(len(days) * count, np.int64),  # rank 0: a presumed day, summed first
            )
        )
    who, days, firsts, lasts, ranks = (np.concatenate([p[n] for p in parts]) for n in range(5))
    key = who * _DAYS + days
    if not len(key):
        return np.zeros(people, np.int64), np.zeros(people, np.int64)
    by_key = np.argsort(key, kind="stable")
    key = key[by_key]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    firsts = np.minimum.reduceat(firsts[by_key], starts)
    lasts = np.maximum.reduceat(lasts[by_key], starts)
    ranks = np.minimum.reduceat(ranks[by_key], starts)
    key = key[starts]
    who, days = key // _DAYS, key % _DAYS
    # rest since the previous calendar day's last activity
    after = (who[1:] == who[:-1]) & (days[1:] == days[:-1] + 1)
    short_rest = after & (firsts[1:] - lasts[:-1] < MIN_DAILY_REST.total_seconds())
    short = np.bincount(who[1:][short_rest], minlength=people)
    # each week's span, summed day by day in rest_and_span's order
    week = days - (days - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
    order = np.lexsort((days, ranks, week, who))
    spans, weeks = (lasts - firsts)[order], (who * _DAYS + week)[order]
    begins = np.concatenate([[True], weeks[1:] != weeks[:-1]])
    segment = np.cumsum(begins) - 1
    place = np.arange(len(weeks)) - np.flatnonzero(begins)[segment]
    sums = np.zeros(int(segment[-1]) + 1, np.float64)
    for step in range(int(place.max()) + 1):
        at = place == step
        sums[segment[at]] += spans[at]
    minutes, back = np.unique(np.round(sums / 60), return_inverse=True)
    long = np.array([is_long_week(timedelta(minutes=int(m))) for m in minutes.tolist()], np.bool_)
    week_of = weeks[np.flatnonzero(begins)] // _DAYS
    return short, np.bincount(week_of[long[back.reshape(-1)]], minlength=people)
