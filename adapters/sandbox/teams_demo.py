"""`quiet-hours demo --platform teams`: the real app serving a sandbox Teams tenant for a week.

Exactly what ``quiet-hours serve`` runs for Teams (``bot.bootstrap.build_runtime``: the Microsoft
365 Agents SDK app on ``/api/messages``, the Teams platform with Adaptive Cards, the services, the
delivery engine, the digest job, the database) on an accelerated clock, in the documented
local-testing mode (``QH_TEAMS_ANONYMOUS=1``: no app id, loopback clients and ``serviceUrl``s
only). Teams' side is played by the sandbox: a Bot Connector stand-in receives what the app posts,
and a driver sends the app activities shaped as Teams sends them.

The week is the Slack demo's: the app is added to a team, and its installer gets a welcome card
showing the tenant default it made; a message written on Friday evening in the team's General
channel (no team policy covers it) is held by that default until Monday; the team's leader sets
its hours and label mode; on Friday evening Ola holds a message for Kari; on Sunday evening a
thread in the channel gets "no reply expected"; an urgent override goes out at once; on Monday
morning Kari gets the message once, and the digest card lists the Sunday thread.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from adapters.sandbox.bot_connector import SandboxConnector
from adapters.sandbox.loopback import in_demo_database, served
from adapters.sandbox.reading import reading
from adapters.sandbox.teams_driver import Member, TeamsDriver, card_text
from bot.bootstrap import Runtime, build_runtime
from bot.clock import FixedClock
from bot.i18n import format_instant, translate, translate_plural
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.models import ActivityRow

__all__ = ["run_teams_demo"]

OSLO = ZoneInfo("Europe/Oslo")
FRIDAY_1730 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
SUNDAY_2014 = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)

TENANT = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
BOT_ID = "28:quiet-hours-sandbox"
TEAM = "19:sandbox-plattform-general@thread.tacv2"  # a team's General channel has its id
CHANNEL = "19:sandbox-plattform@thread.tacv2"
LEA = Member("29:sandbox-lea", "Lea", "0b9c5a1e-0000-4000-8000-00000000a001")
OLA = Member("29:sandbox-ola", "Ola", "0b9c5a1e-0000-4000-8000-00000000a002")
KARI = Member("29:sandbox-kari", "Kari", "0b9c5a1e-0000-4000-8000-00000000a003", locale="nb-NO")
PER = Member("29:sandbox-per", "Per", "0b9c5a1e-0000-4000-8000-00000000a004", locale="nb-NO")


async def run_teams_demo(
    *, database_url: str | None = None, say: Callable[[str], None] = print
) -> int:
    """Run the scripted week on Teams; returns a process exit code (0: Kari got it once).

    Without ``database_url`` the week is kept in a SQLite file in a new temporary directory,
    removed when the demo ends, however it ends.
    """
    return await in_demo_database(database_url, lambda url, shown: _run(url, shown, say))


async def _run(database_url: str, shown: str, say: Callable[[str], None]) -> int:
    clock = FixedClock(FRIDAY_1730)
    connector = SandboxConnector()
    connector.members[CHANNEL] = connector.members[TEAM] = [
        person.account for person in (LEA, OLA, KARI, PER)
    ]
    await connector.start()
    settings = Settings(
        database_url=database_url,
        secret_key=Cipher.generate_key(),  # demo only: a throwaway key
        teams_anonymous=True,
        microsoft_graph_url=connector.graph_url,
    )
    runtime = await build_runtime(settings, clock=clock, owner="demo")
    say = reading(say, OSLO, clock.now)  # instants as a reader in Oslo reads them
    try:
        async with served(runtime.app) as base:
            app_url = f"{base}/api/messages"
            say(f"Sandbox Bot Connector at {connector.service_url} · Quiet Hours at {app_url}")
            say(f"Database: {shown}")
            async with aiohttp.ClientSession() as http:
                driver = TeamsDriver(
                    url=app_url,
                    connector=connector,
                    http=http,
                    bot_id=BOT_ID,
                    tenant=TENANT,
                    team=TEAM,
                    team_name="Plattform",
                )
                await _week(driver, runtime, clock, say)
        calls = Counter(f"{call.method} {_kind(call.path)}" for call in connector.calls)
        say("Bot Connector calls: " + ", ".join(f"{k} ×{n}" for k, n in sorted(calls.items())))
        ok = len(_to_kari(driver)) == 1 and len(_in_general(driver)) == 1
        return 0 if ok and not connector.violations else 1
    finally:
        await runtime.close()
        await connector.stop()


def _kind(path: str) -> str:
    if path.startswith("/v1.0/"):
        return "graph workingHours"
    if path.endswith("/v3/conversations"):
        return "new chat"
    return "members" if "members" in path else "activity"


def _to_kari(driver: TeamsDriver) -> list[str]:
    return [
        text
        for call in driver.posts(KARI.personal_chat)
        if "kontrakten" in (text := card_text(call.body))
    ]


def _in_general(driver: TeamsDriver) -> list[str]:
    return [
        text
        for call in driver.posts(TEAM)
        if call.reply_to is None and "Monday" in (text := card_text(call.body))
    ]


async def _week(
    driver: TeamsDriver, runtime: Runtime, clock: FixedClock, say: Callable[[str], None]
) -> None:
    def at(text: str) -> None:
        say(f"[{format_instant(clock.now(), OSLO, 'en', now=clock.now())}] {text}")

    async def command(
        person: Member, text: str, *, others: tuple[Member, ...] = (), channel: str = CHANNEL
    ) -> None:
        if person is KARI:
            answer = await driver.ask(driver.personal(person, text))
            at(f"{person.name} (1:1 chat with Quiet Hours): {text}")
        else:
            answer = await driver.ask(driver.mention(person, text, channel, others=others))
            where = " (in General)" if channel == TEAM else ""
            at(f"{person.name}: @Quiet Hours {text}{where}")
        say(f"    → {answer.splitlines()[0] if answer else '(no answer)'}")

    async def recorded(count: int) -> None:
        """Wait until the app has recorded ``count`` off-hours messages (labels are out then)."""
        for _ in range(250):
            async with runtime.sessions() as session:
                found = await session.scalar(
                    select(func.count())
                    .select_from(ActivityRow)
                    .where(ActivityRow.in_hours.is_(False))
                )
            if found is not None and found >= count:
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("the app did not handle the Teams activities in time")

    status = await driver.send(driver.installation(LEA, CHANNEL))
    at(f"Lea adds Quiet Hours to the team Plattform (HTTP {status}); she leads its policy")
    for call in driver.posts(LEA.personal_chat):
        welcome = [line for line in card_text(call.body).splitlines() if line.strip()]
        shown = " · ".join(welcome[2:7]).replace("**", "")
        at(f"    Lea's welcome card: “{welcome[0].replace('**', '')}” · {shown}")
    await command(OLA, "later Can we talk on Monday?", channel=TEAM)
    await command(LEA, "team hours man-fre 8-16 tz Europe/Oslo holidays NO")
    await command(LEA, "team mode label")
    await command(LEA, "team urgent anyone")  # norway-aml (from the default) says leaders
    await command(KARI, "hours man-fre 8-16 helligdager NO")
    await command(OLA, "later <at>Kari</at> Kan du se på kontrakten før mandag?", others=(KARI,))
    await runtime.delivery.run_until_idle()

    clock.set(SUNDAY_2014)
    root = driver.channel_message(OLA, "Skal vi bytte leverandør før nyttår?", CHANNEL)
    await driver.send(root)
    at(f"Ola starts a thread in the channel: “{root['text']}”")
    await recorded(1)
    labels = _labels(driver, root["id"])
    for label in labels:
        at(f"    Quiet Hours replies in the thread: “{label}”")
    clock.set(SUNDAY_2014 + timedelta(minutes=12))
    reply = driver.channel_message(PER, "Ja, vi går for alternativ B.", CHANNEL, root=root["id"])
    await driver.send(reply)
    await driver.send(reply)  # Teams delivers it again: one effect
    await recorded(2)
    replies = [call.body for call in driver.posts(CHANNEL) if call.reply_to == root["id"]]
    guards = [body for body in replies if "guard.reopen" in json.dumps(body)]
    count = len(replies) - len(guards)
    at(f"Per replies “{reply['text']}” (Teams delivers it twice): labels in the thread = {count}")
    for guard in guards:
        shown = guard["attachments"][0]["content"].get("fallbackText", "")
        at(f"    Quiet Hours guards the decision in the thread: “{shown}”")

    clock.set(SUNDAY_2014 + timedelta(minutes=40))
    before = len(driver.posts(CHANNEL))
    await command(OLA, "urgent Produksjon er nede, jeg trenger en hånd!")
    await runtime.delivery.run_until_idle()
    urgent = [
        call for call in driver.posts(CHANNEL)[before:] if "Produksjon" in card_text(call.body)
    ]
    at(f"    posted in the channel now: {len(urgent) == 1}; logged for the team")

    clock.set(MONDAY_0800 - timedelta(minutes=1))
    await runtime.delivery.run_until_idle()
    at(f"A minute before Kari's week starts, messages delivered to her: {len(_to_kari(driver))}")
    clock.set(MONDAY_0800)
    await runtime.delivery.run_until_idle()
    for text in _to_kari(driver):
        shown = " · ".join(line for line in text.splitlines() if line.strip())
        at(f"Kari's hours begin: delivered in her chat with Quiet Hours: “{shown}” (once)")
    for text in _in_general(driver):
        shown = " · ".join(line for line in text.splitlines() if line.strip())
        at(f"The tenant's hours begin: delivered in General: “{shown}” (once)")
    before = len(driver.posts(CHANNEL))
    for run in await runtime.digests.run_due():
        threads = translate_plural("count.threads", run.threads, "en")
        channels = translate_plural("count.channels", run.posted, "en")
        line = translate(
            "cli.demo.digest_run", "en", team=run.team, threads=threads, channels=channels
        )
        at(line)
    for call in driver.posts(CHANNEL)[before:]:
        for line in card_text(call.body).splitlines():
            if line.strip():
                say(f"    {line}")


def _labels(driver: TeamsDriver, root: str) -> list[str]:
    """What the bot replied in the thread of ``root`` (Teams: a reply to the root activity)."""
    return [card_text(call.body) for call in driver.posts(CHANNEL) if call.reply_to == root]
