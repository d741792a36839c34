"""What a modal's text field shows: stored Slack text as plain text, names looked up in Slack.

A ``plain_text_input`` shows its ``initial_value`` literally, so markup must not go in: ``<@U1>``
becomes ``@Kari`` (``users.info``), ``<#C1>`` becomes ``#general`` (``conversations.info``),
``&lt;`` becomes ``<`` — and :func:`adapters.slack.mrkdwn.from_plain` puts the markup back on
submit. A field holds at most :data:`MAX_TEXT` characters (Slack allows 3,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.mrkdwn import mentioned, to_plain
from bot.domain.text_split import shorten
from bot.i18n import translate
from bot.services.commands import MAX_TEXT

__all__ = ["display_name", "editable", "forwarded", "names_in"]

#: People and channels looked up for one text, at most (each is one Web API call).
MAX_LOOKUPS = 50


async def names_in(client: AsyncWebClient, text: str) -> dict[str, str]:
    """Names of the people and channels ``text`` mentions by id (``U1`` → ``Kari``), as far as
    Slack tells; what it does not tell stays an id."""
    people, channels = mentioned(text)
    names: dict[str, str] = {}
    for user in sorted(people)[:MAX_LOOKUPS]:
        try:
            found = (await client.users_info(user=user)).get("user") or {}
        except Exception:  # not found, or no scope: the id stays
            continue
        profile = found.get("profile") or {}
        name = profile.get("display_name") or found.get("real_name") or found.get("name")
        if name:
            names[user] = str(name)
    for channel in sorted(channels)[:MAX_LOOKUPS]:
        try:
            found = (await client.conversations_info(channel=channel)).get("channel") or {}
        except Exception:
            continue
        if found.get("name"):
            names[channel] = str(found["name"])
    return names


async def editable(client: AsyncWebClient, stored: str) -> tuple[str, dict[str, str]]:
    """A held message's stored text as plain text, and how to restore its markup."""
    return to_plain(stored, await names_in(client, stored))


async def display_name(client: AsyncWebClient, person: str) -> str:
    """A person's name as people read it (``users.info``), or their id if Slack cannot say."""
    try:
        found = await client.users_info(user=person)
    except Exception:
        return person
    user = found.get("user") or {}
    return str(user.get("real_name") or user.get("name") or person)


async def forwarded(
    client: AsyncWebClient, message: Mapping[str, Any], locale: str
) -> tuple[str, str | None]:
    """A message someone forwards (message shortcut) as the compose field's plain text — their
    own words to send on, so without markup: the author's and mentioned people's names, not
    mentions — and a hint if it had to be shortened to :data:`MAX_TEXT`."""
    text = str(message.get("text", ""))
    plain, _ = to_plain(text, await names_in(client, text))
    author = message.get("user")
    if author:
        name = await display_name(client, str(author))
        plain = translate("modal.compose.forwarded", locale, author=name) + "\n" + plain
    if len(plain) <= MAX_TEXT:
        return plain, None
    hint = translate("modal.compose.shortened", locale, limit=MAX_TEXT)
    return shorten(plain, MAX_TEXT), hint
