"""Adaptive Cards (1.5) for command replies, held-message actions and the Send later dialog.

Pure functions from core values (:class:`Reply`) to JSON-ready dicts. The command layer writes
Slack's markup (``*bold*``, backticks, ``<@id>`` / ``<#id>``, ``/quiet verb``); here it becomes
what a Teams card shows: ``**bold**``, plain words, names, and verbs without the slash command.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, Literal

from adapters.teams.activities import ADAPTIVE_CARD
from adapters.teams.markup import emoji, neutral_markdown
from bot.domain.markup import unescape
from bot.domain.text_split import shorten, split_text
from bot.i18n import translate
from bot.services.commands import MAX_TEXT, Button, Reply

__all__ = [
    "EDIT_SAVE",
    "OFF_ADD",
    "OFF_VERBS",
    "Mode",
    "dialog_response",
    "edit_card",
    "invoke_card",
    "mentioned_ids",
    "notice_card",
    "reply_activity",
    "reply_card",
    "to_markdown",
]

Json = dict[str, Any]
#: ``execute``: buttons are ``Action.Execute`` (cards in a chat, answered in place);
#: ``submit``: ``Action.Submit`` (inside the Send later dialog, answered with the next dialog).
Mode = Literal["execute", "submit"]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
EDIT_SAVE = "held.edit.save"
#: A card keeps at most this many elements, and a TextBlock this many characters (longer text
#: takes several, split at safe places), so a reply stays far below Teams' ~100 KB message limit.
MAX_ELEMENTS = 120
MAX_BLOCK_TEXT = 4000
#: Characters of text a reply card carries at most: 30,000 is 60 KB in UTF-16, under the
#: 80 KB Microsoft recommends for a whole message ("Format your bot messages").
MAX_CARD_TEXT = 30_000
SUMMARY_LIMIT = 300
#: A reply's chart travels inside its card as a ``data:image/png;base64,…`` Image: Teams shows
#: it without a public URL of ours, and no one but the card's reader receives it. Teams limits
#: a bot message to about 28 KB (Teams docs, "Format your bot messages": message size), so the
#: picture goes in only when it and the card's text fit under this many characters together.
MAX_CARD_WITH_IMAGE = 26_000
#: Spans a split must not part: markdown links, bold, Teams mentions.
_ATOMS = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|\*\*[^*\n]+\*\*|<at>.*?</at>")

_STYLES = {"primary": "positive", "danger": "destructive"}
_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#])([^|>\s]+)(?:\|([^>]*))?>")
_SLASH = re.compile(r"/quiet\s+")
_BOLD = re.compile(r"(?<![*\w])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![*\w])")
_PEOPLE = ("29:", "28:", "8:")


def mentioned_ids(text: str) -> set[str]:
    """The ids a reply's canonical mentions name without a label (to look their names up)."""
    return {match.group(2) for match in _MENTION.finditer(text) if not match.group(3)}


def to_markdown(text: str, names: Mapping[str, str], locale: str) -> str:
    """The command layer's markup as Adaptive Card markdown, mentions as names, Slack emoji
    shortcodes as the emoji."""

    def mention(match: re.Match[str]) -> str:
        kind, who, label = match.group(1), match.group(2), match.group(3)
        if label:
            return f"#{label}" if kind == "#" else label
        if who in names:
            return names[who]
        if kind == "#" or not who.startswith(_PEOPLE):
            return translate("teams.card.elsewhere", locale)
        return translate("teams.someone", locale)

    text = neutral_markdown(text)  # people's text makes no link; ours is made just below
    text = _LINK.sub(r"[\2](\1)", text)
    text = _MENTION.sub(mention, text)
    text = _SLASH.sub("", text)
    text = _BOLD.sub(r"**\1**", text)
    # people's words were made inert for the command layer's markup (bot.domain.markup):
    # shown here as the characters, after every conversion, so none of them can form markup
    return emoji(unescape(text.replace("`", "")))


def _plain(markdown: str) -> str:
    return markdown.replace("**", "")


def _card(body: list[Json]) -> Json:
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}


def _text_blocks(markdown: str, *, attention: bool = False) -> list[Json]:
    blocks: list[Json] = []
    for line in markdown.split("\n"):
        if not line.strip():
            continue
        quoted = line.startswith("> ")
        for part in split_text(line[2:] if quoted else line, MAX_BLOCK_TEXT, atoms=_ATOMS):
            block: Json = {"type": "TextBlock", "text": part, "wrap": True}
            if quoted:
                block["isSubtle"] = True
            if blocks:
                block["spacing"] = "None"
            if attention and not blocks:
                block["color"] = "Attention"
            blocks.append(block)
    return blocks


def _action(button: Button, mode: Mode) -> Json:
    action: Json
    if mode == "execute":
        action = {
            "type": "Action.Execute",
            "title": button.label,
            "verb": button.action,
            "data": {"held": button.value},
        }
    else:
        action = {
            "type": "Action.Submit",
            "title": button.label,
            "data": {"verb": button.action, "held": button.value},
        }
    style = _STYLES.get(button.style or "")
    if style is not None:
        action["style"] = style
    return action


#: The buttons of the days-off section; on a card, "add" is a form with two date pickers.
OFF_ADD, OFF_CLEAR = "home.off_add", "home.off_clear"
#: The ``Action.Execute`` verbs the days-off form sends (with ``off_first``/``off_last``).
OFF_VERBS = {OFF_ADD: "off.add", OFF_CLEAR: "off.clear"}


def _days_off_form(locale: str) -> list[Json]:
    """Two ``Input.Date`` fields; their values come back in the ``off.add`` action's data."""
    return [
        {
            "type": "Input.Date",
            "id": field,
            "label": translate(label, locale),
            "isRequired": field == "off_first",
            "errorMessage": translate(label, locale),
        }
        for field, label in (("off_first", "home.off.first"), ("off_last", "home.off.last"))
    ]


def _days_off_action(button: Button) -> Json:
    action: Json = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": OFF_VERBS[button.action],
        "data": {"off": button.value},
    }
    if button.action == OFF_CLEAR:
        action["associatedInputs"] = "none"  # clearing needs no dates
        action["style"] = "destructive"
    return action


def reply_card(
    reply: Reply, *, names: Mapping[str, str] | None = None, mode: Mode = "execute"
) -> Json:
    """A command's answer: each section's text, then its buttons."""
    names = names or {}
    body: list[Json] = []
    carried = 0
    for index, section in enumerate(reply.sections):
        markdown = to_markdown(section.text, names, reply.locale)
        blocks = _text_blocks(markdown, attention=reply.error and index == 0)
        if blocks and body:
            blocks[0]["spacing"] = "Medium"
        actions = []
        for button in section.buttons:
            if button.action in OFF_VERBS and mode == "execute":
                if button.action == OFF_ADD:
                    blocks += _days_off_form(reply.locale)
                actions.append(_days_off_action(button))
            elif button.action not in OFF_VERBS:
                actions.append(_action(button, mode))
        carried += sum(len(block.get("text", "")) for block in blocks)
        too_many = len(body) + len(blocks) + (1 if actions else 0) > MAX_ELEMENTS
        if too_many or carried > MAX_CARD_TEXT:
            body.append({"type": "TextBlock", "text": "…", "wrap": True})
            break
        body += blocks
        if actions:
            body.append({"type": "ActionSet", "actions": actions})
    if reply.chart is not None:
        body += _chart(reply, carried)
    return _card(body or [{"type": "TextBlock", "text": " ", "wrap": True}])


def _chart(reply: Reply, carried: int) -> list[Json]:
    """The reply's chart as an inline Image, or a line saying it did not fit."""
    assert reply.chart is not None
    uri = "data:image/png;base64," + base64.b64encode(reply.chart.png).decode("ascii")
    if carried + len(uri) > MAX_CARD_WITH_IMAGE:
        text = translate("insight.chart.too_big", reply.locale)
        return [{"type": "TextBlock", "text": text, "wrap": True, "isSubtle": True}]
    return [
        {
            "type": "Image",
            "url": uri,
            "altText": reply.chart.alt,
            "size": "Stretch",
            "spacing": "Medium",
        }
    ]


def reply_activity(reply: Reply, *, names: Mapping[str, str] | None = None) -> Json:
    """A message carrying the reply's card; ``summary`` is its plain text for notifications.

    The plain text goes in ``summary``, not ``text``: Teams shows ``text`` *and* the card,
    so the answer would appear twice.
    """
    card = reply_card(reply, names=names)
    plain = _plain(to_markdown(reply.text, names or {}, reply.locale))
    summary = shorten(" ".join(plain.split()), SUMMARY_LIMIT)
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}],
    }


def notice_card(text: str, locale: str, *, error: bool = False) -> Json:
    """A card that only says something (what became of a held message, or why not)."""
    return reply_card(Reply.of(text, error=error, locale=locale))


def edit_card(
    held_id: str, body: str, locale: str, *, mode: Mode = "execute", problem: str | None = None
) -> Json:
    """The held message's text in a field, with Save (only its author ever gets this card)."""
    items: list[Json] = [
        {
            "type": "TextBlock",
            "text": translate("modal.edit.title", locale),
            "weight": "Bolder",
            "wrap": True,
        }
    ]
    if problem:
        items.append({"type": "TextBlock", "text": problem, "color": "Attention", "wrap": True})
    items.append(
        {
            "type": "Input.Text",
            "id": "text",
            "label": translate("modal.edit.label", locale),
            "isMultiline": True,
            # a text held before the limit was lowered is shown whole, never cut
            "maxLength": max(MAX_TEXT, len(body)),
            "value": body,
        }
    )
    save = Button(EDIT_SAVE, held_id, translate("button.save", locale), "primary")
    items.append({"type": "ActionSet", "actions": [_action(save, mode)]})
    return _card(items)


def invoke_card(card: Json) -> Json:
    """The ``adaptiveCard/action`` answer that replaces the clicked card with ``card``."""
    return {"statusCode": 200, "type": ADAPTIVE_CARD, "value": card}


def dialog_response(card: Json, title: str) -> Json:
    """A message extension's answer: show ``card`` in the (next) dialog."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "card": {"contentType": ADAPTIVE_CARD, "content": card},
            },
        }
    }
