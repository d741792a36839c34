"""A reply's chart, sent as a PNG file into the reader's direct message with the app.

Slack shows an image only from a public URL or as an uploaded file. We upload: it needs no
public address of our own (Socket Mode has none), the file stays in the one conversation only
its reader and the app are in, and nothing of ours serves the picture afterwards. The upload is
Slack's current one (``files.getUploadURLExternal``, a POST of the bytes to the URL it hands
out, ``files.completeUploadExternal`` into the DM), which slack-sdk's ``files_upload_v2`` makes;
the legacy ``files.upload`` is retired. Scope: ``files:write``.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.services.commands.replies import Chart

__all__ = ["send_chart"]

log = logging.getLogger(__name__)


async def send_chart(client: AsyncWebClient, person: str, chart: Chart, comment: str) -> str:
    """Upload ``chart`` into ``person``'s DM with the app, with ``comment`` above it; returns
    the DM's channel id. Raises slack-sdk's errors (the caller tells the person)."""
    opened = await client.conversations_open(users=person)
    channel = str((opened.get("channel") or {}).get("id", ""))
    await client.files_upload_v2(
        channel=channel,
        content=chart.png,
        filename=chart.filename,
        title=chart.title,
        alt_txt=chart.alt,
        initial_comment=comment,
    )
    return channel
