"""The ``off`` verb: a person's days off — add, list, clear — and how they are shown.

``/quiet off 2026-12-21..2027-01-03``, ``off 21.12–3.1``, ``off tomorrow`` / ``off i morgen``,
``off friday`` / ``off fredag``, ``off list`` / ``off liste``, ``off clear`` / ``off fjern``
(optionally with a span). Dates are the person's own, in their own time zone (see
:mod:`bot.domain.days_off_syntax`). Scheduled Outlook automatic replies are listed too, marked
as from Outlook; ``off clear`` leaves them alone (they are changed in Outlook).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.days_off_syntax import (
    DaysOffAction,
    DaysOffRequest,
    DaysOffSyntaxError,
    parse_days_off,
)
from bot.domain.hours import WorkingHours
from bot.domain.timeutil import local_date, resolve_wall_time
from bot.i18n import format_day as cldr_day
from bot.i18n import format_instant, translate, translate_plural
from bot.services.commands.core import Caller, CommandBase
from bot.services.commands.replies import Button, Invocation, Reply, Section
from bot.services.days_off import MAX_STORED_DAYS, TooManyDaysError, save_days_off
from bot.services.directory import days_off_of, outlook_away_of, zone_or_utc
from bot.services.person_hours import hours_for, team_of_person
from bot.storage.models import PersonRow
from bot.storage.repositories import PersonRepository

__all__ = ["DaysOffVerbs", "day_runs", "format_day"]

MIDNIGHT_DAY = timedelta(days=1)
MIDNIGHT = time(0)


def format_day(day: date, locale: str) -> str:
    """``Mon 30 Nov 2026`` / ``man. 30. nov. 2026`` (CLDR's day, and the year: days off are
    often planned into the next one)."""
    return f"{cldr_day(day, locale)} {day.year}"


def day_runs(days: frozenset[date]) -> list[tuple[date, date]]:
    """Consecutive days as inclusive ``(first, last)`` runs, in order."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + MIDNIGHT_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


class DaysOffVerbs(CommandBase):
    """``/quiet off …`` and the days-off lines of ``status`` and the home page."""

    async def hours_of(
        self, workspace_id: int, person: str, conversation: str | None = None
    ) -> WorkingHours | None:
        """The hours that decide for ``person`` (bot.services.person_hours: their own > their
        platform schedule > their team's > the workspace default), minus their absence."""
        async with self._sessions() as session:
            team = await team_of_person(session, workspace_id, person, context=conversation)
            found = await hours_for(session, workspace_id, person, team=team)
        return found.hours if found is not None else None

    def days_off_lines(
        self, row: PersonRow, locale: str, hours: WorkingHours | None = None
    ) -> list[str]:
        """One line per coming absence (typed runs of days, Outlook's schedule), each with
        when the person is back (the first opening of ``hours``, the hours that decide for them
        with their absence taken out, after it); empty when none is planned."""
        now = self._clock.now()
        tz = zone_or_utc(row.tz)
        today = local_date(now, tz)
        items: list[tuple[datetime, str]] = []
        for first, last in day_runs(days_off_of(row)):
            if last < today:
                continue
            span = self._span(first, last, locale)
            count = (last - first).days + 1
            end = resolve_wall_time(last + MIDNIGHT_DAY, MIDNIGHT, tz)
            text = translate_plural("off.item", count, locale, span=span)
            items.append((end, text + self._back(hours, end, tz, locale)))
        for start, end in outlook_away_of(row):
            if end <= now:
                continue
            span = translate(
                "off.span",
                locale,
                first=format_instant(start, tz, locale, now=now, with_zone=False),
                last=format_instant(end, tz, locale, now=now, with_zone=False),
            )
            text = translate("off.item.outlook", locale, span=span)
            items.append((end, text + self._back(hours, end, tz, locale)))
        return [text for _, text in sorted(items)]

    def _span(self, first: date, last: date, locale: str) -> str:
        if first == last:
            return format_day(first, locale)
        return translate(
            "off.span", locale, first=format_day(first, locale), last=format_day(last, locale)
        )

    def _back(self, hours: WorkingHours | None, end: datetime, tz: ZoneInfo, locale: str) -> str:
        back = end if hours is None else hours.next_open(end)
        if back is None:
            return ""
        when = format_instant(back, tz, locale, now=self._clock.now())
        return translate("off.item.back", locale, when=when)

    def days_off_section(self, row: PersonRow, locale: str, hours: WorkingHours | None) -> str:
        lines = self.days_off_lines(row, locale, hours)
        if not lines:
            return translate("off.none", locale)
        return "\n".join([translate("off.title", locale), *lines])

    def days_off_buttons(self, row: PersonRow, locale: str) -> tuple[Button, ...]:
        """*Add days off* (Slack: a form with date pickers; Teams: date fields on the card)
        and, when some are typed, *Clear days off*."""
        buttons = [Button("home.off_add", "off", translate("button.off_add", locale))]
        if row.days_off:
            clear = translate("button.off_clear", locale)
            buttons.append(Button("home.off_clear", "off", clear, "danger"))
        return tuple(buttons)

    async def _off(self, call: Invocation, caller: Caller, rest: str) -> Reply:
        locale = caller.locale
        tz = zone_or_utc(caller.person.tz)
        now = self._clock.now()
        today = local_date(now, tz)
        await self.refresh_outlook(call.platform, call.workspace, call.person)
        caller.person = await self._reread(caller)
        try:
            request = parse_days_off(rest, today=today)
        except DaysOffSyntaxError as error:
            return Reply.of(error.message(locale), error=True, locale=locale)
        if request.action is DaysOffAction.LIST:
            hours = await self.hours_of(caller.workspace_id, call.person, call.conversation)
            section = self.days_off_section(caller.person, locale, hours)
            buttons = self.days_off_buttons(caller.person, locale)
            return Reply((Section(section, buttons),), locale=locale)
        try:
            row, moved = await self.change_days_off(
                caller.workspace_id, call.person, request, today=today
            )
        except TooManyDaysError:
            text = translate("off.error.too_many", locale, limit=MAX_STORED_DAYS)
            return Reply.of(text, error=True, locale=locale)
        if request.action is DaysOffAction.CLEAR:
            if request.first is None or request.last is None:
                lead = translate("off.cleared.all", locale)
            else:
                span = self._span(request.first, request.last, locale)
                lead = translate("off.cleared.span", locale, span=span)
        else:
            assert request.first is not None and request.last is not None
            lead = translate(
                "off.saved", locale, span=self._span(request.first, request.last, locale)
            )
        sections = [Section(lead)]
        if moved:
            sections.append(Section(translate_plural("off.moved", moved, locale)))
        hours = await self.hours_of(caller.workspace_id, call.person, call.conversation)
        section = self.days_off_section(row, locale, hours)
        sections.append(Section(section, self.days_off_buttons(row, locale)))
        return Reply(tuple(sections), locale=locale)

    async def _reread(self, caller: Caller) -> PersonRow:
        async with self._sessions() as session:
            row = await session.get(PersonRow, caller.person.id)
            if row is None:
                return caller.person
            session.expunge(row)
            return row

    async def change_days_off(
        self, workspace_id: int, person: str, request: DaysOffRequest, *, today: date
    ) -> tuple[PersonRow, int]:
        """Apply an add or clear request to the person's typed days off, in one transaction
        with the re-planning of what is held for them; (the row, messages moved). Raises
        :class:`~bot.services.days_off.TooManyDaysError`."""
        async with self._sessions() as session, session.begin():
            people = PersonRepository(session)
            row = await people.get_or_create(workspace_id, person, now=self._clock.now())
            days = set(days_off_of(row))
            wanted = set(request.days())
            if request.action is DaysOffAction.ADD:
                days |= wanted
            elif request.first is None:
                days = set()
            else:
                days -= wanted
            moved = await save_days_off(session, row, days, today=today, now=self._clock.now())
            session.expunge(row)
        return row, moved
