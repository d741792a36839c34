"""Ports: what the core needs from a chat platform, as small Protocols the adapters implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.domain.digest import DigestView
    from bot.domain.guard_view import GuardView

__all__ = [
    "AuthorActions",
    "ChatPlatform",
    "Delivered",
    "DeliveryError",
    "DeliveryErrorKind",
    "DigestPoster",
    "GuardPoster",
    "OutgoingMessage",
    "PlaceNamer",
    "PostedMessage",
    "UserProfile",
]


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the core wants posted.

    ``tag`` is the held message's id: adapters attach it to what they post (Slack message
    metadata, Teams ``channelData``) so a crash between "posted" and "recorded" can be detected
    by :meth:`ChatPlatform.find_tagged` instead of posting twice.
    """

    workspace: str
    conversation: str
    text: str
    thread: str | None = None
    as_author: str | None = None
    tag: str | None = None
    urgent: bool = False
    #: Who wrote it and when, for a post the bot makes on their behalf ("From Kari · Sun 21:14").
    author: str | None = None
    written_at: datetime | None = None
    blocks: tuple[dict[str, object], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Delivered:
    """A held message that has just been posted (for follow-ups such as labelling urgent ones)."""

    platform: str
    workspace: str
    conversation: str
    message_id: str
    thread: str | None
    author: str
    urgent: bool
    at: datetime


@dataclass(frozen=True)
class PostedMessage:
    conversation: str
    message_id: str


@dataclass(frozen=True)
class PlatformHours:
    """A person's schedule as their platform reports it, in our hours syntax (``spec``).

    ``own_days`` is False when the platform has no weekdays (Slack's notification schedule is
    the same every day: ``spec`` then says ``mon-sun``, and the applicable policy's days are
    used instead); True when it names them (Outlook working hours).
    """

    spec: str
    own_days: bool


@dataclass(frozen=True)
class UserProfile:
    id: str
    name: str
    tz: str | None = None
    locale: str | None = None
    is_admin: bool = False  # a workspace admin or owner (may create team policies)
    is_bot: bool = False  # an app or bot user: it reads no messages and keeps no hours
    deleted: bool = False  # deactivated: nothing held for them would ever be read
    #: a guest (Slack ``is_restricted`` / ``is_ultra_restricted``): sees and messages only the
    #: people of their own channels (``bot.services.guest_reach``)
    is_guest: bool = False


class DeliveryErrorKind(StrEnum):
    TRANSIENT = "transient"  # 5xx, timeouts, resets: retry with backoff
    RATE_LIMITED = "rate_limited"  # 429: retry after the platform's Retry-After
    PERMANENT = "permanent"  # channel gone, not a member, archived, token revoked: tell the author


class DeliveryError(Exception):
    """A platform call failed; ``kind`` tells the delivery engine what to do about it."""

    def __init__(
        self, kind: DeliveryErrorKind, code: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{kind}: {code}")
        self.kind = kind
        self.code = code
        self.retry_after = retry_after


class ChatPlatform(Protocol):
    """What the core asks of Slack, Teams or the sandbox."""

    async def post(self, message: OutgoingMessage) -> PostedMessage:
        """Post now; raises :class:`DeliveryError`."""
        ...

    async def find_tagged(self, workspace: str, conversation: str, tag: str) -> str | None:
        """The id of a message we posted with ``tag``, if it is there (crash recovery)."""
        ...

    async def notify(self, workspace: str, person: str, text: str) -> None:
        """A private note to one person (ephemeral in Slack, a personal chat card in Teams)."""
        ...

    async def add_label(
        self, workspace: str, conversation: str, thread: str, text: str
    ) -> str | None:
        """Mark a thread "no reply expected until …"; returns the label message's id."""
        ...

    async def user_profile(self, workspace: str, person: str) -> UserProfile:
        """Name, time zone and locale of a person, as the platform knows them."""
        ...

    async def channel_members(self, workspace: str, conversation: str) -> list[str]: ...


class AuthorActions(Protocol):
    """What a platform can do *as a person* who granted it (Slack user tokens): auto-hold.

    Teams has no equivalent (a bot cannot remove or post a person's message); only platforms
    that implement this offer auto-hold.
    """

    async def take_down(
        self, workspace: str, conversation: str, message_id: str, author: str
    ) -> None:
        """Remove the person's just-posted message; raises :class:`DeliveryError`."""
        ...

    async def schedule_as_author(self, message: OutgoingMessage, at: datetime) -> str | None:
        """Let the platform post ``message`` as its author at ``at``; its schedule id, or
        None when the platform's limits do not allow it (the outbox then posts it)."""
        ...

    async def unschedule(
        self, workspace: str, conversation: str, schedule_id: str, author: str
    ) -> bool:
        """Withdraw a scheduled post; False when it is already posted or gone."""
        ...

    async def dm_partner(self, workspace: str, conversation: str, author: str) -> str | None:
        """The other person in a direct message, as seen with the author's rights."""
        ...


@runtime_checkable
class PlaceNamer(Protocol):
    """Platforms that can name a conversation the way their people see it: a note about a
    message "to C2" or "to 19:…@thread.tacv2" says nothing to a person."""

    async def place_name(self, workspace: str, conversation: str, locale: str) -> str:
        """A link or name for ``conversation`` (Slack ``<#C2>``; Teams "Plattform › Drift");
        never raises: unknown places get a generic name in ``locale``."""
        ...


@runtime_checkable
class DigestPoster(Protocol):
    """Platforms with a rich layout for digests (Block Kit, Adaptive Cards) implement this."""

    async def post_digest(
        self, workspace: str, conversation: str, view: DigestView
    ) -> PostedMessage: ...


@runtime_checkable
class GuardPoster(Protocol):
    """Platforms that lay out the decision guard with buttons (Block Kit, Adaptive Cards) and
    can refresh it in place. Others get the plain text, without buttons."""

    async def post_guard(
        self, workspace: str, conversation: str, thread: str, view: GuardView
    ) -> str:
        """Reply in the thread; returns the reply's message id. Raises :class:`DeliveryError`."""
        ...

    async def update_guard(
        self, workspace: str, conversation: str, message_id: str, view: GuardView, who: str | None
    ) -> None:
        """Show the guard's new state in place (``who`` settled it, a platform user id)."""
        ...

    async def ask_leader(self, workspace: str, person: str, view: GuardView) -> None:
        """Ask a leader privately to confirm or reopen a guard whose grace period is over."""
        ...

    async def people_in(self, workspace: str, conversation: str) -> list[str]:
        """The people (not bots) in a conversation."""
        ...
