"""Prometheus metrics: delivery (held, due, delivered, failed, retries, 429s, lag) and the rest of
the work (commands and events by kind and outcome, decisions, digests and labels posted, platform
errors by kind, HTTP latency by route).

Label values are always from small fixed sets (a verb we know, a route template, an error kind),
never raw input: a label per path or per typed word would grow without bound.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["DeliveryMetrics"]

#: Seconds; our answers are meant to come well within Slack's 3 s acknowledgement window.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DeliveryMetrics:
    """All of one app's metrics in one registry (one per app, so tests and several engines in
    one process do not collide). Services take it as an optional ``metrics`` argument."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.held = Gauge("quiet_hours_held_messages", "Messages waiting in the outbox", registry=r)
        self.due = Gauge("quiet_hours_due_messages", "Held messages already due", registry=r)
        self.delivered = Counter("quiet_hours_delivered", "Held messages delivered", registry=r)
        self.failed = Counter(
            "quiet_hours_failed", "Held messages that failed for good", ["reason"], registry=r
        )
        self.undecryptable = Counter(
            "quiet_hours_undecryptable",
            "Held messages the configured keys could not read (kept and retried, never failed)",
            registry=r,
        )
        self.retries = Counter(
            "quiet_hours_retries", "Transient failures retried with backoff", registry=r
        )
        self.rate_limited = Counter(
            "quiet_hours_rate_limited", "Platform answers of 429 (Retry-After obeyed)", registry=r
        )
        self.late_slots = Counter(
            "quiet_hours_late_slots",
            "Send slots given back unused because the post would have gone out too late",
            registry=r,
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

        self.commands = Counter(
            "quiet_hours_commands",
            "/quiet commands by verb (unknown: any other word) and outcome (ok, refused, failed)",
            ["verb", "outcome"],
            registry=r,
        )
        self.events = Counter(
            "quiet_hours_events",
            "Channel messages seen, by kind and outcome (ignored, recorded, labelled)",
            ["kind", "outcome"],
            registry=r,
        )
        self.decisions = Counter(
            "quiet_hours_decisions",
            "Decisions: held, delivered_now (composed messages) and labelled (threads)",
            ["decision"],
            registry=r,
        )
        self.digests_posted = Counter(
            "quiet_hours_digests_posted", "Digest messages posted", registry=r
        )
        self.labels_posted = Counter(
            "quiet_hours_labels_posted", "Off-hours labels posted on threads", registry=r
        )
        self.platform_errors = Counter(
            "quiet_hours_platform_errors",
            "Failed Slack/Teams calls by platform and kind (transient, rate_limited, permanent)",
            ["platform", "kind"],
            registry=r,
        )
        self.http_latency = Histogram(
            "quiet_hours_http_request_duration_seconds",
            "HTTP request latency by method, route template (never the raw path) and status",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
