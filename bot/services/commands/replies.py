"""Values of the command layer: what was typed (Invocation), what is answered (Reply)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.i18n import translate
from bot.ports import PlatformHours, UserProfile

#: Longest text a person may write through the bot (``/quiet later``, Send later, an edit): what
#: one Slack modal input holds (``plain_text_input`` ``max_length`` is at most 3,000 characters,
#: docs.slack.dev block elements), so everything written can later be edited whole — on either
#: platform, one limit.
MAX_TEXT = 3000
#: Held messages listed in one answer (the App Home lists the same).
MAX_LISTED = 10

#: A person or a conversation named in the canonical markup (``<@id|name>``, ``<#id|name>``):
#: Slack ids (``U…``, ``C…``), Teams people (``29:…``) and Teams channels and chats, whose ids
#: hold an ``@`` (``19:…@thread.tacv2``, ``19:…@thread.skype``).
MENTION = re.compile(r"^<@([A-Za-z0-9_.:-]+)(?:\|[^>]*)?>$")
CHANNEL = re.compile(r"^<#([A-Za-z0-9_.:@-]+)(?:\|[^>]*)?>$")
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
DAYS_NB = {
    "man": 0,
    "tir": 1,
    "ons": 2,
    "tor": 3,
    "fre": 4,
    "lør": 5,
    "lor": 5,
    "søn": 6,
    "son": 6,
}
CLOCK = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")

#: the words that confirm a step that cannot be undone (protection off, erasing one's data),
#: in English and bokmål, each accepted whatever the person's language
CONFIRM_WORDS = ("confirm", "bekreft", "yes", "ja")

VERBS = ("help", "hours", "off", "status", "later", "urgent", "digest", "me", "team", "workspace")
ALIASES = {
    "hjelp": "help",
    "timer": "hours",
    "arbeidstid": "hours",
    "fri": "off",
    "fridager": "off",
    "fravær": "off",
    "ferie": "off",
    "away": "off",
    "senere": "later",
    "seinere": "later",
    "haster": "urgent",
    "oppsummering": "digest",
    "meg": "me",
    "arbeidsområde": "workspace",
    "arbeidsomrade": "workspace",
    "?": "help",
}


@dataclass(frozen=True)
class Button:
    """An action the person can take on a reply: ``action`` names it, ``value`` identifies it."""

    action: str
    value: str
    label: str
    style: str | None = None  # "primary" | "danger"


@dataclass(frozen=True)
class Section:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A picture that goes with a reply (an insight heatmap): PNG bytes, a title (the file's
    name on Slack) and alternative text for screen readers. Only the reply's reader sees it."""

    png: bytes
    title: str
    alt: str
    filename: str = "quiet-hours-heatmap.png"
    team: bool = False  # a team's chart (a leader's view), not the reader's own


@dataclass(frozen=True)
class Reply:
    """A private answer: sections of text with optional buttons; ``error`` for refusals;
    ``chart`` a picture for the same reader (Slack: a file in their DM; Teams: in the card)."""

    sections: tuple[Section, ...]
    error: bool = False
    locale: str = "en"
    chart: Chart | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)

    @classmethod
    def of(cls, *texts: str, error: bool = False, locale: str = "en") -> Reply:
        return cls(tuple(Section(text) for text in texts), error=error, locale=locale)


@dataclass(frozen=True)
class Invocation:
    """One command: who typed what, where."""

    platform: str
    workspace: str
    person: str
    conversation: str
    text: str
    person_name: str | None = None
    locale: str | None = None  # the platform's locale for this person, when it sends one
    direct: bool = False  # typed in a direct message between people (not a channel)
    # the platform delivered it from ``conversation``, for this person (a Teams message or card
    # there: Microsoft sends only its members'): being there is proof of membership. A call the
    # bot makes up for a place (the settings card's team hours, run in one of the team's
    # channels) or one the platform does not vouch for (a Slack slash command works anywhere)
    # is asked of the platform instead (``CommandBase.present``)
    came_from_conversation: bool = False
    # the thread it was typed in (a reply in a Teams channel thread: its root message id), so
    # what `later`/`urgent` post there goes into that thread; None at a conversation's top
    thread: str | None = None


class PeopleSource(Protocol):
    """What the command layer asks the platform about people (Slack: users.info, dnd.teamInfo)."""

    async def user_profile(self, workspace: str, person: str) -> UserProfile: ...

    async def platform_hours(
        self, workspace: str, person: str, tz: str | None
    ) -> PlatformHours | None:
        """The person's schedule as the platform knows it (Slack's notification schedule,
        Outlook's working hours), or None when it has none. Raises on a failed platform call."""
        ...


def split_command(text: str) -> tuple[str, str]:
    """``("later", "the rest")``; unknown or empty verbs come back as they are."""
    stripped = (text or "").strip()
    if not stripped:
        return "help", ""
    head, _, rest = stripped.partition(" ")
    verb = head.lower()
    return ALIASES.get(verb, verb), rest.strip()


def held_buttons(held_id: str, locale: str, *, edit: bool = True) -> tuple[Button, ...]:
    buttons = [Button("held.send_now", held_id, translate("button.send_now", locale), "primary")]
    if edit:
        buttons.append(Button("held.edit", held_id, translate("button.edit", locale)))
    buttons.append(Button("held.cancel", held_id, translate("button.cancel", locale), "danger"))
    return tuple(buttons)


def first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
