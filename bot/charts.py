"""The hour-of-week heatmap, rendered server-side with matplotlib (Agg, no GUI) to PNG bytes.

Pure in the sense that matters: a grid and words in, bytes out, no files, no global state
changed (a figure object of its own, closed after use). The same function draws a person's
chart (only they see it) and a team's (cells under the minimum group size are ``None``, drawn
as blank grey with no number: a suppressed cell never shows a value or a colour of its own).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import matplotlib

matplotlib.use("Agg")  # before pyplot: a server has no display

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from bot.i18n import translate, weekday_name

__all__ = ["MAX_PNG_BYTES", "heatmap_png", "render_heatmap"]

#: The PNG stays under this, so a Teams card can carry it inline as a data URI: an Adaptive
#: Card message is limited to about 28 KB (Bot Framework activity size), and base64 grows the
#: bytes by a third (16 KB → ~21.4 KB), leaving room for the card's text.
MAX_PNG_BYTES = 16_000

#: Suppressed (or unknown) cells: a neutral grey, the same whatever was hidden.
SUPPRESSED = "#d9d9d9"


_renderer: ThreadPoolExecutor | None = None


async def render_heatmap(
    grid: Sequence[Sequence[int | None]],
    *,
    locale: str,
    title: str,
    note: str | None = None,
) -> bytes:
    """:func:`heatmap_png` off the event loop: a chart takes ~0.1–0.3 s of CPU, which would
    stall every other request. One worker thread draws them one at a time (matplotlib does not
    promise thread safety, so never two at once), created at the first chart."""
    global _renderer
    if _renderer is None:
        _renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
    draw = partial(heatmap_png, grid, locale=locale, title=title, note=note)
    return await asyncio.get_running_loop().run_in_executor(_renderer, draw)


def heatmap_png(
    grid: Sequence[Sequence[int | None]],
    *,
    locale: str,
    title: str,
    note: str | None = None,
) -> bytes:
    """A 7 × 24 grid (Monday first; hours 0–23 local) drawn as a heatmap, as PNG bytes.

    Axis labels are in ``locale`` (weekday names from the catalogs); ``title`` and ``note``
    (a line under the chart) are already translated. ``None`` cells are drawn in
    :data:`SUPPRESSED` with no number. The PNG is palette-quantized to stay under
    :data:`MAX_PNG_BYTES`. Raises ``ValueError`` for a grid that is not 7 × 24.
    """
    if len(grid) != 7 or any(len(row) != 24 for row in grid):
        raise ValueError("an hour-of-week grid has 7 rows of 24 hours")
    values = np.ma.masked_invalid(
        np.array([[np.nan if cell is None else float(cell) for cell in row] for row in grid])
    )
    figure = Figure(figsize=(8, 3.2), dpi=80)
    axes = figure.add_subplot()
    colours = matplotlib.colormaps["Blues"].with_extremes(bad=SUPPRESSED)
    top = max(1.0, float(values.max()) if values.count() else 1.0)
    image = axes.imshow(values, cmap=colours, vmin=0, vmax=top, aspect="auto")
    axes.set_yticks(range(7), [weekday_name(day, locale) for day in range(7)])
    axes.set_xticks(range(0, 24, 3), [f"{hour:02d}" for hour in range(0, 24, 3)])
    axes.set_xlabel(translate("insight.chart.hour", locale))
    axes.set_title(title, fontsize=11)
    bar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, ticks=MaxNLocator(integer=True))
    bar.set_label(translate("insight.chart.messages", locale))
    if note:
        figure.text(0.01, 0.01, note, fontsize=8, color="#555555")
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    raw = io.BytesIO()
    figure.savefig(raw, format="png", metadata={"Software": None})
    return _quantized(raw.getvalue())


def _quantized(png: bytes) -> bytes:
    """The same picture with at most 64 colours: a heatmap has few, and the bytes shrink ~4×."""
    with Image.open(io.BytesIO(png)) as picture:
        small = picture.convert("RGB").quantize(colors=64)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    return out.getvalue()
