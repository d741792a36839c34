"""Times in a channel are shown in each reader's own zone; a private answer in the reader's.

Field report: in a team with ``tz America/New_York`` and Oslo members, the off-hours label read
"…from Mon 02:00 America/New_York" as plain text, and Kari's ``/quiet digest`` preview in Oslo
said "startet lør. 05:00" — New York's clock, with no zone. The team Legal (C_TEAM) moves to
New York; Ola starts a thread on Saturday 28 November 2026 at 10:00 UTC (11:00 in Oslo).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.integration import test_slack_commands as commands
from tests.integration.test_access_slack import texts
from tests.integration.test_slack_commands import _saturday_thread
from tests.support.slack_app import SlackHarness
from tests.support.waiting import until

harness = commands.harness  # Friday 17:30 in Oslo; Lea leads Legal; Kari reads bokmål
MONDAY_0800_NEW_YORK = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


async def test_channel_times_are_each_readers_and_private_ones_the_askers(
    harness: SlackHarness,
) -> None:
    moved = texts(await harness.command("U_LEAD", "team hours mon-fri 08-16 tz America/New_York"))
    assert "tz America/New_York" in moved
    await harness.command("U_LEAD", "team mode label")  # off-hours threads are labelled
    await _saturday_thread(harness)
    await until(lambda: any(m.thread_ts for m in harness.slack.posted("C_TEAM")))
    labels = [
        m.text
        for m in harness.slack.posted("C_TEAM")
        if m.thread_ts and m.text.startswith("No reply expected")
    ]
    assert len(labels) == 1, [m.text for m in harness.slack.posted("C_TEAM")]
    label = labels[0]
    stamp = int(MONDAY_0800_NEW_YORK.timestamp())
    # Slack shows each reader the instant in their own zone; New York only in the fallback
    assert f"<!date^{stamp}^{{date_short_pretty}} {{time}}|Mon 08:00 America/New_York>" in label

    # Kari, in Oslo, previews the digest an hour later: the thread began at 11:00 her time
    harness.clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=UTC))
    preview = texts(await harness.command("U_KARI", "digest"))
    assert "startet lør. 11:00" in preview, preview
    assert "05:00" not in preview

    # the digest itself, in the channel: its times are Slack date tokens too
    harness.clock.set(MONDAY_0800_NEW_YORK)
    [_run] = await harness.digests.run_due()
    [digest] = [m for m in harness.slack.posted("C_TEAM") if m.blocks and not m.thread_ts]
    shown = json.dumps(digest.blocks)
    assert "since <!date^" in shown and "started <!date^" in shown
    assert "America/New_York" not in shown.replace("|", "\n").split("<!date")[0]
