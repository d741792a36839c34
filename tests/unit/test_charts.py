"""The hour-of-week heatmap: a real PNG, in both languages, that changes with the data and
never shows what a suppressed team cell hid."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from bot.charts import MAX_PNG_BYTES, SUPPRESSED, heatmap_png, render_heatmap
from bot.domain.insights import Activity, hour_of_week, team_grid
from bot.i18n import translate_plural
from tests.unit.test_insights import ATHENS, fixture_week, team_of

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chart(grid: list[list[int | None]], locale: str) -> bytes:
    title = translate_plural("insight.chart.title.personal", 4, locale)
    return heatmap_png(grid, locale=locale, title=title)


@pytest.mark.parametrize("locale", ["en", "nb"])
def test_the_heatmap_is_a_png_of_a_sensible_size(locale: str) -> None:
    png = chart(hour_of_week(fixture_week()), locale)
    assert png.startswith(PNG_SIGNATURE)
    assert 1_000 < len(png) <= MAX_PNG_BYTES  # small enough for a Teams card's data URI
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.size == (640, 256)


def test_the_heatmap_differs_with_the_data_and_the_language() -> None:
    grid = hour_of_week(fixture_week())
    english, norwegian = chart(grid, "en"), chart(grid, "nb")
    assert english != norwegian  # the weekday names and titles are translated
    assert chart(grid, "en") == english  # deterministic: same data, same bytes
    grid[2][3] += 5  # five more messages on Wednesday 03:00
    assert chart(grid, "en") != english


def _pixel(png: bytes, xy: tuple[int, int]) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(png)) as picture:
        rgb = picture.convert("RGB").getpixel(xy)
    assert isinstance(rgb, tuple)
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def test_a_team_cell_under_five_people_is_never_drawn() -> None:
    # four people write on Sunday 22:xx: twice each, or fifty times each: the same picture
    few = team_grid(team_of(4), ATHENS)
    sunday = datetime(2026, 3, 29, 22, 10, tzinfo=ATHENS)
    many = team_grid(
        [
            Activity(f"U{person}", sunday + timedelta(seconds=second), ATHENS)
            for person in range(4)
            for second in range(50)
        ],
        ATHENS,
    )
    assert few[6][22] is None and many[6][22] is None
    assert chart(few, "en") == chart(many, "en")
    # and the hidden cell is drawn in the neutral grey, not in a colour of its own
    shown = team_grid(team_of(5), ATHENS)
    assert shown[6][22] == 10
    png = chart(few, "en")
    grey = tuple(int(SUPPRESSED[i : i + 2], 16) for i in (1, 3, 5))
    cell = _cell_centre(png, weekday=6, hour=22)
    assert _pixel(png, cell) == grey
    assert _pixel(chart(shown, "en"), cell) != grey


def _cell_centre(png: bytes, *, weekday: int, hour: int) -> tuple[int, int]:
    """Where a cell is drawn: found from the grey cell a one-cell grid leaves."""
    probe: list[list[int | None]] = [[0] * 24 for _ in range(7)]
    probe[weekday][hour] = None
    picture = Image.open(io.BytesIO(chart(probe, "en"))).convert("RGB")
    grey = tuple(int(SUPPRESSED[i : i + 2], 16) for i in (1, 3, 5))
    found = [
        (x, y)
        for x in range(picture.width)
        for y in range(picture.height)
        if picture.getpixel((x, y)) == grey
    ]
    assert found, "the suppressed cell is drawn grey"
    xs, ys = sorted(x for x, _ in found), sorted(y for _, y in found)
    return (xs[len(xs) // 2], ys[len(ys) // 2])  # the median: stray grey text pixels aside


def test_a_grid_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="7 rows of 24"):
        heatmap_png([[0] * 24] * 6, locale="en", title="x")


async def test_charts_are_drawn_off_the_event_loop_one_at_a_time() -> None:
    grid = hour_of_week(fixture_week())
    title = translate_plural("insight.chart.title.personal", 4, "nb")
    drawn = await asyncio.gather(
        *(render_heatmap(grid, locale="nb", title=title) for _ in range(3))
    )
    assert drawn == [heatmap_png(grid, locale="nb", title=title)] * 3
