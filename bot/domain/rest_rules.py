"""Working-time and rest rules (limits, daily and weekly rest, quiet night, Sunday) on weekly hours.

Which rules are *hard* (hours breaking them are refused) and which are warnings is not decided
here: a preset says so, citing the law (``bot/presets.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from typing import Literal

from bot.domain.hours import Window, WorkingHours
from bot.i18n import normalize_locale, translate, weekday_name

__all__ = ["RULE_CODES", "RestRules", "RuleCode", "RuleViolation", "check"]

# Everything here is nominal: minutes since Monday 00:00 on a 7-day cycle, ignoring DST and
# holidays. The law counts wall-clock hours in a normal week, and so do we.
DAY = 24 * 60
WEEK = 7 * DAY

Span = tuple[int, int]  # [start, end) in minutes since Monday 00:00; end may pass WEEK
RuleCode = Literal[
    "max_daily_hours",
    "max_weekly_hours",
    "daily_rest",
    "weekly_rest",
    "quiet_night",
    "sunday_rest",
    "public_holidays",
]
RULE_CODES: tuple[RuleCode, ...] = (
    "max_daily_hours",
    "max_weekly_hours",
    "daily_rest",
    "weekly_rest",
    "quiet_night",
    "sunday_rest",
    "public_holidays",
)


@dataclass(frozen=True)
class RestRules:
    """Limits that weekly hours must respect; ``None`` means "no such rule"."""

    max_daily_hours: float | None = None
    max_weekly_hours: float | None = None
    min_daily_rest_hours: float | None = None
    min_weekly_rest_hours: float | None = None
    quiet_night: tuple[time, time] | None = None  # local span, usually across midnight
    # (weekday, time) from which no work is allowed until Monday 00:00: Sunday as the rest day,
    # from Saturday 18:00 where the eve closes early (aml § 10-10 (1)), else (6, 00:00)
    sunday_rest_from: tuple[int, time] | None = None

    def __post_init__(self) -> None:
        limits = (
            self.max_daily_hours,
            self.max_weekly_hours,
            self.min_daily_rest_hours,
            self.min_weekly_rest_hours,
        )
        if any(limit is not None and limit <= 0 for limit in limits):
            raise ValueError("rest-rule limits are positive numbers of hours")
        if self.quiet_night is not None and self.quiet_night[0] == self.quiet_night[1]:
            raise ValueError("the quiet night must start and end at different times")
        if self.sunday_rest_from is not None and self.sunday_rest_from[0] not in (5, 6):
            raise ValueError("the Sunday rest starts on Saturday or Sunday")


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule, with the figures (in hours) and where in the week it happens."""

    code: RuleCode
    limit: float
    actual: float
    weekday: int | None = None
    start: time | None = None  # the window or 24-hour span concerned
    end: time | None = None
    night: tuple[time, time] | None = None
    rest_from: tuple[int, time] | None = None  # for "sunday_rest": when the rest begins
    country: str | None = None  # for "public_holidays": whose holidays apply, and those named
    named: str | None = None

    def message(self, locale: str | None = None) -> str:
        params: dict[str, object] = {
            "limit": _figure(self.limit, locale),
            "actual": _figure(self.actual, locale),
        }
        if self.weekday is not None:
            params["day"] = weekday_name(self.weekday, locale, short=False)
        if self.start is not None:
            params["clock"] = params["start"] = _clock(self.start, is_end=False)
        if self.end is not None:
            params["end"] = _clock(self.end, is_end=True)
        if self.night is not None:
            night_start, night_end = self.night
            params["night"] = (
                f"{_clock(night_start, is_end=False)}–{_clock(night_end, is_end=True)}"
            )
        if self.rest_from is not None:
            day, clock = self.rest_from
            params["rest_from"] = f"{weekday_name(day, locale, short=False)} {clock:%H:%M}"
        if self.country is not None:
            params["country"], params["named"] = self.country, self.named or "—"
        return translate(f"rules.{self.code}", locale, **params)


def _figure(hours: float, locale: str | None) -> str:
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if normalize_locale(locale) == "nb" else text


def _clock(value: time, *, is_end: bool) -> str:
    return "24:00" if is_end and value == time(0) else f"{value:%H:%M}"


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    return time(minutes % DAY // 60, minutes % 60)


def _span(window: Window) -> Span:
    start = window.weekday * DAY + _minutes(window.start)
    return start, start + window.minutes


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Union of spans on a line: sorted, with overlapping or touching spans joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _work_periods(windows: Iterable[Window]) -> list[Span]:
    """Merged open time on the weekly cycle; a period running past Sunday midnight is folded
    onto the Monday periods it reaches. ``[(0, WEEK)]`` means always open."""
    periods = _merge(_span(window) for window in windows)
    while len(periods) > 1 and periods[-1][1] >= WEEK + periods[0][0]:
        first = periods.pop(0)
        periods[-1] = (periods[-1][0], max(periods[-1][1], first[1] + WEEK))
    if periods and periods[-1][1] - periods[-1][0] >= WEEK:
        return [(0, WEEK)]
    return periods


def _rests(periods: list[Span]) -> list[Span]:
    """The closed stretches between consecutive work periods, going round the cycle."""
    if not periods:
        return [(0, WEEK)]
    following = [start for start, _ in periods[1:]] + [periods[0][0] + WEEK]
    return [(end, nxt) for (_, end), nxt in zip(periods, following, strict=True) if nxt > end]


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def check(hours: WorkingHours, rules: RestRules) -> list[RuleViolation]:
    """Every rule that the weekly window pattern of ``hours`` breaks, in a stable order."""
    periods = _work_periods(hours.windows)
    rests = _rests(periods)
    found: list[RuleViolation] = []
    if rules.max_daily_hours is not None:
        found.extend(_daily_totals(hours.windows, rules.max_daily_hours))
    if rules.max_weekly_hours is not None:
        total = sum(end - start for start, end in periods) / 60
        if total > rules.max_weekly_hours:
            found.append(RuleViolation("max_weekly_hours", rules.max_weekly_hours, total))
    if rules.min_daily_rest_hours is not None:
        found.extend(_daily_rest(periods, rests, rules.min_daily_rest_hours))
    if rules.min_weekly_rest_hours is not None:
        longest = max((end - start for start, end in rests), default=0) / 60
        if longest < rules.min_weekly_rest_hours:
            found.append(RuleViolation("weekly_rest", rules.min_weekly_rest_hours, longest))
    if rules.quiet_night is not None:
        found.extend(_quiet_night(hours.windows, rules.quiet_night))
    if rules.sunday_rest_from is not None:
        found.extend(_sunday_rest(hours.windows, rules.sunday_rest_from))
    return found


def _daily_totals(windows: tuple[Window, ...], limit: float) -> list[RuleViolation]:
    """Per weekday, the open time of the windows that start that day (overlaps counted once)."""
    found = []
    for weekday in range(7):
        spans = _merge(_span(w) for w in windows if w.weekday == weekday)
        total = sum(end - start for start, end in spans) / 60
        if total > limit:
            found.append(RuleViolation("max_daily_hours", limit, total, weekday=weekday))
    return found


def _daily_rest(periods: list[Span], rests: list[Span], limit: float) -> list[RuleViolation]:
    """In the 24 hours from the start of each work period there must be ``limit`` hours off.

    Why from the start of work and not from every instant: the law's day is counted from when
    work begins, with the rest "between two main working periods" (aml § 10-8 (1), Directive
    2003/88/EC art. 3). A literally rolling 24-hour span would fail even 08:00-16:00, since
    midnight to midnight holds two 8-hour rests and neither reaches 11 hours.
    """
    if periods == [(0, WEEK)]:
        return [RuleViolation("daily_rest", limit, 0.0, weekday=0, start=time(0))]
    unrolled = [(s + shift, e + shift) for s, e in rests for shift in (-WEEK, 0, WEEK)]
    worst: dict[int, RuleViolation] = {}
    for start, _ in periods:
        span = (start, start + DAY)
        longest = max((_overlap(span, rest) for rest in unrolled), default=0) / 60
        weekday = start // DAY
        if longest < limit and (weekday not in worst or longest < worst[weekday].actual):
            worst[weekday] = RuleViolation(
                "daily_rest", limit, longest, weekday=weekday, start=_time(start)
            )
    return [worst[day] for day in sorted(worst)]


def _quiet_night(windows: tuple[Window, ...], night: tuple[time, time]) -> list[RuleViolation]:
    """Each window that overlaps a night (nights start every evening, Sunday's reaching Monday)."""
    night_start = _minutes(night[0])
    night_length = (_minutes(night[1]) - night_start) % DAY or DAY
    nights = [(d * DAY + night_start, d * DAY + night_start + night_length) for d in range(-1, 8)]
    found = []
    for window in windows:
        span = _span(window)
        inside = sum(_overlap(span, n) for n in nights) / 60
        if inside > 0:
            found.append(
                RuleViolation(
                    "quiet_night",
                    0.0,
                    inside,
                    weekday=window.weekday,
                    start=window.start,
                    end=window.end,
                    night=night,
                )
            )
    return found


def _sunday_rest(windows: tuple[Window, ...], since: tuple[int, time]) -> list[RuleViolation]:
    """Each window that overlaps the weekly rest from ``since`` to Monday 00:00 (aml § 10-10)."""
    rest_start = since[0] * DAY + _minutes(since[1])
    rests = [(rest_start - WEEK, 0), (rest_start, WEEK), (rest_start + WEEK, 2 * WEEK)]
    found = []
    for window in windows:
        inside = sum(_overlap(_span(window), rest) for rest in rests) / 60
        if inside > 0:
            found.append(
                RuleViolation(
                    "sunday_rest",
                    0.0,
                    inside,
                    weekday=window.weekday,
                    start=window.start,
                    end=window.end,
                    rest_from=since,
                )
            )
    return found
