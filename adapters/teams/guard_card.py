"""Adaptive Cards for the decision guard: the thread reply, and the leader's private question.

The guard's end is written with the Adaptive Card text functions ``{{DATE(…)}} {{TIME(…)}}``,
which each reader's Teams client renders in their own time zone and language; the card's
``fallbackText`` and the activity's ``summary`` name it in the team's zone. Buttons are
``Action.Execute`` (Universal Actions): *Reopen for discussion*, and *Confirm decision*, shown
disabled (``isEnabled: false``) until the grace period is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.teams.activities import ADAPTIVE_CARD, text_activity
from bot.domain.guard_view import GuardView
from bot.domain.text_split import shorten
from bot.i18n import translate

__all__ = [
    "CONFIRM_VERB",
    "GUARD_VERBS",
    "REOPEN_VERB",
    "guard_activity",
    "guard_card",
    "guard_question_card",
    "reader_time",
]

Json = dict[str, Any]

REOPEN_VERB = "guard.reopen"
CONFIRM_VERB = "guard.confirm"
GUARD_VERBS = frozenset({REOPEN_VERB, CONFIRM_VERB})
SUMMARY_LIMIT = 200


def reader_time(instant: datetime, fallback: str = "") -> str:
    """``instant`` for Adaptive Cards' text functions (RFC 3339, UTC, whole seconds): each
    reader's client shows it in their own zone (``fallback`` is not needed there; it makes this
    a :data:`bot.i18n.InstantRenderer`)."""
    stamp = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def _card(body: list[Json], fallback: str) -> Json:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "fallbackText": fallback,
        "body": body,
    }


def _actions(view: GuardView) -> Json:
    data = {"guardId": view.guard_id}
    return {
        "type": "ActionSet",
        "actions": [
            {
                "type": "Action.Execute",
                "title": view.reopen_label(),
                "verb": REOPEN_VERB,
                "data": data,
            },
            {
                "type": "Action.Execute",
                "title": view.confirm_label(),
                "verb": CONFIRM_VERB,
                "data": data,
                "style": "positive",
                "isEnabled": view.confirmable,
            },
        ],
    }


def _who(who: str | None, locale: str) -> str:
    return who or translate("guard.someone", locale)


def guard_card(view: GuardView, who: str | None = None) -> Json:
    """The thread reply as it stands; ``who`` is the name of whoever settled it."""
    text = view.text(until_text=reader_time(view.until), who=_who(who, view.locale))
    body: list[Json] = [{"type": "TextBlock", "text": text, "wrap": True}]
    if view.is_open:
        body.append(_actions(view))
    return _card(body, view.text(who=_who(who, view.locale)))


def guard_activity(reference: Mapping[str, Any], view: GuardView, who: str | None = None) -> Json:
    """The reply as an activity for the Bot Connector (posted, or put in place of the old)."""
    envelope = text_activity(reference, "")
    envelope.pop("text", None)
    envelope["summary"] = shorten(view.text(who=_who(who, view.locale)), SUMMARY_LIMIT)
    envelope["attachments"] = [{"contentType": ADAPTIVE_CARD, "content": guard_card(view, who)}]
    return envelope


def guard_question_card(view: GuardView, where: str) -> Json:
    """The private question to a leader once the grace period is over."""
    text = view.question(where=where, until_text=reader_time(view.until))
    return _card(
        [{"type": "TextBlock", "text": text, "wrap": True}, _actions(view)],
        view.question(where=where),
    )
