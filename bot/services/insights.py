"""Personal and team insight: read the stored metadata, compute the figures, draw the chart.

A person's insight is for that person only (the command layer asks for the caller's own);
a team's for its leaders only, aggregated under the rule in ``bot.domain.insights``
(:data:`~bot.domain.insights.MIN_GROUP_SIZE`). Nothing here reads message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.domain.calendar import HolidayRule
from bot.domain.hours import WorkingHours
from bot.domain.insights import (
    Activity,
    HeldRecord,
    TeamWeek,
    WeekFigures,
    hour_of_week,
    person_activity,
    personal_weeks,
    team_grid,
    team_weeks,
    weeks_ending,
)
from bot.domain.policy import TeamPolicy
from bot.domain.timeutil import local_date, resolve_wall_time
from bot.storage.guards import GuardRepository
from bot.storage.insight_queries import InsightQueries

__all__ = [
    "PERSONAL_WEEKS",
    "TEAM_WEEKS",
    "InsightService",
    "PersonalInsight",
    "TeamInsight",
]

#: The personal trend: this week and the three before it.
PERSONAL_WEEKS = 4
#: The team trend: this week and the seven before it.
TEAM_WEEKS = 8


@dataclass(frozen=True)
class PersonalInsight:
    """One person's weeks (oldest first; the last is the current week) and their heatmap grid
    over all of them, on the wall clock of ``tz``."""

    tz: ZoneInfo
    weeks: list[WeekFigures]
    grid: list[list[int]]

    @property
    def this_week(self) -> WeekFigures:
        return self.weeks[-1]

    @property
    def empty(self) -> bool:
        """Nothing written outside hours and no urgent override in the whole trend."""
        return not any(week.messages or week.urgent for week in self.weeks)


@dataclass(frozen=True)
class TeamInsight:
    """A team's weeks (oldest first) and its heatmap grid (suppressed cells ``None``)."""

    team: str
    tz: ZoneInfo
    weeks: list[TeamWeek]
    grid: list[list[int | None]]

    @property
    def this_week(self) -> TeamWeek:
        return self.weeks[-1]


def _week_start(monday: date, tz: ZoneInfo) -> datetime:
    return resolve_wall_time(monday, time(0), tz)


class InsightService:
    """Computes insights from the database; knows nothing of platforms."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def personal(
        self,
        workspace_id: int,
        person: str,
        *,
        tz: ZoneInfo,
        hours: WorkingHours | None,
        weeks: int = PERSONAL_WEEKS,
    ) -> PersonalInsight:
        """``person``'s own figures for the last ``weeks`` weeks, read in ``tz``; ``hours``
        (their own, else their team's) decide "outside hours" and count as worked."""
        now = self._clock.now()
        mondays = weeks_ending(local_date(now, tz), weeks)
        # from the day before the first week: its last activity bounds Monday's rest
        start = _week_start(mondays[0] - timedelta(days=1), tz)
        async with self._sessions() as session:
            queries = InsightQueries(session)
            written = await queries.person_activity(workspace_id, person, start, now)
            urgent = await queries.person_urgent(workspace_id, person, start, now)
        records = person_activity(person, written, tz=tz, hours=hours, start=start, end=now)
        rest_day = (hours.days_off if hours is not None else HolidayRule()).is_rest_day
        figures = personal_weeks(records, mondays, urgent=urgent, tz=tz, rest_day=rest_day)
        first = _week_start(mondays[0], tz)
        grid = hour_of_week(record for record in records if record.at >= first)
        return PersonalInsight(tz=tz, weeks=figures, grid=grid)

    async def team(
        self,
        workspace_id: int,
        team_id: int,
        policy: TeamPolicy,
        *,
        members: int | None = None,
        weeks: int = TEAM_WEEKS,
        until: datetime | None = None,
    ) -> TeamInsight:
        """The team's aggregated figures for the ``weeks`` weeks up to ``until`` (now), in the
        team's zone; ``members``: how many people the team has (for the off-hours share)."""
        now = until or self._clock.now()
        tz = policy.hours.tz
        # the week of the last instant before ``now``: until Monday 00:00 is last week's report
        mondays = weeks_ending(local_date(now - timedelta(microseconds=1), tz), weeks)
        start = _week_start(mondays[0], tz)
        channels = sorted(policy.watched_channels)
        async with self._sessions() as session:
            queries = InsightQueries(session)
            written = await queries.team_activity(team_id, start, now)
            decisions = await queries.team_decisions(team_id, start, now)
            reopened = (
                await GuardRepository(session).reopened_threads(team_id, start, now)
                if await queries.guard_on(team_id)
                else None
            )
            urgent = await queries.urgent_in(workspace_id, channels, start, now)
            held = await queries.held_in(workspace_id, channels, start, now)
        records = [Activity(person, at, tz) for person, at in written]
        figures = team_weeks(
            records,
            mondays,
            tz=tz,
            members=members,
            urgent=urgent,
            held=[HeldRecord(author, created, landed) for author, created, landed in held],
            decisions=decisions,
            reopened=reopened,
            rest_day=policy.hours.days_off.is_rest_day,
        )
        return TeamInsight(team=policy.name, tz=tz, weeks=figures, grid=team_grid(records, tz))
