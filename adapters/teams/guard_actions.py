"""The decision guard's buttons on Teams (``Action.Execute``): the core decides who may
(``bot.services.guard``); here a click becomes a call and its answer a card.

The card that comes back replaces the clicked one. In the channel that is the guard's card as
it now stands (everyone sees it), and a refusal ("only a leader", "not yet") goes to the
clicker's 1:1 chat with the bot, since Teams has no private replies in channels. In the
leader's 1:1 chat the question gives way to the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.teams.activities import ADAPTIVE_CARD, ConversationInfo, Sender
from adapters.teams.cards import notice_card
from adapters.teams.guard_card import CONFIRM_VERB, guard_card, reader_time
from adapters.teams.platform import PLATFORM
from bot.domain.ids import row_id
from bot.i18n import normalize_locale, translate
from bot.ports import DeliveryError
from bot.services.guard import DecisionGuard, GuardOutcome, GuardResult

__all__ = ["guard_card_action"]

log = logging.getLogger(__name__)

Json = dict[str, Any]
Private = Callable[[str, str, Mapping[str, Any]], Awaitable[object]]


async def guard_card_action(
    guard: DecisionGuard,
    verb: str,
    data: Mapping[str, Any],
    info: ConversationInfo,
    who: Sender,
    *,
    private: Private | None,
) -> Json:
    """*Reopen for discussion* or *Confirm decision* clicked: the card that replaces it."""
    guard_id = row_id(data.get("guardId"))  # checked before any query: bot.domain.ids
    if guard_id is None:
        result = GuardResult(GuardOutcome.GONE)
    else:
        result = await guard.settle(
            guard_id,
            confirm=verb == CONFIRM_VERB,
            platform=PLATFORM,
            workspace=info.tenant,
            person=who.id,
        )
    view = result.view
    known = await guard.person_locale(PLATFORM, info.tenant, who.id)
    locale = normalize_locale(known or who.locale or (view.locale if view is not None else None))
    until = "" if view is None else reader_time(view.until)
    answer = translate(f"guard.result.{result.outcome.value}", locale, until=until)
    if info.kind == "dm" or view is None:
        return notice_card(answer, locale, error=not result.done)
    if not result.done and private is not None:
        note = {
            "type": "message",
            "summary": answer,
            "attachments": [
                {"contentType": ADAPTIVE_CARD, "content": notice_card(answer, locale, error=True)}
            ],
        }
        try:
            await private(info.tenant, who.id, note)
        except DeliveryError as error:
            log.info(
                "could not tell a person privately why a guard button did nothing: %s", error.code
            )
    return guard_card(view, who.name if result.done else None)
