"""What a replay found, as one JSON-ready mapping: the contract of ``--json`` and the report.

Only aggregates leave here: counts per week, per channel (direct and group messages as one row
each, never per conversation), per hour of week and per landing instant; personal patterns go
through :func:`bot.domain.patterns.aggregate` (minimum group size). No message text, no person.
:func:`personal` is the one exception: one person's own figures, for ``--person``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.patterns import MIN_GROUP, aggregate
from bot.simulate.landing import drain_seconds
from bot.simulate.replay import Replay

__all__ = ["SCHEMA", "RunInfo", "personal", "summarise_replay"]

#: Bumped when a key of the JSON changes meaning or goes away.
SCHEMA = 1
_ROWS = {"dm": "direct", "mpim": "group_dm"}
MONDAY = 0


@dataclass(frozen=True)
class RunInfo:
    """About the run itself: the export's file name, policy and settings, and how long it took."""

    export: str
    preset: str
    hours: str
    tz: str
    mode: str
    audience: str
    holidays: str | None
    workspace_rate: float
    seconds: float


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _channels(replay: Replay) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for index, (total, off, held) in replay.per_channel.items():
        conversation = replay.export.conversations[index]
        kind = conversation.kind
        key = _ROWS.get(kind, conversation.id)
        row = rows.setdefault(
            key,
            {
                "name": None if kind in _ROWS else conversation.name,
                "kind": _ROWS.get(kind, kind),
                "messages": 0,
                "off_hours": 0,
                "held": 0,
            },
        )
        row["messages"] += total
        row["off_hours"] += off
        row["held"] += held
    for row in rows.values():
        row["off_hours_share"] = _share(row["off_hours"], row["messages"])
    return sorted(rows.values(), key=lambda r: (-r["off_hours"], -r["messages"], r["name"] or ""))


def _weeks(replay: Replay, held_landing: dict[int, int]) -> list[dict[str, Any]]:
    weeks = []
    for week in sorted(replay.per_week):
        total, off, held = replay.per_week[week]
        weeks.append(
            {
                "week": date.fromordinal(week).isoformat(),
                "messages": total,
                "off_hours": off,
                "held": held,
                "landing_monday": held_landing.get(week, 0),
                "decided_threads": len(replay.decided_threads.get(week, ())),
            }
        )
    return weeks


def _landing(replay: Replay, workspace_rate: float) -> tuple[dict[str, Any], dict[int, int]]:
    tz = replay.setup.report_tz
    waves = replay.waves()
    monday: dict[int, int] = defaultdict(int)
    biggest: tuple[float, dict[int, int]] | None = None
    for at, per_channel in waves:
        local = datetime.fromtimestamp(at, UTC).astimezone(tz).date()
        count = sum(per_channel.values())
        if local.weekday() == MONDAY:
            monday[local.toordinal() - local.weekday()] += count
        if biggest is None or count > sum(biggest[1].values()):
            biggest = (at, per_channel)
    peak = None
    if biggest is not None:
        at, per_channel = biggest
        peak = {
            "at": _iso(at),
            "messages": sum(per_channel.values()),
            "conversations": len(per_channel),
            "busiest_conversation": max(per_channel.values()),
            "drain_seconds": round(drain_seconds(per_channel, workspace_rate=workspace_rate), 1),
        }
    return {"waves": len(waves), "peak": peak, "workspace_rate": workspace_rate}, monday


def _digests(replay: Replay) -> dict[str, Any]:
    sizes = [len(digest.threads) for digest in replay.digests]
    messages = [sum(t.messages for t in digest.threads) for digest in replay.digests]
    return {
        "count": len(sizes),
        "threads": sum(sizes),
        "messages": sum(messages),
        "largest_threads": max(sizes, default=0),
        "mean_threads": round(sum(sizes) / len(sizes), 1) if sizes else 0.0,
        "decided_threads": sum(t.looks_decided for d in replay.digests for t in d.threads),
        "posted_on": len({digest.at for digest in replay.digests}),
    }


def summarise_replay(replay: Replay, run: RunInfo) -> dict[str, Any]:
    """The whole report as plain data (JSON types only), aggregated as the module says."""
    export = replay.export
    deliver, held, labelled = replay.outcomes
    landing, monday = _landing(replay, run.workspace_rate)
    weeks = _weeks(replay, monday)
    kinds = Counter(c.kind for c in export.conversations)
    messages = replay.messages
    return {
        "schema": SCHEMA,
        "export": {
            "file": run.export,
            "people": len(export.zones),
            "authors": len(replay.everyone()),
            "conversations": dict(sorted(kinds.items())),
            "first_week": weeks[0]["week"] if weeks else None,
            "last_week": weeks[-1]["week"] if weeks else None,
            "day_files": export.stats.day_files,
            "skipped_day_files": export.stats.bad_files,
            "skipped_messages": export.stats.bad_messages,
            "bot_or_system_messages": export.stats.bot_or_system,
        },
        "policy": {
            "preset": run.preset,
            "hours": run.hours,
            "tz": run.tz,
            "mode": run.mode,
            "audience": run.audience,
            "holidays": run.holidays,
        },
        "totals": {
            "messages": messages,
            "in_hours": deliver,
            "off_hours": held + labelled,
            "held": held,
            "labelled_messages": labelled,
            "off_hours_share": _share(held + labelled, messages),
        },
        "weeks": weeks,
        "channels": _channels(replay),
        "hour_of_week": [list(cell) for cell in replay.hour_of_week],
        "landing": landing,
        "labels": {"count": sum(replay.labels.values()), "mornings": len(replay.labels)},
        "digests": _digests(replay),
        "decided_off_hours_threads": sum(len(t) for t in replay.decided_threads.values()),
        "patterns": [
            {
                "pattern": figure.pattern,
                "people": figure.people,
                "occurrences": figure.occurrences,
                "group": figure.group,
                "suppressed": figure.suppressed,
            }
            for figure in aggregate(replay.everyone())
        ],
        "min_group": MIN_GROUP,
        "run": {
            "seconds": round(run.seconds, 3),
            "messages_per_second": round(messages / run.seconds) if run.seconds > 0 else None,
        },
    }


def personal(replay: Replay, person_id: str, run: RunInfo) -> dict[str, Any]:
    """One person's own figures and nothing about anyone else (``--person``)."""
    patterns = replay.person(person_id)
    return {
        "schema": SCHEMA,
        "person": person_id,
        "policy": {"preset": run.preset, "hours": run.hours, "tz": run.tz, "mode": run.mode},
        "figures": None if patterns is None else patterns.figures(),
    }
