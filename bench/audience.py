"""The audience of a big channel: when are half of its members in their own hours?

    python -m bench.audience            # a channel of 5,000 members, 40 instants, both spreads
    python -m bench.audience --quick    # 1,000 members, 10 instants

The channel lives in the fake Slack Web API (in this process, over real HTTP): its members are
read with ``conversations.members`` (1,000 a page) and the workspace's bots with ``users.list``,
as in production, through :class:`ConversationAudiences` and a SQLite database holding the
people. A third set hours of their own (six kinds of day), one in twenty has a personal day off,
the rest work the team's windows in their own zone. Two spreads over eight zones:

- ``oslo``: an Oslo company (half in Oslo, the rest in London, New York, São Paulo, Los Angeles,
  Kolkata, Tokyo and Sydney): half of them are in on weekday mornings in Europe;
- ``even``: an eighth in each zone: half of them are never at work at the same time, so every
  question searches the whole 60-day horizon — the worst case.

Per instant (random instants over a week from a Sunday), side by side:

- **cold**: the first question (member pages, bots, person rows, hours parsed) — once;
- **warm**: the question again within the cache's minute (the acceptance bound: ≤ 50 ms), as
  served: the cached audience remembers its last answers, which answer later instants too;
- **the sweep alone**: :func:`first_quorum_open` on the cached hours with nothing remembered;
- baselines, on the first five instants: the same sweep **without grouping** equal hours (one
  stream per member), and a **minute scan** counting open members minute by minute over 8 days
  (the obvious way) — the check that the sweep finds the same instant to the microsecond.

One summary line per spread; it says whether the warm p99 is within 50 ms and whether the
methods agreed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.platform import SlackPlatform
from bot.domain.audience import MembersHours, first_quorum_open
from bot.domain.policy import AudienceKind
from bot.services.access import Membership
from bot.services.audience import ConversationAudiences
from bot.services.directory import policy_from_row
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import PersonRow
from bot.storage.repositories import TeamRepository, WorkspaceRepository

TOKEN = "xoxb-bench-audience"
CHANNEL = "C_BIG"
ZONES = (
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/Oslo",
    "Europe/London",
    "America/New_York",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)
OWN_HOURS = (
    "mon-fri 08:00-16:00",
    "mon-fri 09:00-17:00",
    "mon-thu 07:30-15:30",
    "mon-fri 08:00-12:00, 13:00-17:00",
    "tue-sat 10:00-18:00",
    "mon-fri 22:00-06:00",
)
TEAM_HOURS = "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"
#: Instants the (slow) baselines are run on, and how far they look.
BASELINES = 5
SCAN = timedelta(days=8)
#: The acceptance bound for a warm question, in milliseconds.
BOUND_MS = 50.0
START = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)  # a Sunday


def _people(size: int, rng: random.Random, spread: str) -> list[dict[str, object]]:
    zones = ZONES if spread == "oslo" else sorted(set(ZONES))
    rows: list[dict[str, object]] = []
    for n in range(size):
        row: dict[str, object] = {"external_id": f"U{n:06d}", "tz": rng.choice(zones)}
        if rng.random() < 1 / 3:
            row["hours_spec"] = rng.choice(OWN_HOURS)
            row["hours_source"] = "personal"
        if rng.random() < 1 / 20:
            row["days_off"] = f'["{date(2026, 11, 30) + timedelta(days=rng.randrange(5))}"]'
        rows.append(row)
    return rows


async def _timed(call: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    began = time.perf_counter()
    result = await call()
    return (time.perf_counter() - began) * 1000, result


def _minute_scan(hours: MembersHours, at: datetime, limit: timedelta) -> datetime | None:
    """The baseline: count open members at ``at``, then at every whole minute after it."""

    def enough(instant: datetime) -> bool:
        open_now = sum(w for h, w in hours.members if h.is_open(instant))
        return open_now >= hours.needed

    if enough(at):
        return at
    probe = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < at + limit:
        if enough(probe):
            return probe
        probe += timedelta(minutes=1)
    return None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def run(size: int, instants: int, spread: str) -> str:
    rng = random.Random(2026)
    people = _people(size, rng, spread)
    slack = FakeSlack(team_id="T_BENCH", bot_token=TOKEN)
    for person in people:
        slack.add_user(str(person["external_id"]), str(person["external_id"]), str(person["tz"]))
    for bot in ("U_BUILD", "U_DEPLOY"):
        slack.add_user(bot, bot, is_bot=True)
    slack.add_channel(CHANNEL, members=[str(p["external_id"]) for p in people] + ["U_BUILD"])
    url = await slack.start()
    engine = create_engine(f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'audience.db'}")
    await upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", "T_BENCH", now=now)
        team_row = await TeamRepository(session).create(
            workspace.id, "Big", now=now, hours_spec=TEAM_HOURS, audience="members"
        )
        await session.execute(
            insert(PersonRow),
            [
                {
                    "workspace_id": workspace.id,
                    "auto_hold": False,
                    "created_at": now,
                    "updated_at": now,
                    **person,
                }
                for person in people
            ],
        )
        workspace_id = workspace.id
    team = policy_from_row(team_row, leaders=[], channels=[CHANNEL])
    assert team.audience is AudienceKind.MEMBERS

    async def token_for(workspace: str, person: str | None) -> str | None:
        return TOKEN if person is None else None

    platform = SlackPlatform(token_for=token_for, base_url=url, timeout=30)
    membership = Membership(platform)
    audiences = ConversationAudiences(membership=lambda _: membership, sources={"slack": platform})

    async def ask() -> MembersHours | None:
        async with sessions() as session:
            return await audiences.members_hours(
                session,
                platform="slack",
                workspace="T_BENCH",
                workspace_id=workspace_id,
                conversation=CHANNEL,
                team=team,
            )

    asks = [START + timedelta(seconds=rng.randrange(7 * 86_400)) for _ in range(instants)]
    cold_ms, cold = await _timed(ask)
    assert isinstance(cold, MembersHours)
    cold_ms += _sweep_ms(cold, asks[0])
    warm: list[float] = []
    fresh: list[float] = []
    ungrouped: list[float] = []
    scan: list[float] = []
    agreed = True
    distinct = len(cold.members)
    answered = 0
    for n, at in enumerate(asks):
        began = time.perf_counter()
        hours = await ask()
        assert hours is not None
        found = hours.next_open(at)
        warm.append((time.perf_counter() - began) * 1000)
        answered += found is not None
        began = time.perf_counter()
        assert first_quorum_open(hours.members, at) == found
        fresh.append((time.perf_counter() - began) * 1000)
        if n >= BASELINES:
            continue
        one_each = tuple((h, 1) for h, w in hours.members for _ in range(w))
        began = time.perf_counter()
        alone = first_quorum_open(one_each, at, horizon=SCAN)
        ungrouped.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        scanned = _minute_scan(hours, at, SCAN)
        scan.append((time.perf_counter() - began) * 1000)
        agreed = agreed and first_quorum_open(hours.members, at, horizon=SCAN) == alone == scanned
    pages = len(slack.calls_to("conversations.members"))
    await platform.close()
    await slack.stop()
    await engine.dispose()
    within = _pct(warm, 0.99) <= BOUND_MS
    return (
        f"{spread}: {cold.count} members ({distinct} distinct hours, {pages} member pages), "
        f"{len(asks)} instants, {answered} answered within 60 days: cold {cold_ms:.0f} ms; "
        f"warm p50 {statistics.median(warm):.1f} ms p99 {_pct(warm, 0.99):.1f} ms "
        f"({'within' if within else 'OVER'} {BOUND_MS:.0f} ms); the sweep alone, nothing "
        f"remembered, p50 {statistics.median(fresh):.1f} ms p99 {_pct(fresh, 0.99):.1f} ms; "
        f"baselines over 8 days: one "
        f"stream per member p50 {statistics.median(ungrouped):.1f} ms, minute scan p50 "
        f"{statistics.median(scan):.0f} ms; {'the same instants' if agreed else 'DISAGREE'}"
    )


def _sweep_ms(hours: MembersHours, at: datetime) -> float:
    began = time.perf_counter()
    hours.next_open(at)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--members", type=int)
    parser.add_argument("--spread", choices=("oslo", "even"), action="append")
    args = parser.parse_args()
    size, instants = (1000, 10) if args.quick else (5000, 40)
    for spread in args.spread or ("oslo", "even"):
        print(asyncio.run(run(args.members or size, instants, spread)), flush=True)


if __name__ == "__main__":
    main()
