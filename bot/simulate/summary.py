"""What a replay found, as one JSON-ready mapping: the contract of ``--json`` and the report.

Only aggregates leave here: counts per week, per channel (direct and group messages as one row
each, never per conversation), per hour of week and per landing instant; personal patterns go
through :func:`bot.domain.patterns.aggregate` (minimum group size). No message text, no person.
:func:`personal` is the one exception: one person's own figures, for ``--person``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.insights import MIN_GROUP_SIZE
from bot.simulate.landing import drain_seconds
from bot.simulate.patterns import aggregate
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


class _Rule:
    """The insights' rule (:class:`~bot.domain.insights.Figure`): a figure made by fewer than
    ``least`` distinct people (but by someone) is ``None``; a zero from nobody is shown."""

    def __init__(self, least: int) -> None:
        self.least = least

    def __call__(self, value: Any, people: Collection[int] | int) -> Any:
        count = people if isinstance(people, int) else len(people)
        return None if 0 < count < self.least else value

    def share(self, part: int | None, whole: int | None) -> float | None:
        if part is None or whole is None:
            return None
        return round(part / whole, 4) if whole else 0.0


def _channels(replay: Replay, fig: _Rule) -> list[dict[str, Any]]:
    counts: dict[str, list[int]] = {}
    people: dict[str, tuple[set[int], set[int], set[int]]] = {}
    names: dict[str, tuple[str | None, str]] = {}
    for index, row in replay.per_channel.items():
        conversation = replay.export.conversations[index]
        kind = conversation.kind
        key = _ROWS.get(kind, conversation.id)
        names[key] = (None if kind in _ROWS else conversation.name, _ROWS.get(kind, kind))
        sums = counts.setdefault(key, [0, 0, 0])
        who = people.setdefault(key, (set(), set(), set()))
        for n in range(3):
            sums[n] += row[n]
            who[n].update(replay.channel_people[index][n])
    rows = []
    for key, (total, off, held) in counts.items():
        who = people[key]
        name, kind = names[key]
        messages, off_hours = fig(total, who[0]), fig(off, who[1])
        rows.append(
            {
                "name": name,
                "kind": kind,
                "messages": messages,
                "off_hours": off_hours,
                "held": fig(held, who[2]),
                "off_hours_share": fig.share(off_hours, messages),
                "_order": (-off, -total, name or ""),
            }
        )
    rows.sort(key=lambda row: row.pop("_order"))
    return rows


def _weeks(
    replay: Replay, fig: _Rule, monday: dict[int, tuple[int, set[int]]]
) -> list[dict[str, Any]]:
    if not replay.per_week:
        return []
    weeks = []
    first, last = min(replay.per_week), max(replay.per_week)
    for week in range(first, last + 1, 7):  # every week, the quiet ones too
        total, off, held = replay.per_week.get(week, (0, 0, 0))
        who = replay.week_people.get(week, (set(), set(), set()))
        landed, landed_by = monday.get(week, (0, set()))
        decided = replay.decided_threads.get(week, set())
        weeks.append(
            {
                "week": date.fromordinal(week).isoformat(),
                "messages": fig(total, who[0]),
                "off_hours": fig(off, who[1]),
                "held": fig(held, who[2]),
                "landing_monday": fig(landed, landed_by),
                "decided_threads": fig(len(decided), replay.decided_people.get(week, set())),
            }
        )
    return weeks


def _landing(
    replay: Replay, fig: _Rule, workspace_rate: float
) -> tuple[dict[str, Any], dict[int, tuple[int, set[int]]]]:
    """The landings, and per week the held messages landing on its Monday (and from whom).

    The peak is the biggest landing made by enough people to be shown."""
    tz = replay.setup.report_tz
    waves = replay.waves()
    monday: dict[int, tuple[int, set[int]]] = {}
    biggest: tuple[float, dict[int, int]] | None = None
    for at, per_channel in waves:
        local = datetime.fromtimestamp(at, UTC).astimezone(tz).date()
        count = sum(per_channel.values())
        who = replay.wave_people[at]
        if local.weekday() == MONDAY:
            key = local.toordinal()
            landed, people = monday.get(key, (0, set()))
            monday[key] = (landed + count, people | who)
        if fig(count, who) is None:
            continue
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
    landing = {
        "waves": len(waves),
        "peak": peak,
        "peak_suppressed": peak is None and bool(waves),
        "workspace_rate": workspace_rate,
    }
    return landing, monday


def _digests(replay: Replay, fig: _Rule) -> dict[str, Any]:
    sizes = [digest.threads for digest in replay.digests]
    messages = [digest.messages for digest in replay.digests]
    who = replay.digest_people
    return {
        "count": fig(len(sizes), who),
        "threads": fig(sum(sizes), who),
        "messages": fig(sum(messages), who),
        "largest_threads": fig(max(sizes, default=0), who),
        "mean_threads": fig(round(sum(sizes) / len(sizes), 1) if sizes else 0.0, who),
        "decided_threads": fig(sum(digest.decided for digest in replay.digests), who),
        "posted_on": fig(len({digest.at for digest in replay.digests}), who),
    }


def summarise_replay(
    replay: Replay, run: RunInfo, *, min_group: int = MIN_GROUP_SIZE
) -> dict[str, Any]:
    """The whole report as plain data (JSON types only), aggregated as the module says.

    A figure made by fewer than ``min_group`` distinct people is ``null``. Tests of small
    hand-made exports pass ``min_group=1`` to see every figure; the command line never does.
    """
    fig = _Rule(min_group)
    export = replay.export
    deliver, held, labelled = replay.outcomes
    in_people, held_people, label_people = replay.outcome_people
    off_people = held_people | label_people
    landing, monday = _landing(replay, fig, run.workspace_rate)
    weeks = _weeks(replay, fig, monday)
    kinds = Counter(c.kind for c in export.conversations)
    messages = fig(replay.messages, in_people | off_people)
    off_hours = fig(held + labelled, off_people)
    decided = set().union(*replay.decided_people.values())
    return {
        "schema": SCHEMA,
        "export": {
            "file": run.export,
            "people": len(export.zones),
            "authors": fig(len(replay.everyone()), len(replay.everyone())),
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
            "in_hours": fig(deliver, in_people),
            "off_hours": off_hours,
            "held": fig(held, held_people),
            "labelled_messages": fig(labelled, label_people),
            "off_hours_share": fig.share(off_hours, messages),
        },
        "weeks": weeks,
        "channels": _channels(replay, fig),
        "hour_of_week": [
            [fig(total, who[0]), fig(off, who[1])]
            for (total, off), who in zip(replay.hour_of_week, replay.cell_people, strict=True)
        ],
        "landing": landing,
        "labels": {
            "count": fig(sum(replay.labels.values()), replay.label_people),
            "mornings": fig(len(replay.labels), replay.label_people),
        },
        "digests": _digests(replay, fig),
        "decided_off_hours_threads": fig(
            sum(len(t) for t in replay.decided_threads.values()), decided
        ),
        "patterns": [
            {
                "pattern": figure.pattern,
                "people": figure.people,
                "occurrences": figure.occurrences,
                "suppressed": figure.suppressed,
            }
            for figure in aggregate(replay.everyone(), least=min_group)
        ],
        "min_group": min_group,
        "run": {
            "seconds": round(run.seconds, 3),
            "messages_per_second": round(replay.messages / run.seconds) if run.seconds else None,
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
