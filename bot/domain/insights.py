"""Insight figures from activity metadata (who wrote when, never what): pure, no I/O.

The input is a plain iterable of :class:`Activity` records — a person, an instant and the zone
their wall clock is read in — so the bot (from its stored off-hours activity) and the policy
simulator (from an export) compute the same figures. Weeks are ISO weeks on the wall clock of
each record's zone (Monday 00:00 local); durations (rest, span) are real elapsed time between
UTC instants, so a night that loses an hour to DST is an hour shorter.

Sources of the thresholds:

* night 21:00–06:00: Norway's Working Environment Act (arbeidsmiljøloven, AML) § 10-11 (1)
  ("arbeid mellom klokken 21 og klokken 6 er nattarbeid"); EU Working Time Directive
  2003/88/EC art. 2 (3) lets member states set a night period that includes 00:00–05:00;
* 11 hours' rest between working days: AML § 10-8 (1) and Directive 2003/88/EC art. 3;
* 40 hours a week: AML § 10-4 (1), the normal working week.

Team figures are aggregates only: see :data:`MIN_GROUP_SIZE` and :class:`Figure`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.hours import WorkingHours
from bot.domain.timeutil import ensure_utc

__all__ = [
    "EVENING",
    "LONG_WEEK",
    "MIN_DAILY_REST",
    "MIN_GROUP_SIZE",
    "NIGHT",
    "Activity",
    "Figure",
    "HeldRecord",
    "TeamWeek",
    "WeekFigures",
    "hour_of_week",
    "is_evening",
    "is_night",
    "person_activity",
    "personal_weeks",
    "team_grid",
    "team_weeks",
    "week_of",
    "weeks_ending",
]

#: The smallest group a team figure may be built from. A figure (or a cell of a breakdown)
#: drawn from fewer distinct people is suppressed: with 1–4 people a leader who knows the team
#: can usually tell who worked at night. Five is the threshold statistics offices commonly use
#: for small-cell suppression, and the one DESIGN.md promises ("aggregates for leaders only
#: over >= 5 people"). The single place this rule lives.
MIN_GROUP_SIZE = 5

#: Night work, local wall time: AML § 10-11 (1).
NIGHT = (time(21), time(6))
#: The evening before the night: after a normal working day, before night work begins.
EVENING = (time(18), time(21))
#: Daily rest: AML § 10-8 (1), Directive 2003/88/EC art. 3.
MIN_DAILY_REST = timedelta(hours=11)
#: The normal working week: AML § 10-4 (1).
LONG_WEEK = timedelta(hours=40)
#: A span is shown to a tenth of an hour (6 minutes), and "more than 40 hours" is decided on the
#: figure shown, so a person is never told "40 h — more than 40 hours".
SPAN_STEP = timedelta(minutes=6)

TICK = timedelta(microseconds=1)


def _never(day: date) -> bool:
    return False


@dataclass(frozen=True)
class Activity:
    """One sign of work: ``person`` was active at ``at`` (aware; any zone), read in ``tz``.

    ``outside_hours``: the instant lies outside the person's own hours. ``message``: False for
    a *presumed* instant (an edge of the person's working hours, which count as active): such
    records shape the working day (rest, span) but are not counted as messages.
    """

    person: str
    at: datetime
    tz: ZoneInfo
    outside_hours: bool = True
    message: bool = True

    def __post_init__(self) -> None:
        # in UTC: Python subtracts two datetimes of the same zone on the wall clock, which
        # would make a DST night an hour too long or too short
        object.__setattr__(self, "at", ensure_utc(self.at))

    @property
    def local(self) -> datetime:
        return self.at.astimezone(self.tz)


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def weeks_ending(today: date, count: int) -> list[date]:
    """The Mondays of the ``count`` weeks up to and including ``today``'s, oldest first."""
    this = week_of(today)
    return [this - timedelta(weeks=count - 1 - index) for index in range(count)]


def _in_span(clock: time, span: tuple[time, time]) -> bool:
    start, end = span
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def is_night(local: datetime) -> bool:
    """Local wall time within :data:`NIGHT` (21:00–06:00)."""
    return _in_span(local.time(), NIGHT)


def is_evening(local: datetime) -> bool:
    """Local wall time within :data:`EVENING` (18:00–21:00)."""
    return _in_span(local.time(), EVENING)


@dataclass(frozen=True)
class WeekFigures:
    """One person's week (Monday ``week``, local). Counts are messages, except
    ``short_rest_days`` (days whose rest since the previous day's last activity was under
    :data:`MIN_DAILY_REST`) and ``span`` (the sum over days of first-to-last activity)."""

    week: date
    messages: int = 0
    outside_hours: int = 0
    evenings: int = 0
    nights: int = 0
    sundays_holidays: int = 0
    short_rest_days: int = 0
    span: timedelta = timedelta(0)
    urgent: int = 0

    @property
    def long_week(self) -> bool:
        """The activity span, as shown (:func:`shown_span`), exceeded :data:`LONG_WEEK`."""
        return is_long_week(self.span)


def shown_span(span: timedelta) -> timedelta:
    """``span`` to the nearest :data:`SPAN_STEP` (a tenth of an hour; halves round up): the
    figure a person reads, ``40.1 h``."""
    steps = int(span / SPAN_STEP + 0.5) if span >= timedelta(0) else 0
    return steps * SPAN_STEP


def is_long_week(span: timedelta) -> bool:
    """More than :data:`LONG_WEEK` (40 hours), judged on the figure shown, so 40 h 02 min (shown
    ``40 h``) is not called more than 40 hours and 40 h 03 min (shown ``40.1 h``) is."""
    return shown_span(span) > LONG_WEEK


def _days(records: Iterable[Activity]) -> dict[date, tuple[datetime, datetime]]:
    """Local date → (first, last) instant of activity that day."""
    days: dict[date, tuple[datetime, datetime]] = {}
    for record in records:
        day = record.local.date()
        found = days.get(day)
        if found is None:
            days[day] = (record.at, record.at)
        else:
            days[day] = (min(found[0], record.at), max(found[1], record.at))
    return days


def personal_weeks(
    records: Iterable[Activity],
    weeks: Sequence[date],
    *,
    urgent: Iterable[datetime] = (),
    tz: ZoneInfo,
    rest_day: Callable[[date], bool] = _never,
) -> list[WeekFigures]:
    """One person's figures for each Monday in ``weeks`` (a week's rest counts the day after
    the previous week's last day too). ``urgent``: instants of their urgent overrides;
    ``rest_day(date)``: whether a date is a public holiday or day off (Sundays always count)."""
    records = list(records)
    wanted = set(weeks)
    figures: dict[date, dict[str, int]] = {week: defaultdict(int) for week in weeks}
    for record in records:
        if not record.message:
            continue
        local = record.local
        counts = figures.get(week_of(local.date()))
        if counts is None:
            continue
        counts["messages"] += 1
        counts["outside_hours"] += record.outside_hours
        counts["evenings"] += is_evening(local)
        counts["nights"] += is_night(local)
        counts["sundays_holidays"] += local.weekday() == 6 or rest_day(local.date())
    spans: dict[date, timedelta] = defaultdict(timedelta)
    days = _days(records)
    for day, (first, last) in days.items():
        week = week_of(day)
        if week not in wanted:
            continue
        spans[week] += last - first
        before = days.get(day - timedelta(days=1))
        if before is not None and first - before[1] < MIN_DAILY_REST:
            figures[week]["short_rest_days"] += 1
    for instant in urgent:
        counts = figures.get(week_of(instant.astimezone(tz).date()))
        if counts is not None:
            counts["urgent"] += 1
    return [WeekFigures(week=week, span=_to_minute(spans[week]), **figures[week]) for week in weeks]


def _to_minute(span: timedelta) -> timedelta:
    """Rounded to the minute (presumed ends sit a microsecond before the hour)."""
    return timedelta(minutes=round(span.total_seconds() / 60))


def person_activity(
    person: str,
    messages: Iterable[datetime],
    *,
    tz: ZoneInfo,
    hours: WorkingHours | None,
    start: datetime,
    end: datetime,
) -> list[Activity]:
    """A person's activity in ``[start, end)`` (aware instants): their messages (outside
    ``hours`` or not), and each open interval of ``hours`` as two presumed instants (its start,
    and a microsecond before its end so a window ending at 24:00 stays on its own day).

    The bot stores only off-hours messages; the person's hours count as worked, so rest and
    span mean "the working day your hours describe, stretched by what you wrote outside them".
    Without ``hours`` every message counts as outside hours. Days are calendar days in ``tz``:
    for hours across midnight the rest between days is measured around midnight.
    """
    found = [
        Activity(person, at, tz, outside_hours=hours is None or not hours.is_open(at))
        for at in messages
        if start <= at < end
    ]
    if hours is not None:
        for open_start, open_end in hours.intervals_between(start, end):
            found.append(Activity(person, open_start, tz, message=False))
            found.append(Activity(person, open_end - TICK, tz, message=False))
    return found


def hour_of_week(records: Iterable[Activity]) -> list[list[int]]:
    """Messages per (weekday, hour) on each record's wall clock: 7 rows (Monday first) of 24."""
    grid = [[0] * 24 for _ in range(7)]
    for record in records:
        if record.message:
            local = record.local
            grid[local.weekday()][local.hour] += 1
    return grid


# -- team figures: aggregates only -------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A team figure, or ``None`` when fewer than :data:`MIN_GROUP_SIZE` people made it.

    A zero drawn from nobody is shown: it singles no one out.
    """

    value: int | None

    @classmethod
    def of(cls, value: int, people: int) -> Figure:
        """``value`` built from ``people`` distinct people; suppressed when 0 < people < 5."""
        return cls(None if 0 < people < MIN_GROUP_SIZE else value)

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class HeldRecord:
    """A message held for the team's working hours: who wrote it (never shown), and when it
    was written and landed (``landed`` None while still held)."""

    author: str
    created: datetime
    landed: datetime | None


@dataclass(frozen=True)
class TeamWeek:
    """A team's week (Monday ``week`` in the team's zone); every figure suppressible.

    ``share`` is the percentage of the team's members who wrote outside hours (None when the
    members are unknown); ``monday_morning`` how many held messages landed on Monday before
    noon (the Monday peak); ``reopened`` is None until decisions are tracked.
    """

    week: date
    people: Figure
    share: Figure | None
    messages: Figure
    evenings: Figure
    nights: Figure
    sundays_holidays: Figure
    urgent: Figure
    decisions: Figure
    reopened: Figure | None
    held: Figure
    monday_morning: Figure
    landed_by_day: tuple[Figure, ...] = field(default=())


def _figure(pairs: Iterable[tuple[str, bool]]) -> Figure:
    """Count the true flags, from the distinct people who raised them."""
    value, people = 0, set()
    for person, flag in pairs:
        if flag:
            value += 1
            people.add(person)
    return Figure.of(value, len(people))


def _weekly_groups(
    items: Iterable[tuple[frozenset[str], datetime]], tz: ZoneInfo
) -> dict[date, list[frozenset[str]]]:
    grouped: dict[date, list[frozenset[str]]] = defaultdict(list)
    for people, at in items:
        grouped[week_of(at.astimezone(tz).date())].append(people)
    return grouped


def _group_figure(groups: list[frozenset[str]]) -> Figure:
    """How many things (decisions), from the distinct people who took part in any of them."""
    return Figure.of(len(groups), len(frozenset().union(*groups)))


def team_weeks(
    records: Iterable[Activity],
    weeks: Sequence[date],
    *,
    tz: ZoneInfo,
    members: int | None = None,
    urgent: Iterable[tuple[str, datetime]] = (),
    held: Iterable[HeldRecord] = (),
    decisions: Iterable[tuple[frozenset[str], datetime]] = (),
    reopened: Iterable[tuple[frozenset[str], datetime]] | None = None,
    rest_day: Callable[[date], bool] = _never,
) -> list[TeamWeek]:
    """The team's figures for each Monday in ``weeks``, on ``tz``'s wall clock.

    ``records`` are the team's off-hours messages; ``members`` how many people the team has;
    ``urgent`` (sender, instant) overrides; ``held`` the team's held messages; ``decisions`` /
    ``reopened`` (the people who took part, instant) per off-hours decision. Every figure is
    suppressed when it comes from fewer than :data:`MIN_GROUP_SIZE` people (:class:`Figure`).
    """
    by_week: dict[date, list[tuple[str, datetime]]] = defaultdict(list)
    for record in records:
        if record.message:
            by_week[week_of(record.at.astimezone(tz).date())].append((record.person, record.at))

    def weekly(pairs: Iterable[tuple[str, datetime]]) -> dict[date, list[tuple[str, datetime]]]:
        grouped: dict[date, list[tuple[str, datetime]]] = defaultdict(list)
        for person, at in pairs:
            grouped[week_of(at.astimezone(tz).date())].append((person, at))
        return grouped

    urgent_by = weekly(urgent)
    decided_by = _weekly_groups(decisions, tz)
    reopened_by = _weekly_groups(reopened, tz) if reopened is not None else None
    held_by = weekly((item.author, item.landed) for item in held if item.landed is not None)
    result = []
    for week in weeks:
        mine = by_week.get(week, [])
        local = [(person, at.astimezone(tz)) for person, at in mine]
        people = len({person for person, _ in mine})
        landed = [(person, at.astimezone(tz)) for person, at in held_by.get(week, [])]
        share = None
        if members:
            share = Figure.of(round(100 * min(people, members) / members), people)
        result.append(
            TeamWeek(
                week=week,
                people=Figure.of(people, people),
                share=share,
                messages=_figure((person, True) for person, _ in mine),
                evenings=_figure((person, is_evening(at)) for person, at in local),
                nights=_figure((person, is_night(at)) for person, at in local),
                sundays_holidays=_figure(
                    (person, at.weekday() == 6 or rest_day(at.date())) for person, at in local
                ),
                urgent=_figure((person, True) for person, _ in urgent_by.get(week, [])),
                decisions=_group_figure(decided_by.get(week, [])),
                reopened=None if reopened_by is None else _group_figure(reopened_by.get(week, [])),
                held=_figure((person, True) for person, _ in landed),
                monday_morning=_figure(
                    (person, at.weekday() == 0 and at.hour < 12) for person, at in landed
                ),
                landed_by_day=tuple(
                    _figure((person, at.weekday() == day) for person, at in landed)
                    for day in range(7)
                ),
            )
        )
    return result


def team_grid(records: Iterable[Activity], tz: ZoneInfo) -> list[list[int | None]]:
    """Messages per (weekday, hour) on ``tz``'s wall clock, 7 × 24; a cell written by fewer
    than :data:`MIN_GROUP_SIZE` distinct people is ``None`` (suppressed, never drawn)."""
    counts = [[0] * 24 for _ in range(7)]
    people: list[list[set[str]]] = [[set() for _ in range(24)] for _ in range(7)]
    for record in records:
        if record.message:
            local = record.at.astimezone(tz)
            counts[local.weekday()][local.hour] += 1
            people[local.weekday()][local.hour].add(record.person)
    return [
        [Figure.of(counts[day][hour], len(people[day][hour])).value for hour in range(24)]
        for day in range(7)
    ]
