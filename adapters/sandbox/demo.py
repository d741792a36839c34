"""`quiet-hours demo`: the real core, engine and database serving a sandbox Slack workspace.

A scripted week on an accelerated clock: a Friday-evening DM held until Monday, a labelled
Saturday thread, an urgent override, and Monday's delivery and digest. Everything goes over real
HTTP to the sandbox Slack Web API; nothing leaves this machine and no credentials are needed.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.sandbox.slack_api import FakeSlack
from adapters.slack.platform import SlackPlatform
from adapters.slack.tokens import StoredTokens, install_single_workspace
from bot.clock import FixedClock
from bot.delivery.engine import DeliveryEngine
from bot.i18n import format_instant
from bot.ports import ChatPlatform
from bot.services.compose import ComposeService
from bot.services.digest import DigestService
from bot.services.watch import ChannelMessage, OffHoursWatcher
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.migrate import upgrade
from bot.storage.repositories import PersonRepository, TeamRepository, WorkspaceRepository

__all__ = ["run_demo"]

OSLO = ZoneInfo("Europe/Oslo")
TOKEN = "xoxb-sandbox-demo"
HOURS = "mon-fri 08:00-16:00 tz Europe/Oslo holidays NO"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


async def run_demo(*, database_url: str | None = None, say: Callable[[str], None] = print) -> int:
    """Run the scripted week; returns a process exit code."""
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'demo.db'}"
    clock = FixedClock(FRIDAY_1730)
    slack = FakeSlack(team_id="T_DEMO", bot_token=TOKEN)
    for user, name in (("U_KARI", "Kari"), ("U_OLA", "Ola"), ("U_PER", "Per")):
        slack.add_user(user, name)
    slack.add_channel("C_PLATFORM")
    url = await slack.start()
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    cipher = Cipher.from_secret(Cipher.generate_key())  # demo only: a throwaway key
    platform = SlackPlatform(token_for=StoredTokens(sessions, cipher, ttl=0), base_url=url)
    platforms: dict[str, ChatPlatform] = {"slack": platform}

    def at(text: str) -> None:
        say(f"[{format_instant(clock.now(), OSLO, 'en', now=clock.now())}] {text}")

    try:
        await upgrade(engine)
        await install_single_workspace(
            sessions, cipher, bot_token=TOKEN, api_url=url, now=clock.now()
        )
        say(f"Sandbox Slack workspace at {url} · database {database_url}")
        async with sessions() as session, session.begin():
            workspace = await WorkspaceRepository(session).get_or_create(
                "slack", "T_DEMO", now=clock.now()
            )
            people = PersonRepository(session)
            kari = await people.get_or_create(
                workspace.id, "U_KARI", now=clock.now(), display_name="Kari", tz="Europe/Oslo"
            )
            await people.set_hours(kari, HOURS, source="personal", now=clock.now())
            teams = TeamRepository(session)
            team = await teams.create(
                workspace.id, "Platform", hours_spec=HOURS, now=clock.now(), mode="label"
            )
            await teams.watch(team, "C_PLATFORM")
        say("Team Platform: hours mon-fri 08:00-16:00 Europe/Oslo, label mode, #platform watched")

        delivery = DeliveryEngine(
            sessions=sessions, cipher=cipher, platforms=platforms, clock=clock, owner="demo"
        )
        compose = ComposeService(sessions=sessions, cipher=cipher, clock=clock)
        watcher = OffHoursWatcher(sessions=sessions, platforms=platforms)
        digests = DigestService(sessions=sessions, platforms=platforms, clock=clock, owner="demo")

        dm = await compose.compose(
            platform="slack",
            workspace="T_DEMO",
            author="U_OLA",
            conversation="D_KARI",
            recipient="U_KARI",
            text="Kan du se på kontrakten før mandag?",
        )
        at(f"Ola writes to Kari: held. {dm.decision.explain('en', now=clock.now())}")
        await delivery.run_until_idle()

        clock.set(clock.now() + timedelta(hours=17, minutes=30))  # Saturday 11:00
        root = slack.user_writes("C_PLATFORM", "U_OLA", "Skal vi bytte leverandør?")
        result = await watcher.on_message(
            ChannelMessage(
                "slack",
                "T_DEMO",
                "C_PLATFORM",
                root.ts,
                "U_OLA",
                clock.now(),
                root.text,
                is_thread_root=True,
            )
        )
        at(f"Ola starts a thread in #platform: labelled={result.labelled}")
        for message in slack.posted("C_PLATFORM"):
            if message.thread_ts == root.ts and message.user == slack.bot_user:
                at(f"  Quiet Hours replies in the thread: “{message.text}”")
        clock.set(clock.now() + timedelta(minutes=12))
        reply = slack.user_writes(
            "C_PLATFORM", "U_PER", "Ja, vi går for alternativ B.", thread_ts=root.ts
        )
        again = await watcher.on_message(
            ChannelMessage(
                "slack",
                "T_DEMO",
                "C_PLATFORM",
                root.ts,
                "U_PER",
                clock.now(),
                reply.text,
                is_thread_root=False,
            )
        )
        at(f"Per replies “{reply.text}”: labelled again={again.labelled} (once per thread)")

        clock.set(clock.now() + timedelta(hours=2))
        urgent = await compose.compose(
            platform="slack",
            workspace="T_DEMO",
            author="U_OLA",
            conversation="C_PLATFORM",
            text="Produksjon er nede, jeg trenger en hånd!",
            urgent=True,
            author_name="Ola",
        )
        await delivery.run_until_idle()
        at(f"Ola marks a message urgent: {urgent.decision.explain('en')} (logged)")

        clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC) - timedelta(minutes=1))
        await delivery.run_until_idle()
        at(f"A minute before Kari's week starts, delivered to her: {len(slack.posted('D_KARI'))}")

        clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
        await delivery.run_until_idle()
        for message in slack.posted("D_KARI"):
            at(f"Kari's hours begin: delivered to Kari “{message.text}”")
        for run in await digests.run_due():
            at(f"Digest for {run.team}: {run.threads} thread(s), posted in {run.posted} channel(s)")
        for message in slack.posted("C_PLATFORM"):
            if message.user == slack.bot_user and not message.thread_ts and "\n" in message.text:
                for line in message.text.splitlines():
                    say(f"    {line}")
        calls = Counter(call.method for call in slack.calls)
        say("Slack Web API calls: " + ", ".join(f"{m} ×{n}" for m, n in sorted(calls.items())))
        delivered = len(slack.posted("D_KARI"))
        return 0 if delivered == 1 and not slack.violations else 1
    finally:
        await platform.close()
        await engine.dispose()
        await slack.stop()
