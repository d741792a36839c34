"""The composition root: builds engines, ciphers, platforms and the web app from typed settings."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.delivery.engine import DeliveryEngine, EngineConfig
from bot.delivery.ratelimit import (
    SLACK_CHANNEL,
    TEAMS_CONVERSATION,
    TEAMS_TENANT,
    slack_workspace,
)
from bot.errors import StartupError, one_line
from bot.jobs import add_jobs, stop_jobs
from bot.logs import QuietAccessLogger
from bot.metrics import DeliveryMetrics
from bot.pages import Operator, add_legal_pages
from bot.ports import ChatPlatform
from bot.services.digest import DigestService
from bot.services.group_commit import GroupCommit
from bot.services.insight_reports import ReplySender, WeeklyTeamInsight
from bot.services.platform_defaults import (
    REFRESH_TICK_SECONDS,
    PlatformDefaults,
    ScheduleSource,
)
from bot.services.retention import Retention, RetentionJob
from bot.services.watch import OffHoursWatcher
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.db import create_engine, session_factory
from bot.storage.keycheck import KeysCannotRead, check_keys
from bot.storage.migrate import current_revision, head_revision, require_schema, upgrade
from bot.storage.reachable import require_database
from bot.web import (
    NO_PLATFORM,
    PLATFORMS_KEY,
    add_readiness_check,
    build_app,
    keys_ready,
    platform_modes,
)

__all__ = ["Runtime", "build_runtime", "serve"]

log = logging.getLogger(__name__)

#: Graceful shutdown: the delivery engine gets this long, the web server the rest of 10 s.
DELIVERY_GRACE_SECONDS = 5.0
WEB_GRACE_SECONDS = 3.0


def _teams_mode(settings: Settings) -> str:
    """``on`` (an app id: JWT-checked), ``anonymous`` (the local-testing switch) or ``off``."""
    if settings.microsoft_app_id:
        return "on"
    return "anonymous" if settings.teams_anonymous else "off"


def announce_teams(settings: Settings) -> None:
    """Say how Teams is served, once the server listens (a start that fails says only why):
    one WARNING line when anonymous, one INFO line when off and why."""
    mode = _teams_mode(settings)
    if mode == "on" and settings.teams_anonymous:
        log.info("QH_TEAMS_ANONYMOUS is ignored: MICROSOFT_APP_ID is set, tokens are checked")
    elif mode == "anonymous":
        log.warning(
            "QH_TEAMS_ANONYMOUS=1: /api/messages accepts UNAUTHENTICATED Teams activities from "
            "this machine (loopback) and replies only to loopback serviceUrls. Local testing "
            "only (Microsoft 365 Agents Playground); never expose it."
        )
    elif mode == "off":
        log.info(
            "Teams is off: MICROSOFT_APP_ID is not set, so /api/messages is not served "
            "(set it, or QH_TEAMS_ANONYMOUS=1 to try the bot locally without one)."
        )


def process_owner(port: int) -> str:
    """The lease owner name of the ``serve`` process on this host and ``port``.

    Stable across restarts, so a restarted process recognises the claims its previous life
    left behind (``EngineConfig.adopt_own_claims``); unique among live processes, because
    ``serve`` binds the port before its delivery loop starts.
    """
    return f"{socket.gethostname()}:{port}"


@dataclass
class Runtime:
    """Everything one process runs, wired: the web app, the delivery engine, the digests."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: Cipher
    clock: Clock
    metrics: DeliveryMetrics
    platforms: dict[str, ChatPlatform]
    delivery: DeliveryEngine
    digests: DigestService
    watcher: OffHoursWatcher
    app: web.Application
    retention: RetentionJob
    defaults: PlatformDefaults
    extras: dict[str, Any] = field(default_factory=dict)
    #: the weekly team insight to leaders on Monday (runs with the digest ticks)
    insight_reports: WeeklyTeamInsight | None = None

    async def close(self) -> None:
        # first-sight reads still running are cancelled before what they use is closed
        await self.defaults.stop()
        await self.watcher.writes.close()  # what is queued is written before the engine goes
        for platform in self.platforms.values():
            close = getattr(platform, "close", None)
            if close is not None:
                await close()
        await self.engine.dispose()


async def _require_readable_keys(engine: AsyncEngine, cipher: Cipher) -> None:
    """Refuse to start when the keys cannot read the stored data (nothing is touched then).

    Raises:
        KeysCannotRead: one line saying what cannot be read and what to do.
    """
    if await current_revision(engine) != head_revision():
        return  # the probe needs the head (start refused it already: require_schema)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":  # a locked table must not stall start
                await connection.execute(text("SET lock_timeout = '2s'"))
            check = await check_keys(connection, cipher)
    except DBAPIError:
        log.warning("could not check the keys at start (a table is locked); /readyz checks them")
        return
    if not check.ok:
        raise KeysCannotRead(check.describe())


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    owner: str | None = None,
) -> Runtime:
    """Compose the product from settings (``serve`` and ``demo`` run exactly this)."""
    cipher = Cipher.from_secret(settings.require_secret_key())  # fail fast on a bad key
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    adopt_own_claims = owner is None  # `serve`: the name is bound to our port (process_owner)
    owner = owner or process_owner(settings.port)
    metrics = DeliveryMetrics()
    try:
        if migrate:
            await require_database(engine)  # one line, not a driver traceback, when not there
            await upgrade(engine)
        else:  # `--no-migrate`: serve no schema it does not know (raw SQL errors otherwise)
            await require_schema(engine)  # nor creates an empty SQLite file
        await _require_readable_keys(engine, cipher)
        platforms: dict[str, ChatPlatform] = {}
        if settings.slack_bot_token or settings.slack_client_id:
            from adapters.slack.platform import SlackPlatform
            from adapters.slack.tokens import StoredTokens, install_single_workspace

            if settings.slack_bot_token:
                from adapters.slack.welcome import token_mode_default
                from bot.services.onboarding import Onboarding

                team = await install_single_workspace(
                    sessions,
                    cipher,
                    bot_token=settings.slack_bot_token,
                    api_url=settings.slack_api_url,
                    now=clock.now(),
                )
                # protected by default: the members' most common zone and locale
                await token_mode_default(
                    Onboarding(sessions=sessions, clock=clock),
                    team,
                    token=settings.slack_bot_token,
                    api_url=settings.slack_api_url,
                )
            # one token cache for delivery, events and installs, so an uninstall or a new
            # install is seen by all of them at once
            slack_tokens = StoredTokens(sessions, cipher)
            platforms["slack"] = SlackPlatform(
                token_for=slack_tokens, base_url=settings.slack_api_url
            )
        teams_connections = None
        teams_mode = _teams_mode(settings)
        if teams_mode != "off":  # a bot registration, or the local-testing switch
            from adapters.teams.app import auth_configuration, connection_manager, outbound_tokens
            from adapters.teams.connector import BotConnector, ProviderTokens
            from adapters.teams.graph import GRAPH, GRAPH_SCOPE, GraphClient
            from adapters.teams.platform import TeamsPlatform
            from bot.webio import loopback_url

            anonymous = teams_mode == "anonymous"
            # one set of SDK connections (one token cache) for inbound turns and our posts; the
            # bot itself is built below, once the watcher and the services it calls exist
            teams_connections = connection_manager(
                auth_configuration(
                    settings.microsoft_app_id,
                    settings.microsoft_app_password,
                    settings.microsoft_app_tenant_id,
                )
            )
            platforms["teams"] = TeamsPlatform(
                sessions=sessions,
                cipher=cipher,
                connector=BotConnector(
                    tokens=outbound_tokens(teams_connections, anonymous=anonymous),
                    # anonymous: nothing is ever sent beyond this machine
                    allow=loopback_url if anonymous else None,
                ),
                clock=clock,
                # Outlook working hours as people's default (needs MailboxSettings.Read)
                graph=None
                if anonymous
                else GraphClient(
                    tokens=ProviderTokens(
                        teams_connections.get_default_connection(),
                        resource=GRAPH,
                        scope=GRAPH_SCOPE,
                    ),
                    base_url=settings.microsoft_graph_url,
                ),
            )
        # everyone's hours without asking: each person's zone, locale and platform schedule,
        # read at first sight and refreshed daily (Slack and Teams both tell them)
        defaults = PlatformDefaults(
            sessions=sessions,
            clock=clock,
            sources={
                name: platform
                for name, platform in platforms.items()
                if isinstance(platform, ScheduleSource)
            },
        )
        watcher = OffHoursWatcher(
            sessions=sessions,
            platforms=platforms,
            cipher=cipher,
            clock=clock,
            metrics=metrics,
            # one writer per process: events arriving together are committed together
            writes=GroupCommit(sessions),
        )
        delivery = DeliveryEngine(
            sessions=sessions,
            cipher=cipher,
            platforms=platforms,
            clock=clock,
            owner=owner,
            metrics=metrics,
            on_urgent_delivered=watcher.after_urgent,
            config=EngineConfig(
                lease_seconds=settings.delivery_lease_seconds,
                shutdown_grace_seconds=DELIVERY_GRACE_SECONDS,
                conversation_limits={"slack": SLACK_CHANNEL, "teams": TEAMS_CONVERSATION},
                workspace_limits={
                    "slack": slack_workspace(
                        settings.slack_workspace_rate, settings.slack_workspace_burst
                    ),
                    "teams": TEAMS_TENANT,
                },
                adopt_own_claims=adopt_own_claims,
            ),
        )
        digests = DigestService(
            sessions=sessions,
            platforms=platforms,
            clock=clock,
            owner=owner,
            cipher=cipher,
            metrics=metrics,
        )
        extras: dict[str, Any] = {}
        app = build_app(engine=engine, delivery_metrics=metrics, platforms=platform_modes(settings))
        add_readiness_check(app, keys_ready(cipher))
        add_legal_pages(
            app,
            Operator(
                name=settings.operator_name,
                contact=settings.operator_contact,
                activity_days=settings.activity_retention_days,
            ),
        )
        if (settings.slack_signing_secret or settings.slack_app_token) and "slack" in platforms:
            from adapters.slack.events import SlackEvents
            from adapters.slack.interactions import SlackInteractions
            from adapters.slack.platform import SlackPlatform
            from bot.services.autohold import AutoHoldService
            from bot.services.commands import CommandService
            from bot.services.compose import ComposeService

            slack_platform = platforms["slack"]
            assert isinstance(slack_platform, SlackPlatform)
            compose = ComposeService(
                sessions=sessions,
                cipher=cipher,
                clock=clock,
                wake=delivery.wake,
                actions={"slack": slack_platform},
                members={"slack": slack_platform},  # who may see or post where
                bot_presence={"slack"},  # slash commands work where the app is not
                metrics=metrics,
                seen=defaults.seen,  # a message's recipient is read before it is decided
            )
            interactions = SlackInteractions(
                commands=CommandService(
                    sessions=sessions,
                    cipher=cipher,
                    clock=clock,
                    compose=compose,
                    digests=digests,
                    people=slack_platform,
                    metrics=metrics,
                    defaults=defaults,
                ),
                compose=compose,
                sessions=sessions,
                cipher=cipher,
                clock=clock,
            )
            slack_events = SlackEvents(
                # Socket Mode alone has no signing secret and /slack/events is not mounted then;
                # SlackEvents still wants one: a throwaway that no request can match
                signing_secret=settings.slack_signing_secret or secrets.token_urlsafe(32),
                sessions=sessions,
                cipher=cipher,
                tokens=slack_tokens,
                watcher=watcher,
                clock=clock,
                api_url=settings.slack_api_url,
                interactions=interactions,
                autohold=AutoHoldService(
                    sessions=sessions,
                    cipher=cipher,
                    clock=clock,
                    actions={"slack": slack_platform},
                    wake=delivery.wake,
                    audiences=compose.audiences,
                ),
                defaults=defaults,
            )
            extras["slack_events"] = slack_events
            if settings.slack_signing_secret:
                slack_events.mount(app)
            if settings.slack_app_token:
                from adapters.slack.events import DURABLE_EVENTS
                from adapters.slack.socket_mode import SlackSocketMode

                # connects in runner.setup(), disconnects first in runner.cleanup()
                SlackSocketMode(
                    bolt=slack_events.bolt,
                    app_token=settings.slack_app_token,
                    api_url=settings.slack_api_url,
                    store_first=slack_events.store_first,
                    durable=DURABLE_EVENTS,
                ).mount(app)
        if settings.slack_client_id and settings.slack_client_secret:
            from adapters.slack.oauth import SlackInstall
            from adapters.slack.welcome import SlackWelcome
            from bot.services.onboarding import Onboarding

            SlackInstall(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                engine=engine,
                sessions=sessions,
                cipher=cipher,
                clock=clock,
                api_url=settings.slack_api_url,
                on_installed=[slack_tokens.forget],
                welcome=SlackWelcome(
                    platform=platforms["slack"],
                    onboarding=Onboarding(sessions=sessions, clock=clock),
                ),
            ).mount(app)
        if teams_connections is not None:
            from adapters.teams.app import TeamsBot
            from adapters.teams.platform import TeamsPlatform
            from bot.services.commands import CommandService
            from bot.services.compose import ComposeService
            from bot.services.onboarding import Onboarding

            teams_platform = platforms["teams"]
            assert isinstance(teams_platform, TeamsPlatform)
            # Teams has no schedule-send of its own: nothing to withdraw, the outbox does it all
            teams_compose = ComposeService(
                sessions=sessions,
                cipher=cipher,
                clock=clock,
                wake=delivery.wake,
                members={"teams": teams_platform},  # who may see or post where
                metrics=metrics,
                seen=defaults.seen,  # a message's recipient is read before it is decided
            )
            TeamsBot(
                app_id=settings.microsoft_app_id,
                app_password=settings.microsoft_app_password,
                tenant_id=settings.microsoft_app_tenant_id,
                sessions=sessions,
                cipher=cipher,
                clock=clock,
                connections=teams_connections,
                private=teams_platform.send_private,
                can_post=teams_platform.can_post,
                watcher=watcher,
                commands=CommandService(
                    sessions=sessions,
                    cipher=cipher,
                    clock=clock,
                    compose=teams_compose,
                    digests=digests,
                    people=teams_platform,  # team owners lead; Outlook hours via Graph
                    metrics=metrics,
                    defaults=defaults,
                ),
                compose=teams_compose,
                onboarding=Onboarding(sessions=sessions, clock=clock),
                defaults=defaults,
            ).mount(app)  # POST /api/messages, JWT-checked
    except BaseException:
        await engine.dispose()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        metrics=metrics,
        platforms=platforms,
        delivery=delivery,
        digests=digests,
        watcher=watcher,
        app=app,
        retention=RetentionJob(
            sessions=sessions,
            clock=clock,
            retention=Retention(activity_days=settings.activity_retention_days),
        ),
        defaults=defaults,
        extras=extras,
        insight_reports=WeeklyTeamInsight(
            sessions=sessions,
            clock=clock,
            senders={
                name: platform
                for name, platform in platforms.items()
                if isinstance(platform, ReplySender)
            },
            members=platforms,
        ),
    )


async def serve(settings: Settings, *, host: str = "0.0.0.0", migrate: bool = True) -> None:
    """Run the web app and the delivery engine until SIGINT/SIGTERM, then stop within 10 s."""
    runtime = await build_runtime(settings, migrate=migrate)
    clock, delivery, digests, app = runtime.clock, runtime.delivery, runtime.digests, runtime.app
    try:
        runner = web.AppRunner(
            # no probe lines at INFO, no OAuth query strings (their one-time code) ever
            app,
            shutdown_timeout=WEB_GRACE_SECONDS,
            access_log_class=QuietAccessLogger,
        )
        await runner.setup()
        try:
            await _listen(runner, host, settings.port)
        except BaseException:
            await runner.cleanup()
            raise
        log.info("Quiet Hours listening on %s:%d", host, settings.port)
        # What start-up built (modules, the app, the SDKs: some 200,000 objects) lives as long
        # as the process: out of the collector's sight, a full collection no longer walks it
        # all, which under load paused every request for 100-200 ms (bench.ingest's p99)
        gc.freeze()
        announce_teams(settings)
        if all(mode == "off" for mode in app[PLATFORMS_KEY].values()):
            log.warning("%s; serving health endpoints only", NO_PLATFORM)
        # APScheduler only ticks (bot.jobs): digests (with the weekly team insight and the
        # guard's questions to leaders), the daily clean-up, and the platform-defaults refresh
        scheduler = AsyncIOScheduler(timezone="UTC")
        digest_steps: list[Callable[[], Awaitable[object]]] = [digests.run_due]
        if runtime.insight_reports is not None:
            digest_steps.append(runtime.insight_reports.run_due)
        digest_steps.append(runtime.watcher.guard.ask_due)
        jobs = add_jobs(
            scheduler,
            now=clock.now(),
            digest=digest_steps,
            retention=runtime.retention.run,
            refresh=runtime.defaults.refresh_stale,
            refresh_seconds=REFRESH_TICK_SECONDS,
        )
        scheduler.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        delivering = asyncio.create_task(delivery.run(stop))
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(delivering, DELIVERY_GRACE_SECONDS + 1)
            scheduler.shutdown(wait=False)
            await stop_jobs(jobs)  # before the engine is disposed under a run still in flight
            await runner.cleanup()
    finally:
        await runtime.close()


async def _listen(runner: web.AppRunner, host: str, port: int) -> None:
    """Bind ``host:port``; a port in use (or not ours to take) is a ``StartupError``."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = "the port is already in use (another Quiet Hours, or another server?)"
            advice = "stop the other process or choose another port with PORT or --port"
        elif error.errno == errno.EACCES:
            reason = "permission denied (ports below 1024 need privileges)"
            advice = "choose a port above 1023 with PORT or --port"
        else:
            reason = one_line(error.strerror or str(error), limit=200)
            advice = "check --host and PORT"
        raise StartupError(f"cannot listen on {host}:{port}: {reason}; {advice}") from error
