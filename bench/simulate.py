"""The policy simulator on a generated Slack export: decisions per second, floor, peak memory.

    python -m bench.simulate                       # 100,000 messages, 100 channels, 400 people
    python -m bench.simulate --messages 1000000 --channels 500 --people 2000   # the issue's size

The export (written streaming to a temporary zip) spans 26 weeks from Monday 2026-01-05 across
both DST changes (US 8 March, Europe 29 March) and Norwegian holidays (Easter, 1 and 17 May,
Ascension, Whit Monday), with people in six zones; most messages fall in working hours, the
rest in evenings, nights and weekends, some of them with a decision phrase.

One line each for: the floor (a plain loop over the same zip that only parses every message's
timestamp), the replay (``replay`` in this process: reading, deciding, counting), and
``quiet-hours simulate`` as its own process (wall time and peak RSS, from ``getrusage``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

START = date(2026, 1, 5)
WEEKS = 26
ZONES = (
    ("Europe/Oslo", 0.6),
    ("Europe/London", 0.1),
    ("America/New_York", 0.1),
    ("America/Los_Angeles", 0.05),
    ("Asia/Kolkata", 0.1),
    ("Australia/Sydney", 0.05),
)
OFFSETS = {  # rough UTC offsets: only to place most messages in local working hours
    "Europe/Oslo": 1,
    "Europe/London": 0,
    "America/New_York": -5,
    "America/Los_Angeles": -8,
    "Asia/Kolkata": 5,
    "Australia/Sydney": 10,
}
TEXTS = ("ok, see you", "can you check the build?", "here is the draft", "thanks!")
DECIDED = ("let's go with option B", "vi går for alternativ B", "agreed, ship it")


def generate(
    path: Path,
    *,
    messages: int,
    channels: int,
    people: int,
    weeks: int = WEEKS,
    start: date = START,
    seed: int = 7,
) -> int:
    """Write an export to ``path``; returns the number of messages written."""
    rng = random.Random(seed)
    zone_names = [name for name, _ in ZONES]
    weights = [weight for _, weight in ZONES]
    users = [
        {"id": f"U{n:06d}", "name": f"person{n}", "tz": rng.choices(zone_names, weights)[0]}
        for n in range(people)
    ]
    size = max(2, min(people, 40))
    rosters = [rng.sample(range(people), size) for _ in range(channels)]
    listing = [
        {"id": f"C{n:06d}", "name": f"channel-{n}", "members": [users[i]["id"] for i in roster]}
        for n, roster in enumerate(rosters)
    ]
    days = weeks * 7
    # every day file gets the same number of messages, the first few one more: exactly N
    per_file, extra = divmod(messages, channels * days)
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("users.json", json.dumps(users))
        archive.writestr("channels.json", json.dumps(listing))
        for offset in range(days):
            day = start + timedelta(days=offset)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
            for n, roster in enumerate(rosters):
                batch = []
                for _ in range(per_file + (offset * channels + n < extra)):
                    user = users[rng.choice(roster)]
                    local_hour = rng.uniform(8, 16) if rng.random() < 0.8 else rng.uniform(0, 24)
                    hour = (local_hour - OFFSETS[str(user["tz"])]) % 24
                    ts = midnight + hour * 3600
                    text = rng.choice(DECIDED) if rng.random() < 0.01 else rng.choice(TEXTS)
                    batch.append(
                        {"type": "message", "user": user["id"], "text": text, "ts": f"{ts:.6f}"}
                    )
                    written += 1
                if batch:
                    batch.sort(key=lambda m: float(m["ts"]))
                    archive.writestr(f"channel-{n}/{day.isoformat()}.json", json.dumps(batch))
    return written


def floor(path: Path) -> tuple[int, float]:
    """(messages, CPU seconds) for a loop that only parses every timestamp of every day file."""
    count = 0
    started = time.process_time()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.count("/") != 1 or not name.endswith(".json"):
                continue
            for message in json.loads(archive.read(name)):
                float(message["ts"])
                count += 1
    return count, time.process_time() - started


def in_process(path: Path, preset: str) -> tuple[int, float, int]:
    """(messages, CPU seconds, decide() calls) for the replay in this process: reading the
    zip, deciding every message, labels, digests, patterns; not the report."""
    from bot.domain.guard import reads_like_decision
    from bot.presets import load_preset
    from bot.simulate.export_zip import open_export
    from bot.simulate.replay import ReplaySetup, replay

    policy = load_preset(preset).to_policy("bench")
    started = time.process_time()
    export = open_export(path, default_zone=policy.hours.tz)
    result = replay(export, ReplaySetup(policy=policy), reads_like_decision)
    return result.messages, time.process_time() - started, result.decide_calls


def decisions_only(path: Path, preset: str, *, direct: int = 20_000) -> tuple[float, float]:
    """(decisions/s through the replay's spans, decisions/s calling ``decide`` for each
    message) over the same messages, read beforehand (CPU time, this process). ``direct``
    messages are enough for the uncached figure."""
    from bot.domain.decisions import ChannelAudience, decide
    from bot.presets import load_preset
    from bot.simulate.export_zip import open_export
    from bot.simulate.spans import DecisionSpans, open_until

    policy = load_preset(preset).to_policy("bench")
    export = open_export(path, default_zone=policy.hours.tz)
    stamps = [message[0] for message in export.messages()]
    audience = ChannelAudience("C1", team=policy)
    spans = DecisionSpans(audience, open_until(policy.hours))
    at = spans.at
    started = time.process_time()
    for ts in stamps:
        at(ts)
    cached = len(stamps) / (time.process_time() - started)
    sample = [datetime.fromtimestamp(ts, UTC) for ts in stamps[:direct]]
    started = time.process_time()
    for instant in sample:
        decide(sender="", audience=audience, at=instant)
    return cached, len(sample) / (time.process_time() - started)


def as_process(path: Path, preset: str, out: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of ``quiet-hours simulate`` as its own
    process (wall time counts the other work of a busy machine; CPU time does not)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "simulate",
            str(path),
            "--policy",
            preset,
            "--out",
            str(out / "report.html"),
            "--json",
            str(out / "report.json"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--policy", default="norway-aml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.zip"
        written = generate(path, messages=args.messages, channels=args.channels, people=args.people)
        mib = path.stat().st_size / 2**20
        print(
            f"export: {written:,} messages, {args.channels} channels, {args.people} people, "
            f"{mib:.1f} MiB zip"
        )
        count, seconds = floor(path)
        floor_rate = count / seconds
        print(f"floor (parse timestamps only): {floor_rate:,.0f} messages/s ({seconds:.1f} CPU s)")
        count, seconds, calls = in_process(path, args.policy)
        print(
            f"replay (read + decide + count): {count / seconds:,.0f} decisions/s "
            f"({seconds:.1f} s, {calls:,} decide() calls; {count / seconds / floor_rate:.0%} "
            "of the floor)"
        )
        cached, uncached = decisions_only(path, args.policy)
        print(
            f"decisions only (the replay's spans over decide()): {cached:,.0f} decisions/s; "
            f"decide() for every message: {uncached:,.0f} decisions/s"
        )
        seconds, cpu, peak = as_process(path, args.policy, Path(tmp))
        print(
            f"quiet-hours simulate: {written / seconds:,.0f} messages/s end to end "
            f"({seconds:.1f} s wall, {cpu:.1f} CPU s, with start-up and report), "
            f"peak RSS {peak:.0f} MiB"
        )


if __name__ == "__main__":
    main()
