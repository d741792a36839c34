"""Slack's documented size limits, and a checker that reads Block Kit the way slack-sdk does.

Sources (docs.slack.dev): "Block Kit" and the block reference (≤ 50 blocks in a message,
≤ 100 in a modal or Home tab; a section's text ≤ 3,000 characters; a header's ≤ 150; a
context ≤ 10 elements; an actions block ≤ 25), the composition objects (a text object
≤ 3,000 characters; a button's text ≤ 75, its value ≤ 2,000; an option's text ≤ 75;
``action_id`` and ``block_id`` ≤ 255), the ``plain_text_input`` element (``max_length``
1–3,000), the view object (title, submit and close ≤ 24 characters, ``private_metadata``
≤ 3,000) and ``chat.postMessage`` (``text`` is truncated past 40,000 characters; Slack
recommends keeping it under 4,000).

:func:`block_kit_problems` is what the sandbox Slack answers ``invalid_blocks`` on, and what the
conformance tests assert is empty for every payload the app builds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

__all__ = [
    "ACTIONS_ELEMENTS",
    "ACTION_ID",
    "BUTTON_TEXT",
    "FALLBACK_TEXT",
    "HEADER_TEXT",
    "INPUT_MAX_LENGTH",
    "MESSAGE_BLOCKS",
    "MESSAGE_TEXT",
    "OPTION_TEXT",
    "PRIVATE_METADATA",
    "SECTION_TEXT",
    "TEXT_OBJECT",
    "VIEW_BLOCKS",
    "VIEW_TITLE",
    "Surface",
    "block_kit_problems",
    "view_problems",
]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
TEXT_OBJECT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
INPUT_MAX_LENGTH = 3000
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
#: ``chat.postMessage`` truncates ``text`` past this many characters.
MESSAGE_TEXT = 40_000
#: Slack's recommended ceiling for ``text``; ours for notification fallbacks.
FALLBACK_TEXT = 4000

Surface = Literal["message", "modal", "home"]
Json = Mapping[str, Any]


def _lost_keys(original: Any, parsed: Any, path: str) -> Iterator[str]:
    """Keys slack-sdk did not recognise (it drops them): a typo, or a field Slack does not have."""
    if isinstance(original, Mapping) and isinstance(parsed, Mapping):
        for key, value in original.items():
            if key not in parsed:
                if value not in (None, "", [], {}):
                    yield f"{path}.{key}: not a Block Kit field"
                continue
            yield from _lost_keys(value, parsed[key], f"{path}.{key}")
    elif isinstance(original, list) and isinstance(parsed, list):
        for index, (item, back) in enumerate(zip(original, parsed, strict=False)):
            yield from _lost_keys(item, back, f"{path}[{index}]")


def _walk(node: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{path}[{index}]")


def _limits(block: Json, path: str) -> Iterator[str]:
    """The documented limits slack-sdk's validators do not check."""
    for where, node in _walk(block, path):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            text = node["text"]
            if not text:
                yield f"{where}: a text object must not be empty"
            elif len(text) > TEXT_OBJECT:
                yield f"{where}: text is {len(text)} characters (at most {TEXT_OBJECT})"
        if kind == "plain_text_input":
            most = node.get("max_length")
            if most is not None and not 1 <= int(most) <= INPUT_MAX_LENGTH:
                yield f"{where}: max_length {most} (1 to {INPUT_MAX_LENGTH})"
            initial = node.get("initial_value")
            if isinstance(initial, str) and len(initial) > int(most or INPUT_MAX_LENGTH):
                yield f"{where}: initial_value is longer than max_length"
        if kind == "context" and len(node.get("elements") or []) > CONTEXT_ELEMENTS:
            yield f"{where}: more than {CONTEXT_ELEMENTS} context elements"


def block_kit_problems(blocks: Sequence[Json], *, surface: Surface = "message") -> list[str]:
    """Why Slack would refuse ``blocks`` on ``surface`` (``[]`` if it would not).

    Each block goes through slack-sdk's own models (``Block.parse`` and ``validate_json``), keys
    those models do not know are reported, and the limits they leave out are checked here.
    """
    problems: list[str] = []
    most = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    if len(blocks) > most:
        problems.append(f"{len(blocks)} blocks (at most {most} in a {surface})")
    for index, raw in enumerate(blocks):
        path = f"blocks[{index}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{path}: not an object")
            continue
        try:
            parsed = Block.parse(dict(raw))
            if parsed is None or type(parsed) is Block:
                problems.append(f"{path}: unknown block type {raw.get('type')!r}")
                continue
            parsed.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError) as error:
            problems.append(f"{path}: {error}")
            continue
        problems += _lost_keys(raw, parsed.to_dict(), path)
        problems += _limits(raw, path)
    return problems


def view_problems(view: Json) -> list[str]:
    """Why ``views.open`` / ``views.publish`` would refuse ``view`` (``[]`` if they would not)."""
    surface: Surface = "home" if view.get("type") == "home" else "modal"
    problems: list[str] = []
    try:
        View(**{key: value for key, value in view.items()}).validate_json()
    except (SlackObjectFormationError, TypeError) as error:
        problems.append(f"view: {error}")
    for key in ("title", "submit", "close"):
        text = (view.get(key) or {}).get("text")
        if isinstance(text, str) and not 1 <= len(text) <= VIEW_TITLE:
            problems.append(f"view.{key}: {len(text)} characters (1 to {VIEW_TITLE})")
    return problems + block_kit_problems(view.get("blocks") or [], surface=surface)
