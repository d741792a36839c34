"""The report's charts, drawn with matplotlib as inline SVG (no files, no fonts, no network).

Three charts from the summary (``bot/simulate/summary.py``): the hour-of-week heatmap (share
of messages sent outside the policy's hours, per weekday and hour in the policy's zone), the
weekly trend (messages, off-hours, held) and the Monday peak (held messages landing on each
Monday). Labels come translated from the caller. ``matplotlib.figure.Figure`` is used directly,
not ``pyplot``: no global state, no GUI backend.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["heatmap_svg", "monday_svg", "trend_svg"]

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
#: Namespace declarations: inline SVG in HTML needs none, and a report names no URL at all.
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_COLOURS = {"messages": "#8a8f98", "off_hours": "#d9822b", "held": "#2b6cb0"}


def _svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element (XML prologue and DOCTYPE dropped for inlining)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "quiet-hours", "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=_NO_METADATA)
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    head, _, body = svg.partition(">")
    return _NAMESPACES.sub("", head) + ">" + body


def heatmap_svg(
    hour_of_week: Sequence[Sequence[int | None]], weekdays: Sequence[str], labels: Mapping[str, str]
) -> str:
    """A 7 x 24 heatmap of the off-hours share; cells with no message stay blank."""
    grid: list[list[float]] = []
    for day in range(7):
        row = []
        for hour in range(24):
            total, off = hour_of_week[day * 24 + hour]
            # no message, or made by fewer than five people (suppressed): left blank
            row.append(off / total if total and off is not None else float("nan"))
        grid.append(row)
    figure = Figure(figsize=(9, 3.2))
    axes = figure.subplots()
    image = axes.imshow(grid, aspect="auto", cmap="Oranges", vmin=0, vmax=1)
    axes.set_yticks(range(7), list(weekdays))
    axes.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    axes.set_xlabel(labels["hour"])
    colourbar = figure.colorbar(image, ax=axes, fraction=0.03)
    colourbar.set_label(labels["share"])
    return _svg(figure)


def trend_svg(weeks: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    """Messages, off-hours messages and held messages per week."""
    figure = Figure(figsize=(9, 3.2))
    axes = figure.subplots()
    x = list(range(len(weeks)))
    for key in ("messages", "off_hours", "held"):
        values = [_value(week[key]) for week in weeks]
        style = "--" if key == "held" else "-"  # in hold mode it lies on the off-hours line
        axes.plot(x, values, style, label=labels[key], color=_COLOURS[key], marker=".")
    _week_ticks(axes, weeks)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", frameon=False)
    axes.grid(axis="y", alpha=0.3)
    return _svg(figure)


def monday_svg(weeks: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    """Held messages landing on each week's Monday."""
    figure = Figure(figsize=(9, 2.8))
    axes = figure.subplots()
    x = list(range(len(weeks)))
    axes.bar(x, [_value(week["landing_monday"]) for week in weeks], color=_COLOURS["held"])
    _week_ticks(axes, weeks)
    axes.set_ylabel(labels["landing"])
    axes.grid(axis="y", alpha=0.3)
    return _svg(figure)


def _value(figure: int | None) -> float:
    """A suppressed figure (None) is not drawn at all."""
    return float("nan") if figure is None else float(figure)


def _week_ticks(axes: Any, weeks: Sequence[Mapping[str, Any]]) -> None:
    step = max(1, len(weeks) // 10)
    ticks = list(range(0, len(weeks), step))
    axes.set_xticks(ticks, [str(weeks[i]["week"]) for i in ticks], rotation=30, ha="right")
