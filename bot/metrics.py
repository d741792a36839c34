"""Prometheus metrics for delivery: held, due, delivered, failed, retries, 429s and lag."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["DeliveryMetrics"]

LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DeliveryMetrics:
    """One registry per app, so tests and several engines in one process do not collide."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.held = Gauge("quiet_hours_held_messages", "Messages waiting in the outbox", registry=r)
        self.due = Gauge("quiet_hours_due_messages", "Held messages already due", registry=r)
        self.delivered = Counter("quiet_hours_delivered", "Held messages delivered", registry=r)
        self.failed = Counter(
            "quiet_hours_failed", "Held messages that failed for good", ["reason"], registry=r
        )
        self.retries = Counter(
            "quiet_hours_retries", "Transient failures retried with backoff", registry=r
        )
        self.rate_limited = Counter(
            "quiet_hours_rate_limited", "Platform answers of 429 (Retry-After obeyed)", registry=r
        )
        self.recovered = Counter(
            "quiet_hours_recovered",
            "Deliveries found already posted after a crash (not posted again)",
            registry=r,
        )
        self.lag = Histogram(
            "quiet_hours_delivery_lag_seconds",
            "Delivered minus due",
            buckets=LAG_BUCKETS,
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
