"""The simulator on the public sample export, and its report opened in a real headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.simulate import generate
from bot.cli import _parser, main
from bot.cli_simulate import run
from bot.simulate.summary import summarise_replay
from tests.support.shared import external

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: How Chromium runs here: no sandbox as root, no background traffic, every host unresolvable.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def run_export(tmp_path: Path, export: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    out, data = tmp_path / "r.html", tmp_path / "r.json"
    args = ["simulate", str(export), "--policy", "norway-aml", "--out", str(out)]
    assert main([*args, "--json", str(data), *extra]) == 0
    return out, json.loads(data.read_text(encoding="utf-8"))


def test_the_public_sample_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """slack-export-viewer's sample: 4 people in Los Angeles, two channels, early 2016, full of
    GitHub bot posts (not people's messages: not replayed). Four people: the command shows
    no figure made from them; the figures below are read with the rule lowered to 1."""
    export = external("slack", "export_sample.zip")
    _, shown = run_export(tmp_path, export)
    assert shown["totals"]["messages"] is None
    assert all(pattern["suppressed"] for pattern in shown["patterns"])
    assert "Report: " in capsys.readouterr().out
    args = _parser().parse_args(["simulate", str(export), "--policy", "norway-aml", "--out", "-"])
    report = summarise_replay(*run(args), min_group=1)
    assert report["export"]["people"] == 4
    assert report["export"]["conversations"] == {"channel": 2}
    assert report["export"]["bot_or_system_messages"] == 109
    assert report["export"]["skipped_day_files"] == 0
    assert report["totals"]["messages"] == 49
    assert report["totals"]["held"] == report["totals"]["off_hours"] == 35
    # Easter 2016: Good Friday 25 March and Easter Monday 28 March are Norwegian holidays, so
    # the busiest landing is Tuesday 29 March 08:00 in Oslo (06:00 UTC, summer time)
    assert report["landing"]["peak"]["at"] == "2016-03-29T06:00:00Z"


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"no headless browser ({', '.join(BROWSERS)}): apt-get install chromium")


def _chromium(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _console(stderr: str) -> list[str]:
    """What the page logged to its console (errors, refused loads), from Chromium's log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_a_console_message_is_noticed(tmp_path: Path) -> None:
    """The check below can fail: a page that loads a remote image logs a refused load."""
    browser = _browser()
    page = tmp_path / "bad.html"
    csp = "default-src 'none'; img-src data:"
    page.write_text(
        f'<!doctype html><meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<img src="https://example.org/tracker.png">'
    )
    result = _chromium(browser, tmp_path, "--dump-dom", page.as_uri())
    assert any("example.org" in line for line in _console(result.stderr))


def test_the_report_renders_offline_in_a_browser(tmp_path: Path) -> None:
    """A generated workplace (30 people, five channels, two weeks around Europe's DST
    change): enough people for every chart to have something to draw."""
    browser = _browser()
    export = tmp_path / "export.zip"
    generate(export, messages=3000, channels=5, people=30, weeks=3, start=date(2026, 3, 16))
    out, _ = run_export(tmp_path, export)
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # nothing to fetch, not even fonts
    dom = _chromium(browser, tmp_path, "--dump-dom", out.as_uri())
    assert _console(dom.stderr) == []  # no error, no refused (network) load
    for chart in ("chart-trend", "chart-monday", "chart-heatmap"):
        start = dom.stdout.index(f'id="{chart}"')
        assert "<svg" in dom.stdout[start : start + 400]
    screenshot = tmp_path / "simulate-report.png"  # kept as the test's artifact
    shot = _chromium(
        browser, tmp_path, "--window-size=1100,2400", f"--screenshot={screenshot}", out.as_uri()
    )
    assert _console(shot.stderr) == []
    from matplotlib.image import imread

    pixels = imread(str(screenshot))
    assert pixels.shape[:2] == (2400, 1100)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    held_line = (blue > 0.55) & (red < 0.35)  # the trend's and the Monday chart's blue
    heat = (red > 0.6) & (blue < 0.25) & (green < 0.45)  # the heatmap's dark orange cells
    assert held_line.sum() > 500, "the charts did not render"
    assert heat.sum() > 500, "the heatmap did not render"
