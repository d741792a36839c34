"""The decision guard's buttons on Slack: *Reopen for discussion* and *Confirm decision*.

The core decides who may (``bot.services.guard``); here a click becomes a call, and the answer
a private reply to whoever clicked (in the leader's direct message, the question is replaced by
the answer). The thread's reply is refreshed in place by the core.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.guard_blocks import CONFIRM_ACTION, REOPEN_ACTION, result_text
from bot.domain.ids import row_id
from bot.i18n import translate
from bot.services.guard import DecisionGuard, GuardOutcome, GuardResult

__all__ = ["GuardButtons"]

log = logging.getLogger(__name__)


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or (body.get("team") or {}).get("id") or "")


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or (body.get("user") or {}).get("id") or "")


class GuardButtons:
    def __init__(self, *, guard: DecisionGuard) -> None:
        self._guard = guard

    def register(self, bolt: AsyncApp) -> None:
        bolt.action(REOPEN_ACTION)(self._on_click)
        bolt.action(CONFIRM_ACTION)(self._on_click)

    async def _on_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        team, person = _team(body), _user(body)
        known = await self._known_locale(team, person)
        guard_id = row_id(action.get("value"))
        try:
            if guard_id is None:  # not an id we ever wrote: nothing to settle
                raise ValueError("not a guard id")
            result = await self._guard.settle(
                guard_id,
                confirm=action.get("action_id") == CONFIRM_ACTION,
                platform="slack",
                workspace=team,
                person=person,
            )
        except ValueError:
            result = GuardResult(GuardOutcome.GONE)
        except Exception:  # never a stack trace to the person; the log has it
            log.exception("a decision guard button failed")
            if body.get("response_url"):
                await respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=translate("cmd.error", known or "en"),
                )
            return
        if not body.get("response_url"):
            return
        locale = known or (result.view.locale if result.view is not None else "en")
        channel = str((body.get("channel") or {}).get("id") or "")
        # In the leader's direct message the question gives way to the answer; in the channel
        # the reply stays (refreshed in place) and the answer is for the clicker only.
        in_dm = channel.startswith("D") and result.done
        await respond(
            response_type="ephemeral",
            replace_original=in_dm,
            text=result_text(result.outcome, result.view, locale),
        )

    async def _known_locale(self, team: str, person: str) -> str | None:
        try:
            return await self._guard.person_locale("slack", team, person)
        except Exception:  # the language only; never fail a click on it
            return None
