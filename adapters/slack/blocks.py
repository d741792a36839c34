"""Block Kit for Quiet Hours: replies, modals and the App Home, built from core values.

Every builder keeps Slack's documented limits by construction (:mod:`adapters.slack.limits`):
long text is split over several sections at safe places (:mod:`adapters.slack.mrkdwn`), never
cut inside markup; labels and titles are shortened whole; block counts stay under the surface's
ceiling, with a last line saying what was left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from adapters.slack.guard_blocks import reader_time
from adapters.slack.limits import (
    ACTIONS_ELEMENTS,
    BUTTON_TEXT,
    FALLBACK_TEXT,
    HEADER_TEXT,
    INPUT_MAX_LENGTH,
    MESSAGE_BLOCKS,
    OPTION_TEXT,
    PRIVATE_METADATA,
    SECTION_TEXT,
    VIEW_BLOCKS,
    VIEW_TITLE,
)
from adapters.slack.mrkdwn import shorten_mrkdwn, split_mrkdwn
from bot.domain.digest import DigestView
from bot.domain.hours_syntax import display_spec
from bot.domain.text_split import shorten, split_text
from bot.i18n import render_instants, translate, translate_plural
from bot.services.commands import Reply, Section

__all__ = [
    "COMPOSE_CALLBACK",
    "EDIT_CALLBACK",
    "HOURS_CALLBACK",
    "ModalForm",
    "compose_modal",
    "compose_thread",
    "digest_blocks",
    "edit_modal",
    "fallback_text",
    "home_view",
    "hours_modal",
    "reply_blocks",
]

Block = dict[str, Any]

EDIT_CALLBACK = "held.edit"
COMPOSE_CALLBACK = "compose"
HOURS_CALLBACK = "hours.edit"


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def fallback_text(text: str) -> str:
    """A message's ``text`` beside its blocks: what notifications show, kept under Slack's
    recommended 4,000 characters (the blocks carry the whole)."""
    return shorten_mrkdwn(text, FALLBACK_TEXT)


def text_sections(text: str) -> list[Block]:
    """``text`` as sections of at most 3,000 characters each, split only at safe places."""
    return [
        {"type": "section", "text": _text("mrkdwn", part)}
        for part in split_mrkdwn(text, SECTION_TEXT)
        if part.strip()
    ] or [{"type": "section", "text": _text("mrkdwn", " ")}]


def _section_blocks(section: Section, index: int) -> list[Block]:
    blocks = text_sections(section.text)
    if section.buttons:
        elements = []
        for button in section.buttons:
            element: Block = {
                "type": "button",
                "action_id": button.action,
                "value": button.value,
                "text": _text("plain_text", shorten(button.label, BUTTON_TEXT)),
            }
            if button.style:
                element["style"] = button.style
            elements.append(element)
        blocks.append(
            {"type": "actions", "block_id": f"s{index}", "elements": elements[:ACTIONS_ELEMENTS]}
        )
    return blocks


_LEFT_OUT: Block = {"type": "context", "elements": [_text("mrkdwn", "…")]}


def reply_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS) -> list[Block]:
    """A reply's sections and buttons, at most ``limit`` blocks (the last says "…" if cut)."""
    blocks: list[Block] = []
    for index, section in enumerate(reply.sections):
        more = _section_blocks(section, index)
        if len(blocks) + len(more) > limit - 1:
            blocks += _text_only(more)[: limit - 1 - len(blocks)]
            blocks.append(_LEFT_OUT)
            break
        blocks += more
    return blocks


def _text_only(blocks: list[Block]) -> list[Block]:
    """A section's blocks without its buttons: what may be shown of a section cut short."""
    return [block for block in blocks if block["type"] == "section"]


def home_view(reply: Reply) -> Block:
    """The App Home: a header, then the reply's sections, dividers before headings."""
    title = shorten(translate("home.title", reply.locale), HEADER_TEXT)
    blocks: list[Block] = [{"type": "header", "text": _text("plain_text", title)}]
    for index, section in enumerate(reply.sections):
        more = _section_blocks(section, index)
        if len(blocks) + len(more) + 2 > VIEW_BLOCKS:
            blocks += _text_only(more)[: VIEW_BLOCKS - 1 - len(blocks)]
            blocks.append(_LEFT_OUT)
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
        "title": _text("plain_text", shorten(title, VIEW_TITLE)),
        "submit": _text(
            "plain_text", shorten(submit or translate("button.save", locale), VIEW_TITLE)
        ),
        "close": _text("plain_text", shorten(translate("button.close", locale), VIEW_TITLE)),
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
    max_length: int = INPUT_MAX_LENGTH,
) -> Block:
    """A ``plain_text_input``; ``initial`` must be plain text that fits (callers split it)."""
    max_length = max(1, min(max_length, INPUT_MAX_LENGTH))
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = shorten(initial, max_length)
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


@dataclass(frozen=True)
class ModalForm:
    """What a modal keeps in ``private_metadata`` (≤ 3,000 characters): the held message edited,
    what follows each part of its text (a text longer than one input is edited in parts), and —
    for a text that goes out as its author's own Slack text (``markup``) — which plain words stand
    for markup (``@Kari`` → ``<@U1>``, see :func:`mrkdwn.to_plain`)."""

    held_id: str
    joins: tuple[str, ...] = ("",)
    restore: tuple[tuple[str, str], ...] = ()
    markup: bool = False

    @property
    def block_ids(self) -> list[str]:
        """The input blocks holding the parts, in order."""
        return ["text"] + [f"text.{number}" for number in range(2, len(self.joins) + 1)]

    def dump(self) -> str:
        """As JSON within Slack's limit; restorable words are dropped last-first if need be."""
        restore = list(self.restore)
        while True:
            raw = json.dumps(
                {
                    "held": self.held_id,
                    "joins": list(self.joins),
                    "restore": restore,
                    "markup": self.markup,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            )
            if len(raw) <= PRIVATE_METADATA or not restore:
                return raw
            restore.pop()

    @classmethod
    def load(cls, raw: str) -> ModalForm:
        """From ``private_metadata``; a bare id (from a modal opened before parts) is one part."""
        try:
            data = json.loads(raw) if raw.startswith("{") else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(held_id=raw)
        joins = tuple(str(join) for join in data.get("joins") or [""])
        pairs = data.get("restore") or []
        restore = tuple(
            (str(pair[0]), str(pair[1]))
            for pair in pairs
            if isinstance(pair, list) and len(pair) == 2
        )
        return cls(
            held_id=str(data.get("held", "")),
            joins=joins,
            restore=restore,
            markup=bool(data.get("markup")),
        )

    def joined(self, values: list[str]) -> str:
        """The submitted parts as one plain text, each followed by what followed it before."""
        return "".join(
            (value.rstrip() if index < len(values) - 1 else value) + join
            for index, (value, join) in enumerate(zip(values, self.joins, strict=False))
        )


def edit_modal(
    held_id: str, plain: str, locale: str, restore: dict[str, str] | None = None
) -> Block | None:
    """The held message's *plain* text to edit, in one input or — past Slack's 3,000-character
    input limit — in parts of at most 3,000, each cut at a safe place. ``None`` if it would take
    more inputs than a modal may hold (it cannot be edited in a modal).

    ``restore`` is given for a text kept as Slack markup (posted as its author): the submitted
    plain text is then escaped and its mentions and links restored.
    """
    markup = restore is not None
    restore = restore or {}
    words = "|".join(map(re.escape, sorted(restore, key=len, reverse=True)))
    atoms = re.compile(words) if words else None
    parts = split_text(plain, INPUT_MAX_LENGTH, atoms=atoms) or [""]
    if len(parts) > VIEW_BLOCKS - 1:
        return None
    shown = [part.rstrip() for part in parts]
    joins = tuple(part[len(kept) :] for part, kept in zip(parts, shown, strict=True))
    form = ModalForm(held_id, joins, tuple(restore.items()), markup)
    blocks: list[Block] = []
    for number, (block_id, part) in enumerate(zip(form.block_ids, shown, strict=True), 1):
        if len(parts) == 1:
            label, hint = translate("modal.edit.label", locale), None
        else:
            label = translate("modal.edit.part", locale, number=number, count=len(parts))
            hint = translate("modal.edit.parts_hint", locale) if number == 1 else None
        blocks.append(_text_input(block_id, label, part, hint=hint, optional=number > 1))
    return _modal(translate("modal.edit.title", locale), locale, blocks, EDIT_CALLBACK, form.dump())


def hours_modal(spec: str | None, locale: str) -> Block:
    return _modal(
        translate("modal.hours.title", locale),
        locale,
        [
            _text_input(
                "hours",
                translate("modal.hours.label", locale),
                display_spec(spec, locale) if spec else "",
                multiline=False,
                optional=True,
                hint=translate("modal.hours.hint", locale),
                max_length=200,
            )
        ],
        HOURS_CALLBACK,
    )


def compose_modal(
    locale: str,
    *,
    text: str = "",
    conversation: str | None = None,
    hint: str | None = None,
    thread: str | None = None,
) -> Block:
    """Send later: where, to whom, the *plain* text (≤ 3,000 characters), urgent or not.

    ``thread`` (a thread's ``thread_ts`` in ``conversation``: the shortcut was used on a reply)
    is kept in the modal's ``private_metadata``; :func:`compose_thread` reads it back when the
    form is sent.
    """
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
            _text_input("text", translate("modal.compose.text", locale), text, hint=hint),
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
                            "text": _text(
                                "plain_text",
                                shorten(translate("modal.compose.urgent", locale), OPTION_TEXT),
                            ),
                            "value": "urgent",
                        }
                    ],
                },
            },
        ],
        COMPOSE_CALLBACK,
        metadata=_compose_metadata(conversation, thread),
        submit=translate("modal.compose.submit", locale),
    )


def _compose_metadata(conversation: str | None, thread: str | None) -> str:
    if not conversation or not thread:
        return ""
    return json.dumps({"channel": conversation, "thread": thread}, separators=(",", ":"))


def compose_thread(metadata: str, channel: str | None) -> str | None:
    """The thread Send later's modal was opened from (:func:`compose_modal`), if the form was
    sent for that same channel: a thread belongs to its channel, so another channel chosen in
    the form (or a person) means a new post there. None for a modal opened without one."""
    try:
        data = json.loads(metadata) if metadata.startswith("{") else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not channel or data.get("channel") != channel:
        return None
    thread = data.get("thread")
    return thread if isinstance(thread, str) and thread else None


def digest_blocks(view: DigestView, links: dict[tuple[str, str], str]) -> list[Block]:
    """The digest: a header, one section per thread (link, first line, counts), a footer.

    At most 50 blocks: threads past what fits are counted in a last line ("… and 12 more").
    """
    blocks: list[Block] = text_sections(render_instants(view.header(), reader_time))[:1]
    shown = view.threads[: MESSAGE_BLOCKS - 4]
    for thread in shown:
        marked = view.summary(thread).removeprefix("• ")
        link = links.get((thread.conversation, thread.thread))
        where = f"<#{thread.conversation}>"
        # the thread's start, in each reader's zone, is the link to it (a date token cannot
        # sit inside a link's label); with no date to carry it, the whole line links
        summary = render_instants(marked, partial(reader_time, link=link))
        if link and summary == render_instants(marked):
            title = f"{where} · <{link}|{_link_label(summary)}>"
        else:
            title = f"{where} · {summary}"
        first = view.first_line(thread)
        text = title + (f"\n> {first}" if first else "")
        blocks.append(
            {"type": "section", "text": _text("mrkdwn", shorten_mrkdwn(text, SECTION_TEXT))}
        )
    hidden = len(view.threads) - len(shown)
    if hidden > 0:
        more = translate_plural("digest.more", hidden, view.locale)
        blocks.append({"type": "context", "elements": [_text("mrkdwn", more)]})
    blocks.append({"type": "divider"})
    blocks.append({"type": "context", "elements": [_text("mrkdwn", view.footer())]})
    return blocks


def _link_label(text: str) -> str:
    """Text for inside ``<url|…>``: no ``|`` or ``>`` may end the link early."""
    return text.replace("|", "¦").replace(">", "›").replace("<", "‹")
