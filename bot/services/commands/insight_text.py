"""Insight figures as words and a chart, in the reader's language (the command layer's edge)."""

from __future__ import annotations

from datetime import date, timedelta

from babel.numbers import format_decimal

from bot.charts import render_heatmap
from bot.domain.insights import MIN_GROUP_SIZE, SPAN_STEP, Figure, WeekFigures, shown_span
from bot.i18n import (
    CLDR_LOCALES,
    format_day,
    normalize_locale,
    translate,
    translate_plural,
    weekday_name,
)
from bot.services.commands.replies import Chart, Reply, Section
from bot.services.insights import PersonalInsight, TeamInsight

__all__ = [
    "personal_chart",
    "personal_lines",
    "since",
    "team_chart",
    "team_lines",
    "team_reply",
]


def since(monday: date, locale: str) -> str:
    """``Mon 30 Nov`` / ``man. 30. nov.`` (Babel's locale data)."""
    return format_day(monday, locale)


def _hours(span: timedelta, locale: str) -> str:
    """Hours to one decimal, as the locale writes numbers: ``2.5`` / ``2,5``, ``41``."""
    hours = shown_span(span) / SPAN_STEP / 10  # tenths of an hour, as the long week is judged
    return str(
        format_decimal(hours, format="#,##0.#", locale=CLDR_LOCALES[normalize_locale(locale)])
    )


def _figure(figure: Figure | None, locale: str, *, short: bool = False) -> str:
    """The value, or words saying it is hidden (fewer than the minimum group made it)."""
    if figure is None or figure.value is None:
        if short:
            return translate("insight.suppressed_short", locale, minimum=str(MIN_GROUP_SIZE))
        return translate_plural("insight.suppressed", MIN_GROUP_SIZE, locale)
    return str(figure.value)


def _short(figure: Figure | None, locale: str) -> str:
    return _figure(figure, locale, short=True)


def personal_lines(insight: PersonalInsight, locale: str) -> list[str]:
    """This week's figures, then the trend week by week (only ever shown to the person)."""
    week = insight.this_week
    span = "insight.me.span_long" if week.long_week else "insight.me.span"
    lines = [
        "\n".join(
            (
                translate("insight.me.title", locale, since=since(week.week, locale)),
                translate("insight.me.outside", locale, count=week.outside_hours),
                translate(
                    "insight.me.times",
                    locale,
                    evenings=week.evenings,
                    nights=week.nights,
                    sundays=week.sundays_holidays,
                ),
                translate("insight.me.rest", locale, count=week.short_rest_days),
                translate(span, locale, hours=_hours(week.span, locale)),
                translate("insight.me.urgent", locale, count=week.urgent),
            )
        )
    ]
    trend = [translate_plural("insight.me.trend", len(insight.weeks), locale)]
    long_weeks = sum(1 for item in insight.weeks if item.long_week)
    trend.append(translate("insight.me.long_weeks", locale, count=long_weeks))
    trend += [_personal_week(item, locale) for item in reversed(insight.weeks)]
    lines.append("\n".join(trend))
    lines.append(translate("insight.me.how", locale))
    return lines


def _personal_week(week: WeekFigures, locale: str) -> str:
    return translate(
        "insight.me.trend_week",
        locale,
        number=week.week.isocalendar().week,
        outside=week.outside_hours,
        evenings=week.evenings,
        nights=week.nights,
        sundays=week.sundays_holidays,
        rest=week.short_rest_days,
        hours=_hours(week.span, locale),
        urgent=week.urgent,
    )


async def personal_chart(insight: PersonalInsight, locale: str) -> Chart:
    title = translate_plural("insight.chart.title.personal", len(insight.weeks), locale)
    png = await render_heatmap(insight.grid, locale=locale, title=title)
    return Chart(png=png, title=title, alt=translate("insight.chart.alt", locale))


def team_lines(insight: TeamInsight, locale: str) -> list[str]:
    """The team's week and trend: aggregates only, each suppressed under the minimum group."""
    week = insight.this_week
    f = _figure
    head = [
        translate_plural(
            "insight.team.title",
            MIN_GROUP_SIZE,
            locale,
            team=insight.team,
            since=since(week.week, locale),
        ),
        translate("insight.team.people", locale, value=f(week.people, locale)),
    ]
    if week.share is not None:
        share = (
            f(week.share, locale)
            if week.share.suppressed
            else translate("insight.percent", locale, value=week.share.value)
        )
        head.append(translate("insight.team.share", locale, value=share))
    head += [
        translate("insight.team.messages", locale, value=f(week.messages, locale)),
        translate(
            "insight.team.times",
            locale,
            evenings=f(week.evenings, locale),
            nights=f(week.nights, locale),
            sundays=f(week.sundays_holidays, locale),
        ),
        translate("insight.team.urgent", locale, value=f(week.urgent, locale)),
        translate("insight.team.decisions", locale, value=f(week.decisions, locale)),
    ]
    if week.reopened is not None:
        head.append(translate("insight.team.reopened", locale, value=f(week.reopened, locale)))
    head.append(
        translate(
            "insight.team.held",
            locale,
            value=f(week.held, locale),
            monday=f(week.monday_morning, locale),
        )
    )
    if week.landed_by_day:
        days = " · ".join(
            f"{weekday_name(day, locale)} {f(figure, locale)}"
            for day, figure in enumerate(week.landed_by_day)
        )
        head.append(translate("insight.team.landed", locale, days=days))
    trend = [translate_plural("insight.team.trend", len(insight.weeks), locale)]
    for item in reversed(insight.weeks):
        trend.append(
            translate(
                "insight.team.trend_week",
                locale,
                number=item.week.isocalendar().week,
                people=_short(item.people, locale),
                messages=_short(item.messages, locale),
                nights=_short(item.nights, locale),
                sundays=_short(item.sundays_holidays, locale),
                urgent=_short(item.urgent, locale),
                held=_short(item.held, locale),
            )
        )
    return ["\n".join(head), "\n".join(trend)]


async def team_chart(insight: TeamInsight, locale: str) -> Chart:
    """The team's heatmap; cells from fewer than the minimum group are blank grey."""
    title = translate_plural(
        "insight.chart.title.team", len(insight.weeks), locale, team=insight.team
    )
    note = translate_plural("insight.chart.suppressed", MIN_GROUP_SIZE, locale)
    png = await render_heatmap(insight.grid, locale=locale, title=title, note=note)
    return Chart(png=png, title=title, alt=translate("insight.chart.alt", locale), team=True)


async def team_reply(insight: TeamInsight, locale: str) -> Reply:
    """The team's insight as a reply with its heatmap, for a leader's eyes only."""
    return Reply(
        tuple(Section(text) for text in team_lines(insight, locale)),
        locale=locale,
        chart=await team_chart(insight, locale),
    )
