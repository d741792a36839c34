"""Block Kit for the decision guard: the thread reply, its buttons, and the leader's question.

The guard's end is shown with Slack's date formatting (``<!date^…>``), which every reader's
client renders in their own time zone; the fallback (notifications, old clients) names it in
the team's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.slack.limits import BUTTON_TEXT, SECTION_TEXT
from adapters.slack.mrkdwn import conversation_link, shorten_mrkdwn
from bot.domain.guard_view import GuardView
from bot.domain.text_split import shorten
from bot.i18n import translate
from bot.services.guard import GuardOutcome

__all__ = [
    "CONFIRM_ACTION",
    "REOPEN_ACTION",
    "guard_blocks",
    "guard_question_blocks",
    "guard_text",
    "reader_time",
    "result_text",
]

Block = dict[str, Any]

REOPEN_ACTION = "guard.reopen"
CONFIRM_ACTION = "guard.confirm"


def reader_time(instant: datetime, fallback: str, link: str | None = None) -> str:
    """``instant`` as Slack shows it to each reader, in their own zone ("Monday at 12:00"),
    ``fallback`` where it cannot be (notifications, old clients); ``link`` makes it a link
    (Slack's date token takes one: a date cannot sit inside a ``<url|label>``)."""
    target = f"^{link}" if link else ""
    label = fallback.replace("|", "¦").replace(">", "›").replace("<", "‹")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}{target}|{label}>"


def _until(view: GuardView) -> str:
    return reader_time(view.until, view.until_in_team_zone())


def _who(who: str | None, locale: str) -> str:
    return f"<@{who}>" if who else translate("guard.someone", locale)


def guard_text(view: GuardView, who: str | None = None) -> str:
    """The reply's plain fallback text, the instant in the team's zone."""
    return view.text(who=_who(who, view.locale))


def _buttons(view: GuardView) -> Block:
    reopen: Block = {
        "type": "button",
        "action_id": REOPEN_ACTION,
        "text": {"type": "plain_text", "text": shorten(view.reopen_label(), BUTTON_TEXT)},
        "value": str(view.guard_id),
    }
    elements = [reopen]
    # Slack buttons cannot be disabled: Confirm appears once the grace period is over (the
    # reply is refreshed in place then); a click on an older copy is refused with the reason.
    if view.confirmable:
        elements.append(
            {
                "type": "button",
                "action_id": CONFIRM_ACTION,
                "style": "primary",
                "text": {"type": "plain_text", "text": shorten(view.confirm_label(), BUTTON_TEXT)},
                "value": str(view.guard_id),
            }
        )
    return {"type": "actions", "block_id": f"guard.{view.guard_id}", "elements": elements}


def guard_blocks(view: GuardView, who: str | None = None) -> list[Block]:
    """The thread reply: what the guard means, until when (in the reader's time), buttons
    while it is open."""
    text = view.text(until_text=_until(view), who=_who(who, view.locale))
    blocks: list[Block] = [
        {
            "type": "section",
            "block_id": f"guard.{view.guard_id}.text",
            "text": {"type": "mrkdwn", "text": shorten_mrkdwn(text, SECTION_TEXT)},
        }
    ]
    if view.is_open:
        blocks.append(_buttons(view))
    return blocks


def guard_question_blocks(view: GuardView) -> list[Block]:
    """The private question to a leader once the grace period is over."""
    where = conversation_link(view.conversation) or view.conversation
    text = view.question(where=where, until_text=_until(view))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": shorten_mrkdwn(text, SECTION_TEXT)}},
        _buttons(view),
    ]


def result_text(outcome: GuardOutcome, view: GuardView | None, locale: str) -> str:
    """What a click did, for the person who clicked (the guard's end in their own time)."""
    until = "" if view is None else reader_time(view.until, view.until_in_team_zone())
    return translate(f"guard.result.{outcome.value}", locale, until=until)
