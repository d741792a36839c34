"""`GET /metrics` beyond delivery: commands, events, decisions, digests, labels, platform errors and
HTTP latency by route, counted from real signed Slack requests and read back over HTTP."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.integration import test_slack_commands as commands
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until_async

harness = commands.harness  # the /quiet suite's workspace: Legal, Friday 17:30 in Oslo
texts = commands.texts


async def scrape(
    harness: SlackHarness,
) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    """``/metrics`` as Prometheus reads it: the raw text, and each sample by name and labels."""
    url = harness.url.replace("/slack/events", "/metrics")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        body = await response.text()
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return body, samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_commands_decisions_and_labels_are_counted(harness: SlackHarness) -> None:
    assert "Held" in texts(await harness.command("U_OLA", "later Contract review"))
    assert "Posted now as urgent" in texts(await harness.command("U_OLA", "urgent Server down"))
    await harness.command("U_OLA", "help")
    await harness.command("U_OLA", "frobnicate")
    await harness.command("U_OLA", "hours tz Mars/Olympus")
    await harness.engine.run_until_idle()
    _, samples = await scrape(harness)
    commands = "quiet_hours_commands_total"
    assert value(samples, commands, verb="later", outcome="ok") == 1
    assert value(samples, commands, verb="urgent", outcome="ok") == 1
    assert value(samples, commands, verb="help", outcome="ok") == 1
    assert value(samples, commands, verb="unknown", outcome="refused") == 1  # never the raw word
    assert value(samples, commands, verb="hours", outcome="refused") == 1
    decisions = "quiet_hours_decisions_total"
    assert value(samples, decisions, decision="held") == 1
    assert value(samples, decisions, decision="delivered_now") == 1
    # an urgent post's thread is never labelled "no reply expected"
    assert value(samples, decisions, decision="labelled") == 0
    assert value(samples, "quiet_hours_labels_posted_total") == 0
    assert value(samples, "quiet_hours_delivered_total") == 1


async def test_events_digests_and_platform_errors_are_counted(harness: SlackHarness) -> None:
    await commands._saturday_thread(harness)
    # an event is counted once it is handled (recorded, then guarded): after its activity row
    events = "quiet_hours_events_total"

    async def both_counted() -> bool:
        _, samples = await scrape(harness)
        return value(samples, events, kind="channel_message", outcome="recorded") == 2

    await until_async(both_counted)
    harness.clock.set(commands.MONDAY_0800)
    harness.slack.faults.fail_next["chat.postMessage"] = [503]
    (run,) = await harness.digests.run_due()
    assert run.posted == 1
    _, samples = await scrape(harness)
    assert value(samples, events, kind="channel_message", outcome="recorded") == 2
    assert value(samples, "quiet_hours_digests_posted_total") == 1
    errors = "quiet_hours_platform_errors_total"
    assert value(samples, errors, platform="slack", kind="transient") == 1


async def test_http_latency_is_labelled_by_route_template_never_the_raw_path(
    harness: SlackHarness,
) -> None:
    await harness.command("U_OLA", "help")
    base = harness.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/no/such/page-4711", "/no/such/page-4712"):
            async with http.get(base + path):
                pass
        async with http.post(base + "/slack/events", data=b"unsigned") as response:
            assert response.status == 401
    body, samples = await scrape(harness)
    latency = "quiet_hours_http_request_duration_seconds_count"
    assert value(samples, latency, method="POST", route="/slack/events", status="200") == 1
    assert value(samples, latency, method="POST", route="/slack/events", status="401") == 1
    assert value(samples, latency, method="GET", route="/healthz", status="200") == 1
    assert value(samples, latency, method="GET", route="unmatched", status="404") == 2
    assert "page-4711" not in body
