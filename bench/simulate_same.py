"""Same figures before and after a change to the replay: the ``--json`` of random exports.

    python -m bench.simulate_same write before/    # on the old code: one JSON per case
    python -m bench.simulate_same write after/     # on the new code
    python -m bench.simulate_same compare before/ after/

Each case is a random export (seeded, so both runs see the same zips): channels, private
channels, DMs and group DMs; people in several zones, some without one; messages at any hour
over weeks with DST changes and Norwegian holidays, threads, decision phrases in English and
bokmål (ASCII and not), non-ASCII text, bot and system messages, unknown authors, bad
timestamps and a malformed day file; replayed with a random preset, mode, audience and
``--from/--to``. The JSON is written with the minimum group size 1 (every figure shown) and
without the run's timing; one person's ``--person`` figures are added.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CASES = 20
ZONES = (
    "Europe/Oslo",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Asia/Kathmandu",
    None,
)
TEXTS = (
    "ok, see you",
    "can you check the build?",
    "let's go with option B",
    "we have not decided yet",
    "vi går for alternativ B",
    "Vi er enige om planen 👍",
    "ikke bestemt ennå",
    "godkjent ✅",
    "agreed, ship it",
    "should we go with A?",
    "réunion demain, approved",
    "",
    "LGTM",
    "spikret — vi lander på fredag",
)
PRESETS = ("norway-aml", "office-standard", "australia-s333m", "ireland-code")


def _export(path: Path, rng: random.Random) -> tuple[datetime, int]:
    """Write one random export to ``path`` (``tests/support/slack_export.py``'s layout);
    its first instant and how many days it spans."""
    from tests.support.slack_export import write_export

    people = {f"U{n:05d}": rng.choice(ZONES) for n in range(rng.randint(3, 30))}
    ids = list(people)
    start = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=rng.randint(0, 60))
    days = rng.randint(7, 60)

    def messages(members: list[str], count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for _ in range(count):
            at = start + timedelta(seconds=rng.uniform(0, days * 86400))
            ts = f"{at.timestamp():.6f}"
            item: dict[str, Any] = {
                "type": "message",
                "user": rng.choice(members),
                "text": rng.choice(TEXTS),
                "ts": ts,
            }
            roll = rng.random()
            if roll < 0.3 and found:
                item["thread_ts"] = rng.choice(found)["ts"]
            elif roll < 0.33:
                item["subtype"] = rng.choice(("channel_join", "thread_broadcast", "bot_message"))
            elif roll < 0.34:
                item["user"] = "UNOBODY"
            elif roll < 0.35:
                item["bot_id"] = "B1"
            found.append(item)
        return found

    channels: dict[str, list[dict[str, Any]]] = {}
    members: dict[str, list[str]] = {}
    for n in range(rng.randint(1, 6)):
        name = f"chan-{n}"
        members[name] = rng.sample(ids, rng.randint(1, len(ids)))
        channels[name] = messages(members[name], rng.randint(0, 400))
    dms = {}
    for n in range(rng.randint(0, 5)):
        pair = rng.sample(ids, 2)
        dms[f"D{n:04d}"] = (pair, messages(pair, rng.randint(0, 100)))
    mpims = {}
    for n in range(rng.randint(0, 3)):
        group = rng.sample(ids, min(len(ids), rng.randint(3, 6)))
        mpims[f"mpdm-{n}"] = (group, messages(group, rng.randint(0, 100)))
    write_export(
        path,
        users=people,
        channels=channels,
        members=members,
        dms=dms,
        mpims=mpims,
        extra={
            "chan-0/2026-01-01.json": b"{not json",
            "chan-0/2026-01-02.json": json.dumps(
                [{"type": "message", "user": ids[0], "ts": "not a time", "text": "x"}]
            ).encode(),
        },
    )
    return start, days


def _arguments(
    rng: random.Random, export: Path, out: Path, span: tuple[datetime, int]
) -> list[str]:
    args = ["simulate", str(export), "--out", str(out), "--policy", rng.choice(PRESETS)]
    if rng.random() < 0.5:
        args += ["--mode", rng.choice(("hold", "label"))]
    if rng.random() < 0.5:
        args += ["--audience", rng.choice(("team", "members"))]
    if rng.random() < 0.3:
        args += ["--tz", rng.choice(("Europe/Oslo", "America/New_York", "Asia/Kolkata"))]
    if rng.random() < 0.2:
        args += ["--holidays", rng.choice(("NO", "SE", "GB"))]
    if rng.random() < 0.3:
        first = span[0] + timedelta(days=rng.randint(0, span[1]))
        args += ["--from", first.date().isoformat()]
        args += ["--to", (first + timedelta(days=rng.randint(0, 30))).date().isoformat()]
    return args


def write(folder: Path, cases: int = CASES) -> None:
    """Replay ``cases`` random exports and write each one's figures to ``folder``."""
    from bot.cli import _parser
    from bot.cli_simulate import run
    from bot.simulate.summary import personal, summarise_replay

    folder.mkdir(parents=True, exist_ok=True)
    for case in range(cases):
        rng = random.Random(case)
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "export.zip"
            span = _export(export, rng)
            arguments = _arguments(rng, export, Path(tmp) / "r.html", span)
            args = _parser().parse_args(arguments)
            replay, info = run(args)
            report = summarise_replay(replay, info, min_group=1)
            report.pop("run")
            report["export"].pop("file")
            someone = sorted(replay.export.zones)[0]
            report["person"] = personal(replay, someone, info)
            report["arguments"] = arguments[4:]
            text = json.dumps(report, indent=1, sort_keys=True)
            (folder / f"case-{case:02d}.json").write_text(text, encoding="utf-8")


def compare(before: Path, after: Path) -> int:
    """0 when every case's figures are identical, else 1 (the differing cases are named)."""
    differ = 0
    names = sorted(p.name for p in before.glob("case-*.json"))
    for name in names:
        if (before / name).read_text() != (after / name).read_text():
            print(f"{name}: figures differ")
            differ += 1
    print(f"{len(names) - differ} of {len(names)} cases identical")
    return 1 if differ or not names else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    out = sub.add_parser("write")
    out.add_argument("folder", type=Path)
    out.add_argument("--cases", type=int, default=CASES)
    both = sub.add_parser("compare")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.what == "write":
        write(args.folder, args.cases)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
