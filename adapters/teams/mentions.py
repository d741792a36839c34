"""A Teams message's text as the command layer reads it: the bot's @mention gone, others canonical.

Teams writes mentions into ``text`` as ``<at>Ola</at>`` and names who they are in the activity's
``mention`` entities. The command layer reads one canonical form on every platform:
``<@PERSON|name>`` for people and ``<#CHANNEL|name>`` for channels (Slack's own syntax).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from bot.domain.markup import WORD_JOINER

__all__ = ["command_text"]

_LEFTOVER = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")
_PARAGRAPHS = re.compile(r"\n{3,}")
_UNSAFE = re.compile(r"[|<>\n]")
_FORGED = re.compile(r"<[@#!]")
#: Channel (and chat) ids are ``19:…@thread…``; people are ``29:…`` (bots ``28:…``).
_CONVERSATION = "19:"


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _canonical(mentioned: Mapping[str, Any]) -> str | None:
    who = mentioned.get("id")
    if not isinstance(who, str) or not who or _UNSAFE.search(who) or " " in who:
        return None
    name = _UNSAFE.sub(" ", str(mentioned.get("name") or "")).strip()
    mark = "#" if who.startswith(_CONVERSATION) else "@"
    return f"<{mark}{who}|{name}>" if name else f"<{mark}{who}>"


def command_text(activity: Mapping[str, Any]) -> str:
    """The words after the bot's mention, with every other mention in canonical form."""
    text = activity.get("text")
    if not isinstance(text, str):
        return ""
    bot = _dict(activity.get("recipient")).get("id")
    # Mentions become placeholders first, so unescaping the rest cannot forge one.
    found: list[str] = []
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        tag = entity.get("text")
        if entity.get("type") != "mention" or not isinstance(tag, str) or tag not in text:
            continue
        mentioned = _dict(entity.get("mentioned"))
        if mentioned.get("id") == bot:
            replacement = ""
        else:
            replacement = _canonical(mentioned) or _LEFTOVER.sub(r"\1", tag)
        found.append(replacement)
        text = text.replace(tag, f"\x00{len(found) - 1}\x00", 1)
    text = _LEFTOVER.sub(r"\1", text)  # a mention Teams sent no entity for: its name
    # typed "<@29:…>" or "<#19:…>" (Teams sends it escaped) is text, never a mention: only
    # Teams' own entities name a person or channel, so no one can name an id they do not see
    text = _FORGED.sub(
        lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], html.unescape(_TAG.sub(" ", text))
    )
    for index, replacement in enumerate(found):
        text = text.replace(f"\x00{index}\x00", f" {replacement} " if replacement else " ")
    lines = [_BLANKS.sub(" ", line).strip() for line in text.splitlines()]
    return _PARAGRAPHS.sub("\n\n", "\n".join(lines)).strip()
