"""The summary as people read it: one self-contained HTML file and a few terminal lines.

Every sentence comes from the i18n catalogs (``sim.*`` keys, English and bokmål); the page is
``bot/templates/simulate.html.j2`` rendered with autoescaping, its charts inline SVG
(``bot/simulate/charts.py``), no script, no external resource (its Content-Security-Policy
forbids any), so it opens offline and sends nothing anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from bot.domain.hours_syntax import display_spec
from bot.i18n import translate, translate_plural, weekday_name
from bot.simulate import charts

__all__ = ["duration", "render_html", "render_personal", "terminal_lines"]


def duration(seconds: float, locale: str) -> str:
    """``42 s``, ``3 min 20 s``, ``2 h 5 min``."""
    whole = round(seconds)
    if whole < 60:
        return translate("sim.duration.s", locale, s=whole)
    if whole < 3600:
        return translate("sim.duration.m", locale, m=whole // 60, s=whole % 60)
    return translate("sim.duration.h", locale, h=whole // 3600, m=whole % 3600 // 60)


def _when(instant: datetime, tz: ZoneInfo, locale: str) -> str:
    """``Tue 2016-03-29 08:00 Europe/Oslo``: the weekday matters (Monday), and so does the year."""
    local = instant.astimezone(tz)
    return f"{weekday_name(local.weekday(), locale)} {local:%Y-%m-%d %H:%M} {tz.key}"


def _percent(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.0f} %"


#: Shown for a figure made by fewer than five people (the report's note says so).
DASH = "—"


def _n(value: Any) -> Any:
    return DASH if value is None else value


def _plural(key: str, count: int | None, locale: str, **params: Any) -> str:
    """A plural message; a suppressed count reads as a dash, in the plural form."""
    shown = {name: _n(value) for name, value in params.items()}
    if count is None:
        return translate_plural(key, 2, locale, **shown, count=DASH)
    return translate_plural(key, count, locale, **shown)


def _lines(report: dict[str, Any], locale: str) -> dict[str, Any]:
    """The sentences both outputs share."""
    totals, policy = report["totals"], report["policy"]
    export = report["export"]
    tz = ZoneInfo(policy["tz"])
    summary: list[str] = []
    if totals["messages"] == 0:
        summary.append(translate("sim.totals.none", locale))
    else:
        summary.append(
            _plural(
                "sim.totals.messages",
                totals["messages"],
                locale,
                authors=export["authors"],
                conversations=sum(export["conversations"].values()),
                first=export["first_week"],
                last=export["last_week"],
            )
        )
        summary.append(
            translate(
                "sim.totals.off",
                locale,
                off=_n(totals["off_hours"]),
                share=_percent(totals["off_hours_share"]),
                held=_n(totals["held"]),
                labelled=_n(totals["labelled_messages"]),
            )
        )
    if export["skipped_day_files"]:
        summary.append(translate_plural("sim.skipped", export["skipped_day_files"], locale))
    peak = report["landing"]["peak"]
    if report["landing"]["peak_suppressed"]:
        peak_line = translate("sim.peak.suppressed", locale, min=report["min_group"])
    elif peak is None:
        peak_line = translate("sim.peak.none", locale)
    else:
        when = datetime.fromisoformat(peak["at"].replace("Z", "+00:00")).astimezone(UTC)
        peak_line = translate_plural(
            "sim.peak",
            peak["messages"],
            locale,
            when=_when(when, tz, locale),
            conversations=peak["conversations"],
            rate=f"{report['landing']['workspace_rate']:g}",
            duration=duration(peak["drain_seconds"], locale),
        )
    digests = report["digests"]
    digest_lines = [
        _plural(
            "sim.labels", report["labels"]["count"], locale, mornings=report["labels"]["mornings"]
        ),
        _plural(
            "sim.digests",
            digests["count"],
            locale,
            days=digests["posted_on"],
            threads=digests["threads"],
            messages=digests["messages"],
            largest=digests["largest_threads"],
        ),
        translate("sim.decided", locale, threads=_n(report["decided_off_hours_threads"])),
    ]
    patterns = []
    for figure in report["patterns"]:
        label = translate(f"sim.pattern.{figure['pattern']}", locale)
        note = translate("sim.pattern.suppressed", locale, min=report["min_group"])
        patterns.append(
            {
                "label": label,
                "suppressed": figure["suppressed"],
                "note": note,
                "people": figure["people"],
                "times": figure["occurrences"],
                "line": f"{label}: {note}"
                if figure["suppressed"]
                else translate(
                    "sim.patterns.line",
                    locale,
                    pattern=label,
                    people=figure["people"],
                    times=figure["occurrences"],
                ),
            }
        )
    return {"totals": summary, "peak": peak_line, "digests": digest_lines, "patterns": patterns}


def _heading(report: dict[str, Any], locale: str) -> tuple[str, str]:
    policy = report["policy"]
    title = translate("sim.title", locale, preset=policy["preset"])
    intro = translate(
        "sim.intro",
        locale,
        preset=policy["preset"],
        mode=translate(f"sim.mode.{policy['mode']}", locale),
        hours=display_spec(policy["hours"], locale),
        tz=policy["tz"],
        audience=translate(f"sim.audience.{policy['audience']}", locale),
        file=report["export"]["file"],
    )
    return title, intro


def terminal_lines(report: dict[str, Any], locale: str) -> list[str]:
    """The terminal summary: what was simulated, then one line per finding."""
    title, intro = _heading(report, locale)
    lines = _lines(report, locale)
    out = [title, intro, *lines["totals"], lines["peak"], *lines["digests"]]
    out += [row["line"] for row in lines["patterns"]]
    return out


def render_html(report: dict[str, Any], locale: str) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    title, intro = _heading(report, locale)
    lines = _lines(report, locale)
    tz_name = report["policy"]["tz"]
    labels = {
        "hour": translate("sim.chart.hour", locale, tz=tz_name),
        "share": translate("sim.chart.share", locale),
        "messages": translate("sim.col.messages", locale),
        "off_hours": translate("sim.col.off_hours", locale),
        "held": translate("sim.col.held", locale),
        "landing": translate("sim.chart.landing", locale),
    }
    weekdays = [weekday_name(day, locale) for day in range(7)]
    svg = {
        "trend": charts.trend_svg(report["weeks"], labels),
        "monday": charts.monday_svg(report["weeks"], labels),
        "heatmap": charts.heatmap_svg(report["hour_of_week"], weekdays, labels),
    }
    channels = [
        {
            **row,
            "label": row["name"] or translate(f"sim.row.{row['kind']}", locale),
            "share": _percent(row["off_hours_share"]),
        }
        for row in report["channels"]
    ]
    html: str = _template("simulate.html.j2").render(
        lang=locale,
        title=title,
        intro=intro,
        privacy=translate("sim.privacy", locale, min=report["min_group"], dash=DASH),
        report=report,
        totals=lines["totals"],
        peak=lines["peak"],
        digests=lines["digests"],
        patterns=lines["patterns"],
        channels=channels,
        # matplotlib's own SVG output, made here from numbers: markup we trust
        charts={key: Markup(value) for key, value in svg.items()},
        _=lambda key: translate(key, locale),
    )
    return html


def _template(name: str) -> Template:
    environment = Environment(
        loader=PackageLoader("bot", "templates"), autoescape=select_autoescape(["j2", "html"])
    )
    environment.filters["n"] = _n
    return environment.get_template(name)


def render_personal(data: dict[str, Any], locale: str) -> tuple[str, str]:
    """(terminal text, HTML page) of one person's own figures (``--person``)."""
    title = translate("sim.person.title", locale, preset=data["policy"]["preset"])
    figures = data["figures"]
    if figures is None:
        line = translate("sim.person.none", locale, person=data["person"])
    else:
        line = translate("sim.person.line", locale, **figures)
    page = _template("simulate_person.html.j2").render(lang=locale, title=title, line=line)
    return f"{title}\n{line}", page
