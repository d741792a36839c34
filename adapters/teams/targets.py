"""What the Teams adapter shares among its parts: the platform's name, where a conversation is
posted (a stored conversation reference made a target), and the team a command runs in."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from adapters.teams.activities import parse_reference
from bot.storage.models import ConversationRow

__all__ = [
    "BOT_PREFIX",
    "PERSON_PREFIXES",
    "PLATFORM",
    "Person",
    "Target",
    "TeamContext",
    "current_team",
    "personal_with",
    "target_of",
]

PLATFORM = "teams"


@dataclass(frozen=True)
class TeamContext:
    """The team a command is being run in, and where its roster is asked."""

    team: str
    service_url: str


#: Set by the bot around a command from a team's channel: :meth:`TeamsPlatform.user_profile`
#: then tells whether the person owns *that* team (``PeopleSource`` names no conversation).
current_team: ContextVar[TeamContext | None] = ContextVar("teams_current_team", default=None)
#: Bot Framework ids of people (a digest for one person names them, not a chat).
PERSON_PREFIXES = ("29:", "8:orgid:")
#: Bots' (and apps') Bot Framework ids.
BOT_PREFIX = "28:"


@dataclass(frozen=True)
class Target:
    """A conversation the bot can post to: its tenant, Bot Connector service URL and
    conversation reference (stored by :mod:`adapters.teams.app`)."""

    workspace_id: int
    tenant: str
    conversation: str
    kind: str
    service_url: str
    reference: Mapping[str, Any]


@dataclass(frozen=True)
class Person:
    """What is known of a person without asking Teams: name, zone and locale."""

    name: str | None
    tz: str | None
    locale: str | None


def target_of(row: ConversationRow, tenant: str) -> Target | None:
    """Where ``row`` is posted to; None when no service URL was ever stored for it."""
    reference = parse_reference(row.reference)
    service_url = row.service_url or reference.get("serviceUrl")
    if not service_url:
        return None
    return Target(row.workspace_id, tenant, row.conversation_id, row.kind, service_url, reference)


def personal_with(row: ConversationRow, person: str) -> bool:
    """Whether ``row`` is the bot's 1:1 chat with ``person``."""
    user = parse_reference(row.reference).get("user")
    return isinstance(user, dict) and user.get("id") == person
