"""Slack's text markup ("mrkdwn"): its atoms, escaping, splitting, and a plain form for inputs.

Slack's formatting reference (docs.slack.dev, "Formatting text for app surfaces"): in message
text, ``&``, ``<`` and ``>`` must be written ``&amp;``, ``&lt;`` and ``&gt;``; everything between
``<`` and ``>`` is markup — a person ``<@U1>``, a channel ``<#C1|name>``, a broadcast ``<!here>``,
a date ``<!date^…|…>``, a link ``<https://…|label>``. None of these may be cut in two, and
neither may an entity or an emoji code; :data:`ATOMS` names them for :mod:`bot.domain.text_split`.

Escaping is :mod:`bot.domain.markup`'s (``inert``, ``unescape``): one function for it everywhere.
Modal inputs (``plain_text_input``) hold plain text, not markup: :func:`to_plain` turns stored
markup into what a person reads (``@Kari``, ``#general``, ``<``) and remembers how to restore
what cannot be typed; :func:`from_plain` turns a submitted value back into message text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.domain.markup import inert, unescape
from bot.domain.text_split import shorten, split_text

__all__ = [
    "ATOMS",
    "conversation_link",
    "from_plain",
    "mentioned",
    "shorten_mrkdwn",
    "split_mrkdwn",
    "to_plain",
]

#: Spans that must stay whole: ``<…>`` markup, bare addresses (Slack links them), entities, emoji
#: codes, inline styles, code blocks.
ATOMS = re.compile(
    r"<[^<>\n]*>"
    r"|\bhttps?://[^\s<>()]+"
    r"|&(?:amp|lt|gt);"
    r"|:[a-z0-9_+'-]{1,80}:"
    r"|```.*?```"
    r"|`[^`\n]+`"
    r"|(?<![*\w])\*[^*\n]{1,200}\*(?![*\w])"
    r"|(?<![_\w])_[^_\n]{1,200}_(?![_\w])"
    r"|(?<![~\w])~[^~\n]{1,200}~(?![~\w])",
    re.DOTALL,
)

_MARKUP = re.compile(r"<([^<>\n]*)>")


def conversation_link(conversation: str) -> str | None:
    """How Slack shows a conversation by id: a channel ``<#C2>``, a person ``<@U1>`` (a message
    delivered privately); ``None`` for a direct message (it has no link of its own)."""
    if conversation[:1] in ("C", "G"):
        return f"<#{conversation}>"
    if conversation[:1] in ("U", "W"):
        return f"<@{conversation}>"
    return None


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Message text in parts of at most ``limit`` characters, never cut inside markup."""
    return split_text(text, limit, atoms=ATOMS)


def shorten_mrkdwn(text: str, limit: int) -> str:
    """Message text within ``limit`` characters, ending in "…" if shortened, markup kept whole."""
    return shorten(text, limit, atoms=ATOMS)


def mentioned(text: str) -> tuple[set[str], set[str]]:
    """The people (``<@U1>``) and channels (``<#C1>``) that ``text`` names without a label."""
    people: set[str] = set()
    channels: set[str] = set()
    for match in _MARKUP.finditer(text):
        body = match.group(1)
        target, _, label = body.partition("|")
        if label:
            continue
        if target.startswith("@"):
            people.add(target[1:])
        elif target.startswith("#"):
            channels.add(target[1:])
    return people, channels


def _plain_markup(body: str, names: Mapping[str, str]) -> str:
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return "@" + (label or names.get(target[1:]) or target[1:]).removeprefix("@")
    if target.startswith("#"):
        return "#" + (label or names.get(target[1:]) or target[1:])
    if target.startswith("!"):
        if label:
            return label
        return "@" + target[1:].split("^")[0]
    url = unescape(target)
    shown = unescape(label) if label else ""
    if not shown or shown == url or url.removeprefix("mailto:") == shown:
        return shown or url.removeprefix("mailto:")
    return f"{shown} ({url})"


def to_plain(text: str, names: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Stored message text as a person reads it, and how to restore its markup.

    ``names`` maps user and channel ids to names (``U1`` → ``Kari``). Returns the plain text and
    a map from each plain form that stands for markup (``@Kari``) to that markup (``<@U1>``), for
    :func:`from_plain`.
    """
    names = names or {}
    restore: dict[str, str] = {}
    pieces: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        pieces.append(unescape(text[position : match.start()]))
        shown = _plain_markup(match.group(1), names)
        # broadcasts are never restored: an edit must not turn into an @channel by accident
        if shown != match.group(0) and not match.group(1).startswith("!"):
            restore.setdefault(shown, match.group(0))
        pieces.append(shown)
        position = match.end()
    pieces.append(unescape(text[position:]))
    return "".join(pieces), restore


def from_plain(value: str, restore: Mapping[str, str] | None = None) -> str:
    """A submitted plain-text value as message text: made inert (:func:`bot.domain.markup.inert`,
    the one escaping function), with ``restore``'s markup put back where its plain form still
    stands (``@Kari`` → ``<@U1>``)."""
    escaped = inert(value)
    if not restore:
        return escaped
    wanted = {inert(plain): markup for plain, markup in restore.items() if plain}
    keys = "|".join(re.escape(key) for key in sorted(wanted, key=len, reverse=True))
    pattern = re.compile(f"(?:{keys})(?!\\w)")
    return pattern.sub(lambda match: wanted[match.group(0)], escaped)
