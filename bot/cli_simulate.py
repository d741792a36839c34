"""``quiet-hours simulate EXPORT.zip --policy PRESET …``: what a policy would have done, replayed.

Bad input is one line on stderr and exit code 2 (``bot.cli.main`` prints it): a file that is
not a zip or not a Slack export, a missing ``users.json``, an unknown zone, preset, country,
date or mode, a ``--person`` not in ``users.json``, a report path that cannot be written or that
is the export itself or the other report (checked before the replay starts, so a long run never
ends in a failed write and never overwrites its input), a list file over its size limit.
Day files that cannot be read (or are over their size limit) are skipped and counted in the
report, and so are messages whose time is not a date from 1970 to 2099.

The team's zone is ``--tz``, else the zone ``--hours`` names, else the preset's; a preset with
no zone of its own (``timezone: UTC``, as ``office-standard``) takes the export's most common
zone in ``users.json``, as a fresh install takes the workspace's. The summary names it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from bot.simulate.replay import Replay
    from bot.simulate.summary import RunInfo

__all__ = ["SimulationInputError", "add_arguments", "check_output", "run", "simulate"]


class SimulationInputError(Exception):
    """An argument or the export cannot be used; the message says which and why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``simulate`` command's arguments (README, "Try a policy on your own export")."""
    parser.add_argument("export", metavar="EXPORT.zip", help="a Slack workspace export (zip)")
    parser.add_argument("--policy", required=True, metavar="PRESET", help="e.g. norway-aml")
    parser.add_argument("--hours", metavar="SPEC", help='team hours, e.g. "mon-fri 08:00-16:00"')
    parser.add_argument(
        "--tz",
        metavar="ZONE",
        help="the team's zone (default: the preset's; for a preset in UTC, the export's most "
        "common zone)",
    )
    parser.add_argument(
        "--holidays",
        metavar="CC",
        help="public holidays of country CC (or CC-REGION), or none",
    )
    parser.add_argument("--mode", choices=("hold", "label"), help="default: the preset's")
    parser.add_argument(
        "--audience",
        choices=("team", "members"),
        default="team",
        help="who decides a channel message: the team's hours, or half of its members",
    )
    parser.add_argument("--from", dest="first", metavar="DATE", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", metavar="DATE", help="last day (YYYY-MM-DD)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML report to write")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--person", metavar="ID", help="only this person's own figures")
    parser.add_argument("--locale", choices=("en", "nb"), default="en")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SimulationInputError(f"unknown time zone {name!r} (use an IANA name)") from None


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SimulationInputError(f"{flag} wants a date as YYYY-MM-DD, not {text!r}") from None


def check_output(
    path: str, flag: str, *, inputs: dict[str, str] | None = None, database_url: str | None = None
) -> None:
    """Refuse (:class:`SimulationInputError`) a report path that cannot be written: a
    directory, a file whose folder is missing or not writable, or the same file as one of
    ``inputs`` (what it is, e.g. ``"the export"``, by path) or as the SQLite database at
    ``database_url`` (:mod:`bot.cli_paths`). Checked before the replay."""
    from bot.cli_paths import OutputRefused, refuse_precious

    target = Path(path)
    folder = target.parent
    try:
        refuse_precious(path, flag, inputs=inputs, database_url=database_url)
    except OutputRefused as error:
        raise SimulationInputError(str(error)) from None
    if target.is_dir():
        raise SimulationInputError(f"{flag} {path} is a directory; name a file to write")
    if not folder.is_dir():
        raise SimulationInputError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise SimulationInputError(f"{flag} {path}: not allowed to write there")


def _write(path: str, flag: str, text: str) -> None:
    """Write a report; a failure (disk full, the folder gone since the check) is one line."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        why = error.strerror or type(error).__name__
        raise SimulationInputError(f"{flag} {path}: could not write it ({why})") from None


def _holidays(hours: Any, word: str) -> Any:
    """``hours`` with the public holidays ``--holidays`` names: ``CC``, ``CC-REGION`` or
    ``none`` (``ingen``), as the hours syntax reads them."""
    from bot.domain.calendar import UnknownCountryError

    if word.strip().lower() in ("none", "ingen"):
        return hours.with_days_off(replace(hours.days_off, country=None, subdivision=None))
    country, _, region = word.strip().upper().partition("-")
    try:
        days_off = replace(hours.days_off, country=country, subdivision=region or None)
    except UnknownCountryError:
        raise SimulationInputError(f"no public holidays known for {word!r}") from None
    return hours.with_days_off(days_off)


def _zone_from_export(args: argparse.Namespace) -> bool:
    """True when the team's zone is the export's most common one: no ``--tz``, no zone in
    ``--hours``, and a preset with none of its own (UTC)."""
    from bot.presets import load_preset

    if args.tz or (args.hours and names_zone(args.hours)):
        return False
    return load_preset(args.policy).timezone.key == "UTC"


def names_zone(spec: str) -> bool:
    """True when an hours spec names its zone (``tz``/``tidssone``/``zone``/``sone`` ZONE)."""
    return any(word in {"tz", "tidssone", "zone", "sone"} for word in spec.lower().split())


def _policy(args: argparse.Namespace, zone: ZoneInfo | None = None) -> tuple[Any, str]:
    """The team policy to simulate, and its hours as text for the report; ``zone`` (the
    export's most common one) replaces the preset's when given."""
    from bot.domain.hours import WorkingHours
    from bot.domain.policy import AudienceKind, Mode, ModeNotAllowedError
    from bot.presets import load_preset

    preset = load_preset(args.policy)
    zone = _zone(args.tz) if args.tz else zone or preset.timezone
    if args.hours:
        hours = preset.parse_hours(args.hours)
        if not names_zone(args.hours):
            hours = WorkingHours(windows=hours.windows, tz=zone, days_off=hours.days_off)
        spec = args.hours
    else:
        hours = WorkingHours(windows=preset.hours.windows, tz=zone, days_off=preset.holidays)
        spec = preset_hours_text(preset.name)
    try:
        policy = preset.to_policy(
            "simulation", hours=hours, mode=Mode(args.mode) if args.mode else None
        )
    except ModeNotAllowedError as error:
        raise SimulationInputError(str(error)) from None
    policy = policy.with_changes(audience=AudienceKind(args.audience))
    if args.holidays:  # after the preset: `none` is none, even where the preset names a country
        policy = policy.with_changes(hours=_holidays(policy.hours, args.holidays))
    return policy, spec


def preset_hours_text(name: str) -> str:
    """The ``hours:`` line of a shipped preset, as written there."""
    import yaml

    from bot.presets import preset_text

    return str(yaml.safe_load(preset_text(name)).get("hours", ""))


class _Progress:
    """``reading day files: 120 of 900`` on one stderr line, only when stderr is a terminal."""

    def __init__(self, total: int, locale: str, stream: TextIO) -> None:
        self._total, self._locale, self._stream = total, locale, stream
        self._shown = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._shown < 0.2 and done < self._total:
            return
        self._shown = now
        from bot.i18n import translate

        line = translate("sim.progress", self._locale, done=done, total=self._total)
        self._stream.write(f"\r{line}")
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\r\033[K")
        self._stream.flush()


def run(args: argparse.Namespace) -> tuple[Replay, RunInfo]:
    """Read the export and replay it under the policy the arguments describe.

    Raises :class:`SimulationInputError` for a bad argument or export.
    """
    from bot.domain.guard import reads_like_decision
    from bot.settings import Settings
    from bot.simulate.export_zip import ExportError, open_export
    from bot.simulate.replay import ReplaySetup, replay
    from bot.simulate.summary import RunInfo

    locale = args.locale
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if first and last and first > last:
        raise SimulationInputError("--from is after --to")
    settings = Settings.from_env()
    database = settings.database_url
    check_output(args.out, "--out", inputs={"the export": args.export}, database_url=database)
    if args.json:
        inputs = {"the export": args.export, "the --out report": args.out}
        check_output(args.json, "--json", inputs=inputs, database_url=database)
    policy, spec = _policy(args)
    from_export = _zone_from_export(args)
    rate = settings.slack_workspace_rate
    started = time.perf_counter()
    try:
        export = open_export(args.export, default_zone=None if from_export else policy.hours.tz)
    except ExportError as error:
        raise SimulationInputError(str(error)) from None
    if from_export:
        policy, spec = _policy(args, export.default_zone)
    if args.person and args.person not in export.zones and args.person not in export.names:
        export.close()
        raise SimulationInputError(f"--person {args.person}: no such person in users.json")
    setup = ReplaySetup(policy=policy, first_day=first, last_day=last)
    progress = _Progress(export.day_file_count, locale, sys.stderr) if sys.stderr.isatty() else None
    try:
        result = replay(export, setup, reads_like_decision, progress=progress)
    finally:
        export.close()
        if progress is not None:
            progress.close()
    run = RunInfo(
        export=Path(args.export).name,
        preset=args.policy,
        hours=spec,
        tz=policy.hours.tz.key,
        mode=policy.mode.value,
        audience=args.audience,
        holidays=policy.hours.days_off.country,
        workspace_rate=rate,
        seconds=time.perf_counter() - started,
    )
    return result, run


def simulate(args: argparse.Namespace) -> int:
    """Run the simulation and write the report(s); raises :class:`SimulationInputError`."""
    from bot.i18n import translate
    from bot.simulate.summary import personal, summarise_replay

    locale = args.locale
    result, run_info = run(args)
    if args.person:
        return _personal(args, personal(result, args.person, run_info), locale)
    report = summarise_replay(result, run_info)
    # the replay's tallies go before matplotlib comes in: the peak memory is one or the other
    del result
    gc.collect()
    from bot.simulate.render import render_html, terminal_lines

    _write(args.out, "--out", render_html(report, locale))
    if args.json:
        _write(args.json, "--json", json.dumps(report, indent=1) + "\n")
    for line in terminal_lines(report, locale):
        print(line)
    print(translate("sim.written", locale, path=args.out))
    if args.json:
        print(translate("sim.json_written", locale, path=args.json))
    return 0


def _personal(args: argparse.Namespace, data: dict[str, Any], locale: str) -> int:
    from bot.simulate.render import render_personal

    text, page = render_personal(data, locale)
    _write(args.out, "--out", page)
    if args.json:
        _write(args.json, "--json", json.dumps(data, indent=1) + "\n")
    print(text)
    return 0
