"""`quiet-hours demo`: the real app serving a sandbox Slack workspace through a scripted week.

Exactly what ``quiet-hours serve`` runs (``bot.bootstrap.build_runtime``: bolt, the listeners,
the services, the delivery engine, the digest job, the database) on an accelerated clock. Slack's
side is played by the sandbox: its Web API stand-in answers the app's calls, and a driver sends
the app signed slash commands and events as Slack would. Nothing leaves this machine and no
credentials are needed.

The week: on a fresh install where nobody has set anything, a message written on Friday evening
in #general (no team covers it) is held by the workspace default until Monday; a leader sets up
the team; on Friday evening Ola writes to Kari with /quiet later and
it is held until Monday; on Sunday evening a thread in #platform gets "no reply expected"; an
urgent override goes out at once, marked and logged; on Monday morning Kari gets the message
once, and the digest lists the Sunday thread.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from adapters.sandbox.driver import SlackDriver
from adapters.sandbox.loopback import in_demo_database, served
from adapters.sandbox.reading import reading
from adapters.sandbox.slack_api import FakeSlack, Message
from bot.bootstrap import build_runtime
from bot.clock import FixedClock
from bot.i18n import format_instant, translate, translate_plural
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow, WorkspaceDefaultRow

__all__ = ["run_demo"]

OSLO = ZoneInfo("Europe/Oslo")
TOKEN = "xoxb-sandbox-demo"
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SUNDAY_2014 = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def _answer(reply: dict[str, Any]) -> str:
    """The first line of what /quiet answered privately."""
    return str(reply.get("text", "")).split("\n")[0]


async def run_demo(*, database_url: str | None = None, say: Callable[[str], None] = print) -> int:
    """Run the scripted week; returns a process exit code.

    Without ``database_url`` the week is kept in a SQLite file in a new temporary directory,
    removed when the demo ends, however it ends (done, failed, or Ctrl-C).
    """
    return await in_demo_database(database_url, lambda url, shown: _run(url, shown, say))


async def _run(database_url: str, shown: str, say: Callable[[str], None]) -> int:
    clock = FixedClock(FRIDAY_1730)
    slack = FakeSlack(team_id="T_DEMO", bot_token=TOKEN, wall_clock=lambda: clock.now().timestamp())
    slack.add_user("U_LEA", "Lea", is_admin=True)
    slack.add_user("U_OLA", "Ola")
    slack.add_user("U_KARI", "Kari", locale="nb-NO")
    slack.add_user("U_PER", "Per", locale="nb-NO")
    slack.add_channel("C_PLATFORM")
    slack.add_channel("C_GENERAL")  # no team covers it: the workspace default does
    api_url = await slack.start()
    try:
        return await _serve(database_url, shown, slack, api_url, clock, say)
    finally:
        await slack.stop()


async def _serve(
    database_url: str,
    shown: str,
    slack: FakeSlack,
    api_url: str,
    clock: FixedClock,
    say: Callable[[str], None],
) -> int:
    signing_secret = secrets.token_hex(16)
    settings = Settings(
        database_url=database_url,
        secret_key=Cipher.generate_key(),  # demo only: a throwaway key
        slack_bot_token=TOKEN,
        slack_signing_secret=signing_secret,
        slack_api_url=api_url,
    )
    runtime = await build_runtime(settings, clock=clock, owner="demo")
    say = reading(say, OSLO, clock.now)  # instants as a reader in Oslo reads them

    def at(text: str) -> None:
        say(f"[{format_instant(clock.now(), OSLO, 'en', now=clock.now())}] {text}")

    try:
        async with served(runtime.app) as base:
            app_url = f"{base}/slack/events"
            say(f"Sandbox Slack workspace at {api_url} · Quiet Hours at {app_url}")
            say(f"Database: {shown}")
            async with aiohttp.ClientSession() as http:
                driver = SlackDriver(
                    slack=slack, url=app_url, signing_secret=signing_secret, http=http
                )
                await _week(driver, runtime, clock, slack, at, say)
        calls = Counter(call.method for call in slack.calls)
        say("Slack Web API calls: " + ", ".join(f"{m} ×{n}" for m, n in sorted(calls.items())))
        delivered = [m for m in slack.posted("U_KARI") if "kontrakten" in m.text]
        general = [m for m in slack.posted("C_GENERAL") if "Monday" in m.text]
        ok = len(delivered) == 1 and len(general) == 1 and not slack.violations
        return 0 if ok else 1
    finally:
        await runtime.close()


async def _week(
    driver: SlackDriver,
    runtime: Any,
    clock: FixedClock,
    slack: FakeSlack,
    at: Callable[[str], None],
    say: Callable[[str], None],
) -> None:
    async def command(user: str, text: str, name: str, channel: str = "C_PLATFORM") -> str:
        answer = _answer(await driver.command(user, text, channel=channel))
        where = "" if channel == "C_PLATFORM" else f" (in #{channel.removeprefix('C_').lower()})"
        at(f"{name}: /quiet {text}{where}")
        say(f"    → {answer}")
        return answer

    async def recorded(count: int) -> None:
        """Wait for the listeners (they run after Slack's acknowledgement) to record ``count``
        off-hours messages; the labels are posted by then."""
        for _ in range(250):
            async with runtime.sessions() as session:
                found = await session.scalar(
                    select(func.count())
                    .select_from(ActivityRow)
                    .where(ActivityRow.in_hours.is_(False))
                )
            if found is not None and found >= count and _thread(slack, root, bot=True):
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("the app did not handle the Slack events in time")

    async with runtime.sessions() as session:
        default = (await session.scalars(select(WorkspaceDefaultRow))).one()
    at(
        "Fresh install, nothing set up: the workspace default, from the members' zone and "
        f"language, is {default.preset}, {default.tz}, holidays {default.country}, "
        f"mode {default.mode}"
    )
    await command("U_OLA", "later Can we talk on Monday?", "Ola", channel="C_GENERAL")
    await command("U_LEA", "team create Platform", "Lea (workspace admin)")
    await command("U_LEA", "team hours man-fre 8-16 tz Europe/Oslo holidays NO", "Lea")
    await command("U_LEA", "team mode label", "Lea")
    # the team took norway-aml from the workspace default (urgent: leaders); Lea opens it up
    await command("U_LEA", "team urgent anyone", "Lea")
    await command("U_KARI", "hours man-fre 8-16 helligdager NO", "Kari")
    await command("U_OLA", "later <@U_KARI|kari> Kan du se på kontrakten før mandag?", "Ola")
    await runtime.delivery.run_until_idle()

    clock.set(SUNDAY_2014)
    root = slack.user_writes("C_PLATFORM", "U_OLA", "Skal vi bytte leverandør før nyttår?")
    await driver.message(root)
    at(f"Ola starts a thread in #platform: “{root.text}”")
    await recorded(1)
    for label in _thread(slack, root, bot=True):
        at(f"    Quiet Hours replies in the thread: “{label.text}”")
    clock.set(SUNDAY_2014 + timedelta(minutes=12))
    reply = slack.user_writes(
        "C_PLATFORM", "U_PER", "Ja, vi går for alternativ B.", thread_ts=root.ts
    )
    await driver.message(reply, event_id="EvPerReply")
    await driver.message(reply, event_id="EvPerReply")  # Slack retries it: one effect
    await recorded(2)
    await runtime.extras["slack_events"].follow_ups_done()  # the guard is posted by then
    replies = _thread(slack, root, bot=True)
    guards = [m for m in replies if _is_guard(m)]
    labels = len(replies) - len(guards)
    at(f"Per replies “{reply.text}” (Slack delivers it twice): labels in the thread = {labels}")
    for guard in guards:
        at(f"    Quiet Hours guards the decision in the thread: “{guard.text}”")

    clock.set(SUNDAY_2014 + timedelta(minutes=40))
    await command("U_OLA", "urgent Produksjon er nede, jeg trenger en hånd!", "Ola")
    await runtime.delivery.run_until_idle()
    urgent = [m for m in slack.posted("C_PLATFORM") if "Produksjon" in m.text]
    marked = urgent and ":rotating_light:" in json.dumps(urgent[0].blocks)
    at(f"    posted in #platform now, marked urgent: {bool(marked)}; logged for the team")

    clock.set(MONDAY_0800 - timedelta(minutes=1))
    await runtime.delivery.run_until_idle()
    at(f"A minute before Kari's week starts, messages delivered to her: {_to_kari(slack)}")
    clock.set(MONDAY_0800)
    await runtime.delivery.run_until_idle()
    for message in slack.posted("U_KARI"):
        at(f"Kari's hours begin: delivered to Kari “{message.body}” (once)")
    for message in slack.posted("C_GENERAL"):
        at(f"The workspace's hours begin: delivered in #general “{message.body}” (once)")
    for run in await runtime.digests.run_due():
        threads = translate_plural("count.threads", run.threads, "en")
        channels = translate_plural("count.channels", run.posted, "en")
        line = translate(
            "cli.demo.digest_run", "en", team=run.team, threads=threads, channels=channels
        )
        at(line)
    for message in slack.posted("C_PLATFORM"):
        if message.user == slack.bot_user and not message.thread_ts and "\n" in message.text:
            for line in message.text.splitlines():
                say(f"    {line}")

    # Four working hours later the decision guard ends: the leader is asked, and confirms.
    clock.set(MONDAY_0800 + timedelta(hours=4))
    await runtime.watcher.guard.ask_due()
    for message in slack.posted("U_LEA"):
        at(f"The guard ends: Lea is asked privately: “{message.text}”")
    for guard in [m for m in _thread(slack, root, bot=True) if _is_guard(m)]:
        guard_id = str(guard.blocks[-1]["elements"][0]["value"])  # type: ignore[index]
        answered = len(slack.responses)
        await driver.click("U_LEA", "guard.confirm", guard_id, channel="C_PLATFORM")
        for _ in range(250):
            if len(slack.responses) > answered:
                break
            await asyncio.sleep(0.02)
        answer = slack.responses[-1]["text"] if len(slack.responses) > answered else "—"
        at(f"Lea clicks Confirm decision → {answer}")
        at(f"    the reply in the thread, updated in place: “{guard.text}”")


def _thread(slack: FakeSlack, root: Message, *, bot: bool) -> list[Message]:
    return [
        m
        for m in slack.posted("C_PLATFORM")
        if m.thread_ts == root.ts and (m.user == slack.bot_user) == bot
    ]


def _is_guard(message: Message) -> bool:
    """The decision guard's reply (its blocks carry the guard's block ids)."""
    return any(
        str(block.get("block_id", "")).startswith("guard.") for block in message.blocks or []
    )


def _to_kari(slack: FakeSlack) -> int:
    return len([m for m in slack.posted("U_KARI") if "kontrakten" in m.text])
