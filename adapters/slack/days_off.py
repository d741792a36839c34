"""Days off in the App Home: *Add days off* opens a form with two date pickers, *Clear* clears.

The form's dates go through the same rules as ``/quiet off`` (:func:`parse_days_off`): an end
before its start, a past span or one over a year is refused in the form, next to the first date.
Both buttons act only on the clicking person's own days off (the person comes from Slack's
signed payload, never from a value in the view).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.days_off_syntax import (
    DaysOffAction,
    DaysOffRequest,
    DaysOffSyntaxError,
    parse_days_off,
)
from bot.domain.timeutil import local_date
from bot.i18n import translate
from bot.services.commands import CommandService
from bot.services.days_off import MAX_STORED_DAYS, TooManyDaysError
from bot.services.directory import zone_or_utc
from bot.storage.repositories import PersonRepository, WorkspaceRepository

__all__ = ["OFF_CALLBACK", "SlackDaysOff", "days_off_modal"]

log = logging.getLogger(__name__)

OFF_CALLBACK = "off.add"
FIRST, LAST = "off_first", "off_last"

Block = dict[str, Any]


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text[:150]}


def days_off_modal(locale: str, today: date) -> Block:
    """The form: first and last day off (the last optional: one day), both from today on."""

    def picker(block: str, label: str, optional: bool) -> Block:
        return {
            "type": "input",
            "block_id": block,
            "optional": optional,
            "label": _plain(translate(label, locale)),
            "element": {
                "type": "datepicker",
                "action_id": "value",
                "initial_date": today.isoformat(),
                "placeholder": _plain(translate(label, locale)),
            },
        }

    return {
        "type": "modal",
        "callback_id": OFF_CALLBACK,
        "title": _plain(translate("button.off_add", locale)[:24]),
        "submit": _plain(translate("button.save", locale)[:24]),
        "close": _plain(translate("button.close", locale)[:24]),
        "blocks": [
            picker(FIRST, "home.off.first", False),
            picker(LAST, "home.off.last", True),
        ],
    }


def _picked(view: dict[str, Any], block: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(block) or {}).get("value") or {}).get("selected_date") or "")


class SlackDaysOff:
    """The App Home's days-off buttons and form."""

    def __init__(
        self,
        *,
        commands: CommandService,
        clock: Clock,
        publish: Callable[[AsyncWebClient, str, str], Awaitable[None]],  # re-publish the home
    ) -> None:
        self._commands = commands
        self._clock = clock
        self._publish = publish

    def register(self, bolt: AsyncApp) -> None:
        bolt.action("home.off_add")(self._on_add)
        bolt.action("home.off_clear")(self._on_clear)
        bolt.view(OFF_CALLBACK)(self._on_submitted)

    async def _who(self, team: str, person: str) -> tuple[int | None, str, date]:
        """(workspace id, locale, the person's today in their zone)."""
        sessions = self._commands._sessions
        async with sessions() as session:
            workspace = await WorkspaceRepository(session).find("slack", team)
            row = await PersonRepository(session).find(workspace.id, person) if workspace else None
        locale = await self._commands.locale_of("slack", team, person)
        today = local_date(self._clock.now(), zone_or_utc(row.tz if row else None))
        return (workspace.id if workspace else None), locale, today

    async def _on_add(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team, person = _ids(body)
        _, locale, today = await self._who(team, person)
        await client.views_open(trigger_id=body["trigger_id"], view=days_off_modal(locale, today))

    async def _on_clear(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team, person = _ids(body)
        workspace_id, _, today = await self._who(team, person)
        if workspace_id is None:
            return
        await self._commands.change_days_off(
            workspace_id, person, DaysOffRequest(DaysOffAction.CLEAR), today=today
        )
        await self._publish(client, team, person)

    async def _on_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, person = _ids(body)
        workspace_id, locale, today = await self._who(team, person)
        first = _picked(view, FIRST)
        last = _picked(view, LAST) or first
        if workspace_id is None:
            await ack(
                response_action="errors", errors={FIRST: translate("cmd.not_installed", locale)}
            )
            return
        try:
            request = parse_days_off(f"{first}..{last}", today=today)
            await self._commands.change_days_off(workspace_id, person, request, today=today)
        except DaysOffSyntaxError as error:
            message = error.message(locale).split("\n")[0]  # the form needs no examples
            await ack(response_action="errors", errors={FIRST: message[:150]})
            return
        except TooManyDaysError:
            message = translate("off.error.too_many", locale, limit=MAX_STORED_DAYS)
            await ack(response_action="errors", errors={FIRST: message[:150]})
            return
        await ack()
        await self._publish(client, team, person)


def _ids(body: dict[str, Any]) -> tuple[str, str]:
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return str(team), str((body.get("user") or {}).get("id") or "")
