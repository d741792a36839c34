"""Working-hours questions: ``is_open`` and ``next_open`` over generated hours specs.

    python -m bench.hours            # 200 specs per case, 200 instants each
    python -m bench.hours --quick    # 40 specs per case

Specs are generated per case (whole days, ordinary days, split days, overnight windows, each
with and without a country's public holidays, in random IANA zones); every spec is asked about
random instants over three years, so most answers are worked out for a day not seen before.
One line per case: p50, p99 and mean per call in milliseconds (target ≤ 0.1 ms for any spec).
The mean includes the first look at a country's holidays for a year (the ``holidays`` package
builds the year's list once, some milliseconds).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.domain.calendar import HolidayRule
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import parse_hours

ZONES = ("Europe/Oslo", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
COUNTRIES = ("NO", "US", "AU", "FR", "IE", "PT")
DAYS = ("mon-fri", "mon-sun", "daily", "tue-sat", "mon,wed,fri")


def _clock(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randrange(low, high):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def whole_days(rng: random.Random) -> str:
    return f"{rng.choice(DAYS)} 00:00-24:00"


def ordinary(rng: random.Random) -> str:
    return f"{rng.choice(DAYS)} {_clock(rng, 6, 10)}-{_clock(rng, 14, 19)}"


def split_days(rng: random.Random) -> str:
    return f"{rng.choice(DAYS)} {_clock(rng, 6, 9)}-{_clock(rng, 10, 12)}, {_clock(rng, 13, 15)}-{_clock(rng, 16, 20)}"  # noqa: E501


def overnight(rng: random.Random) -> str:
    return f"{rng.choice(DAYS)} {_clock(rng, 20, 23)}-{_clock(rng, 4, 8)}"


CASES: dict[str, Callable[[random.Random], str]] = {
    "whole days": whole_days,
    "ordinary days": ordinary,
    "split days": split_days,
    "overnight": overnight,
}


def specs(
    make: Callable[[random.Random], str], holidays: bool, count: int, rng: random.Random
) -> list[WorkingHours]:
    result = []
    for _ in range(count):
        text = f"{make(rng)} tz {rng.choice(ZONES)}"
        days_off = HolidayRule(country=rng.choice(COUNTRIES)) if holidays else None
        result.append(parse_hours(text, days_off=days_off))
    return result


def measure(hours: list[WorkingHours], question: str, per_spec: int, rng: random.Random) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    timings: list[float] = []
    for spec in hours:
        ask = getattr(spec, question)
        for _ in range(per_spec):
            instant = start + timedelta(seconds=rng.randrange(3 * 365 * 86_400))
            began = time.perf_counter()
            ask(instant)
            timings.append(time.perf_counter() - began)
    timings.sort()
    mean = sum(timings) / len(timings) * 1000
    p50, p99 = (timings[int(len(timings) * q)] * 1000 for q in (0.5, 0.99))
    return f"{question:<9} p50 {p50:.4f} ms  p99 {p99:.4f} ms  mean {mean:.4f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count, per_spec = (40, 200) if args.quick else (200, 200)
    rng = random.Random(2026)
    for name, make in CASES.items():
        for holidays in (False, True):
            hours = specs(make, holidays, count, rng)
            label = f"{name}{' + holidays' if holidays else ''}"
            for question in ("is_open", "next_open"):
                line = measure(hours, question, per_spec, rng)
                print(f"{label:<24} {count} specs x {per_spec}: {line}", flush=True)


if __name__ == "__main__":
    main()
