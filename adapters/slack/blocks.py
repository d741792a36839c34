"""Block Kit for Quiet Hours: replies, modals and the App Home, built from core values."""

from __future__ import annotations

from typing import Any

from bot.domain.digest import DigestView
from bot.i18n import translate
from bot.services.commands import Reply, Section

__all__ = [
    "COMPOSE_CALLBACK",
    "EDIT_CALLBACK",
    "HOURS_CALLBACK",
    "compose_modal",
    "digest_blocks",
    "edit_modal",
    "home_view",
    "hours_modal",
    "reply_blocks",
]

Block = dict[str, Any]

EDIT_CALLBACK = "held.edit"
COMPOSE_CALLBACK = "compose"
HOURS_CALLBACK = "hours.edit"
#: Slack's limits: a section's text, a message's blocks, a view's blocks.
SECTION_LIMIT = 3000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def _section_blocks(section: Section, index: int) -> list[Block]:
    text = section.text or " "
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    blocks: list[Block] = [{"type": "section", "text": _text("mrkdwn", text)}]
    if section.buttons:
        elements = []
        for button in section.buttons:
            element: Block = {
                "type": "button",
                "action_id": button.action,
                "value": button.value,
                "text": _text("plain_text", button.label),
            }
            if button.style:
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "block_id": f"s{index}", "elements": elements})
    return blocks


def reply_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS) -> list[Block]:
    blocks: list[Block] = []
    for index, section in enumerate(reply.sections):
        more = _section_blocks(section, index)
        if len(blocks) + len(more) > limit:
            break
        blocks += more
    return blocks


def home_view(reply: Reply) -> Block:
    blocks: list[Block] = [
        {"type": "header", "text": _text("plain_text", translate("home.title", reply.locale))}
    ]
    for index, section in enumerate(reply.sections):
        more = _section_blocks(section, index)
        if len(blocks) + len(more) + 1 > VIEW_BLOCKS:
            break
        if index and section.text.startswith("*"):
            blocks.append({"type": "divider"})
        blocks += more
    return {"type": "home", "blocks": blocks}


def _modal(
    title: str,
    locale: str,
    blocks: list[Block],
    callback: str,
    metadata: str = "",
    submit: str | None = None,
) -> Block:
    return {
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "title": _text("plain_text", title[:24]),
        "submit": _text("plain_text", (submit or translate("button.save", locale))[:24]),
        "close": _text("plain_text", translate("button.close", locale)[:24]),
        "blocks": blocks,
    }


def _text_input(
    block_id: str,
    label: str,
    initial: str = "",
    *,
    multiline: bool = True,
    optional: bool = False,
    hint: str | None = None,
    max_length: int = 4000,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _text("plain_text", label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _text("plain_text", hint)
    return block


def edit_modal(held_id: str, body: str, locale: str) -> Block:
    return _modal(
        translate("modal.edit.title", locale),
        locale,
        [_text_input("text", translate("modal.edit.label", locale), body)],
        EDIT_CALLBACK,
        held_id,
    )


def hours_modal(spec: str | None, locale: str) -> Block:
    return _modal(
        translate("modal.hours.title", locale),
        locale,
        [
            _text_input(
                "hours",
                translate("modal.hours.label", locale),
                spec or "",
                multiline=False,
                optional=True,
                hint=translate("modal.hours.hint", locale),
                max_length=200,
            )
        ],
        HOURS_CALLBACK,
    )


def compose_modal(locale: str, *, text: str = "", conversation: str | None = None) -> Block:
    channel: Block = {
        "type": "conversations_select",
        "action_id": "value",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if conversation:
        channel["initial_conversation"] = conversation
    return _modal(
        translate("modal.compose.title", locale),
        locale,
        [
            {
                "type": "input",
                "block_id": "channel",
                "optional": True,
                "label": _text("plain_text", translate("modal.compose.where", locale)),
                "element": channel,
            },
            {
                "type": "input",
                "block_id": "person",
                "optional": True,
                "label": _text("plain_text", translate("modal.compose.person", locale)),
                "element": {"type": "users_select", "action_id": "value"},
            },
            _text_input("text", translate("modal.compose.text", locale), text),
            {
                "type": "input",
                "block_id": "urgent",
                "optional": True,
                "label": _text("plain_text", translate("modal.compose.options", locale)),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": _text("plain_text", translate("modal.compose.urgent", locale)),
                            "value": "urgent",
                        }
                    ],
                },
            },
        ],
        COMPOSE_CALLBACK,
        submit=translate("modal.compose.submit", locale),
    )


def digest_blocks(view: DigestView, links: dict[tuple[str, str], str]) -> list[Block]:
    """The digest: a header, one section per thread (link, first line, counts), a footer."""
    blocks: list[Block] = [{"type": "section", "text": _text("mrkdwn", view.header())}]
    shown = view.threads[: MESSAGE_BLOCKS - 4]
    for thread in shown:
        summary = view.summary(thread).removeprefix("• ")
        link = links.get((thread.conversation, thread.thread))
        where = f"<#{thread.conversation}>"
        title = f"{where} · <{link}|{summary}>" if link else f"{where} · {summary}"
        first = view.first_line(thread)
        text = title + (f"\n> {first}" if first else "")
        blocks.append({"type": "section", "text": _text("mrkdwn", text[:SECTION_LIMIT])})
    hidden = len(view.threads) - len(shown)
    if hidden > 0:
        blocks.append({"type": "context", "elements": [_text("mrkdwn", f"+{hidden}")]})
    blocks.append({"type": "divider"})
    blocks.append({"type": "context", "elements": [_text("mrkdwn", view.footer())]})
    return blocks
