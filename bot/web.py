"""The one aiohttp application: health, readiness, metrics; platform routes are added by adapters.

``/readyz`` runs a list of readiness checks (``add_readiness_check`` adds one): each puts its
fields into the JSON answer and may name a problem, which makes the answer 503.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import DeliveryMetrics
from bot.settings import Settings
from bot.storage.crypto import Cipher
from bot.storage.keycheck import check_keys
from bot.storage.migrate import current_revision, head_revision

__all__ = [
    "ENGINE_KEY",
    "METRICS_KEY",
    "NO_PLATFORM",
    "PLATFORMS_KEY",
    "PROBE_PATHS",
    "QuietProbesAccessLogger",
    "Readiness",
    "ReadinessCheck",
    "add_readiness_check",
    "build_app",
    "keys_ready",
    "platform_modes",
    "route_template",
]

log = logging.getLogger(__name__)

ON, OFF = "on", "off"
#: /readyz's word for Teams served without tokens (``QH_TEAMS_ANONYMOUS=1``).
TEAMS_ANONYMOUS = "anonymous (local testing only)"
NO_PLATFORM = (
    "no chat platform configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or "
    "SLACK_APP_TOKEN for Socket Mode, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install by "
    "OAuth) or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD"
)
#: Polled by load balancers and Prometheus every few seconds: not worth an access-log line.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

ENGINE_KEY: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
METRICS_KEY: web.AppKey[DeliveryMetrics] = web.AppKey("metrics", DeliveryMetrics)
PLATFORMS_KEY: web.AppKey[dict[str, str]] = web.AppKey("platforms", dict[str, str])
READINESS_KEY: web.AppKey[list[ReadinessCheck]] = web.AppKey("readiness", list)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Never touches the database."""
    return web.json_response({"status": "ok"})


def platform_modes(settings: Settings) -> dict[str, str]:
    """How each chat platform is served, as the composition root mounts it.

    ``slack``: ``oauth`` (installs by OAuth), ``socket-mode`` (events over SLACK_APP_TOKEN),
    ``http`` (signed events at /slack/events) or ``off`` (no way for events to arrive);
    ``teams``: ``on`` (MICROSOFT_APP_ID set: tokens checked), ``anonymous (local testing only)``
    (no app id and ``QH_TEAMS_ANONYMOUS=1``: loopback only) or ``off``.
    """
    slack = OFF
    has_slack = settings.slack_bot_token or settings.slack_client_id
    if has_slack and (settings.slack_signing_secret or settings.slack_app_token):
        if settings.slack_client_id and settings.slack_client_secret:
            slack = "oauth"
        elif settings.slack_app_token:
            slack = "socket-mode"
        else:
            slack = "http"
    teams = OFF
    if settings.microsoft_app_id:
        teams = ON
    elif settings.teams_anonymous:
        teams = TEAMS_ANONYMOUS
    return {"slack": slack, "teams": teams}


class QuietProbesAccessLogger(AccessLogger):
    """aiohttp's access log without the health and metrics probes (``PROBE_PATHS``).

    Those arrive every few seconds from load balancers and Prometheus and would bury the lines
    that matter; at DEBUG they are logged too.
    """

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.path in PROBE_PATHS and not self.logger.isEnabledFor(logging.DEBUG):
            return
        super().log(request, response, time)


@dataclass(frozen=True)
class Readiness:
    """One readiness check's answer: ``fields`` go into ``/readyz``'s JSON as they are;
    ``problem`` (one line for an operator) makes the whole answer 503."""

    fields: Mapping[str, object]
    problem: str | None = None


#: A readiness check: looks at the app (its engine, its platforms …) and answers.
ReadinessCheck = Callable[[web.Application], Awaitable[Readiness]]


async def database_ready(app: web.Application) -> Readiness:
    """The database answers and its schema is at the head migration."""
    engine = app[ENGINE_KEY]
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except Exception:  # any failure to reach the database means "not ready"
        log.warning("readiness check: database unreachable", exc_info=True)
        return Readiness({"database": "unreachable"}, "database unreachable")
    expected = head_revision()
    if revision != expected:
        return Readiness(
            {"database": "ok", "schema": revision, "expected": expected},
            "database schema is not at the newest migration: run `quiet-hours migrate`",
        )
    return Readiness({"database": "ok", "schema": revision})


async def platforms_ready(app: web.Application) -> Readiness:
    """Which chat platforms this process serves; with none it is of no use (503)."""
    served = app[PLATFORMS_KEY]
    modes = dict(served)
    if all(mode == OFF for mode in modes.values()):
        return Readiness({"platforms": modes}, NO_PLATFORM)
    return Readiness({"platforms": modes})


def keys_ready(cipher: Cipher) -> ReadinessCheck:
    """A check that the configured keys can read the stored data (``keys``: ``ok`` or one line
    saying what cannot be read and what to do; see bot.storage.keycheck)."""

    async def check(app: web.Application) -> Readiness:
        try:
            async with app[ENGINE_KEY].connect() as connection:
                found = await check_keys(connection, cipher)
        except Exception:  # no database or an old schema: database_ready says which
            log.debug("readiness check: could not read stored samples", exc_info=True)
            return Readiness({"keys": "unknown"})
        return Readiness({"keys": found.describe()}, None if found.ok else found.describe())

    return check


def add_readiness_check(app: web.Application, check: ReadinessCheck) -> None:
    """Have ``/readyz`` run ``check`` too (after those already added)."""
    app[READINESS_KEY].append(check)


async def readyz(request: web.Request) -> web.Response:
    """Readiness: every check's fields, 200 ``ready`` or 503 ``unavailable`` with the problems.

    All checks run, in order, even after a problem: an operator wants the whole picture.
    """
    body: dict[str, object] = {}
    problems: list[str] = []
    for check in request.app[READINESS_KEY]:
        answer = await check(request.app)
        body.update(answer.fields)
        if answer.problem is not None:
            problems.append(answer.problem)
    if problems:
        unready = {"status": "unavailable", **body, "problems": problems}
        return web.json_response(unready, status=503)
    return web.json_response({"status": "ready", **body})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of the app's metrics (``bot.metrics``)."""
    body = request.app[METRICS_KEY].render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


@web.middleware
async def no_stack_traces(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unexpected errors become a plain 500 without internals; HTTP errors pass through."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


#: The route label of a request that matched no route (404s, probes for random paths).
UNMATCHED = "unmatched"


def route_template(request: web.Request) -> str:
    """The matched route's template (``/slack/events``, ``/x/{id}``), never the raw path:
    a label per path would let anyone grow the metrics without bound."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Observe each request's latency in ``quiet_hours_http_request_duration_seconds``."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        request.app[METRICS_KEY].http_latency.labels(
            method=request.method, route=route_template(request), status=str(status)
        ).observe(time.perf_counter() - started)


def build_app(
    *,
    engine: AsyncEngine,
    delivery_metrics: DeliveryMetrics,
    platforms: Mapping[str, str] | None = None,
) -> web.Application:
    """The app with ``/healthz``, ``/readyz`` and ``/metrics``; adapters add their routes.

    ``platforms`` maps each chat platform to how it is served (``platform_modes``); without it
    ``/readyz`` reports no platform (tests that mount an adapter themselves need not say).
    """
    app = web.Application(middlewares=[timed, no_stack_traces])
    app[ENGINE_KEY] = engine
    app[METRICS_KEY] = delivery_metrics
    app[PLATFORMS_KEY] = dict(platforms or {})
    checks: list[ReadinessCheck] = [database_ready, platforms_ready]
    app[READINESS_KEY] = checks
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
