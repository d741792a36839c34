"""The `/quiet` verbs, platform-free: parse the text, act, and answer with a :class:`Reply`.

Slack renders a reply as Block Kit (ephemeral), Teams as an Adaptive Card; both call
:meth:`CommandService.run` with an :class:`Invocation`. Mentions arrive in one canonical form,
``<@PERSON>`` and ``<#CHANNEL>`` (optionally ``|label``), which is what Slack sends and what the
Teams adapter rewrites its mentions into.
"""

from bot.services.commands.home import HomeService
from bot.services.commands.replies import (
    MAX_LISTED,
    MAX_TEXT,
    Button,
    Invocation,
    PeopleSource,
    Reply,
    Section,
    held_buttons,
    split_command,
)
from bot.services.commands.service import CommandService

__all__ = [
    "MAX_LISTED",
    "MAX_TEXT",
    "Button",
    "CommandService",
    "HomeService",
    "Invocation",
    "PeopleSource",
    "Reply",
    "Section",
    "held_buttons",
    "split_command",
]
