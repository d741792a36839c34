"""The one aiohttp application: health and readiness now; platform routes are added by adapters."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import DeliveryMetrics
from bot.storage.migrate import current_revision, head_revision

__all__ = ["ENGINE_KEY", "METRICS_KEY", "build_app"]

log = logging.getLogger(__name__)

ENGINE_KEY: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
METRICS_KEY: web.AppKey[DeliveryMetrics] = web.AppKey("metrics", DeliveryMetrics)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Never touches the database."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database answers and its schema is at the head migration."""
    engine = request.app[ENGINE_KEY]
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except Exception:  # any failure to reach the database means "not ready"
        log.warning("readiness check: database unreachable", exc_info=True)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    expected = head_revision()
    if revision != expected:
        return web.json_response(
            {"status": "unavailable", "database": "ok", "schema": revision, "expected": expected},
            status=503,
        )
    return web.json_response({"status": "ready", "database": "ok", "schema": revision})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of the delivery metrics."""
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


def build_app(*, engine: AsyncEngine, delivery_metrics: DeliveryMetrics) -> web.Application:
    app = web.Application(middlewares=[no_stack_traces])
    app[ENGINE_KEY] = engine
    app[METRICS_KEY] = delivery_metrics
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
