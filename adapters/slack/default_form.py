"""The workspace default as a form: App Home's "Change the workspace default" button.

The form (a modal) shows the default's preset, zone, country and mode; saving it runs the same
`/quiet workspace …` verbs an admin would type, so the same checks apply (admins, owners and
the installer only; a known preset, zone and country). Turning protection off takes the same
explicit confirmation as `workspace mode off confirm`: choosing `off` saves only with the
"Yes, turn protection off" box ticked (block ``confirm``). A refusal is shown on the field it
is about, and the form stays open; a save re-publishes the person's App Home.

Texts keep Slack's limits (:mod:`adapters.slack.limits`: an option's text ≤ 75 characters, the
view's title ≤ 24, a section ≤ 3,000) by shortening whole words with "…", never mid-word; the
heading is mrkdwn, as its ``*bold*`` means.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack.limits import OPTION_TEXT, SECTION_TEXT, VIEW_TITLE
from adapters.slack.mrkdwn import shorten_mrkdwn
from bot.domain.text_split import shorten
from bot.i18n import translate
from bot.presets import list_presets, load_preset
from bot.services.commands import CommandService
from bot.services.commands.workspace import FORM_FIELDS
from bot.storage.repositories import WorkspaceRepository
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = [
    "CONFIRM_BLOCK",
    "DEFAULT_CALLBACK",
    "EDIT_DEFAULT_ACTION",
    "WorkspaceDefaultForm",
    "default_modal",
]

EDIT_DEFAULT_ACTION = "home.edit_default"
DEFAULT_CALLBACK = "workspace.edit"
_MODES = ("hold", "label", "off")
#: the checkbox that confirms turning protection off (its value is a confirmation word)
CONFIRM_BLOCK = "confirm"
_CONFIRM_VALUE = "confirm"
#: Slack's documented ceiling for the text of a view's ``errors`` entry is not published; a
#: short, complete sentence is what shows well under a field
_ERROR_TEXT = 300

Block = dict[str, Any]


def _plain(text: str, limit: int = OPTION_TEXT) -> dict[str, str]:
    """A ``plain_text`` object within ``limit`` characters, shortened at a word if need be."""
    return {"type": "plain_text", "text": shorten(text, limit)}


def _option(value: str, text: str) -> Block:
    return {"text": _plain(text), "value": value}


def _preset_option(name: str, locale: str) -> Block:
    """ "Title (name)": the name is what `workspace preset NAME` takes, so it is kept whole and
    the title shortened at a word to leave room for it."""
    suffix = f" ({name})"
    title = shorten(load_preset(name).title_in(locale), OPTION_TEXT - len(suffix))
    return _option(name, title + suffix)


def _confirm(locale: str) -> Block:
    return {
        "type": "input",
        "block_id": CONFIRM_BLOCK,
        "optional": True,
        "label": _plain(translate("modal.workspace.confirm", locale)),
        "element": {
            "type": "checkboxes",
            "action_id": "value",
            "options": [_option(_CONFIRM_VALUE, translate("modal.workspace.confirm_off", locale))],
        },
    }


def _select(block_id: str, label: str, options: list[Block], chosen: str) -> Block:
    initial = next((option for option in options if option["value"] == chosen), options[0])
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": options,
            "initial_option": initial,
        },
    }


def _text(block_id: str, label: str, initial: str, hint: str) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": "value", "max_length": 64}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "hint": _plain(hint),
        "optional": block_id == "country",
        "element": element,
    }


def default_modal(preset: str, tz: str, country: str | None, mode: str, locale: str) -> Block:
    """The form, filled in with the default as it stands."""
    presets = [_preset_option(name, locale) for name in list_presets()]
    modes = [_option(m, translate(f"modal.workspace.mode.{m}", locale)) for m in _MODES]
    return {
        "type": "modal",
        "callback_id": DEFAULT_CALLBACK,
        "title": _plain(translate("modal.workspace.title", locale), VIEW_TITLE),
        "submit": _plain(translate("button.save", locale), VIEW_TITLE),
        "close": _plain(translate("button.close", locale), VIEW_TITLE),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": shorten_mrkdwn(translate("cmd.workspace.title", locale), SECTION_TEXT),
                },
            },
            _select("preset", translate("modal.workspace.preset", locale), presets, preset),
            _text(
                "tz",
                translate("modal.workspace.zone", locale),
                tz,
                translate("modal.workspace.zone_hint", locale),
            ),
            _text(
                "country",
                translate("modal.workspace.country", locale),
                country or "",
                translate("modal.workspace.country_hint", locale),
            ),
            _select("mode", translate("modal.workspace.mode", locale), modes, mode),
            _confirm(locale),
        ],
    }


def _field(view: dict[str, Any], block: str) -> str:
    state = (((view.get("state") or {}).get("values") or {}).get(block) or {}).get("value") or {}
    selected = state.get("selected_option") or {}
    ticked = [str(option.get("value") or "") for option in state.get("selected_options") or []]
    return str(selected.get("value") or state.get("value") or " ".join(ticked)).strip()


class WorkspaceDefaultForm:
    """Registers the button and the form on the bolt app."""

    def __init__(
        self,
        *,
        commands: CommandService,
        sessions: async_sessionmaker[AsyncSession],
        locale: Callable[[str, str], Awaitable[str]],
        republish: Callable[[AsyncWebClient, str, str], Awaitable[None]],
    ) -> None:
        self._commands = commands
        self._sessions = sessions
        self._locale = locale
        self._republish = republish

    def register(self, bolt: AsyncApp) -> None:
        bolt.action(EDIT_DEFAULT_ACTION)(self._on_button)
        bolt.view(DEFAULT_CALLBACK)(self._on_submitted)

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team, person = _team(body), str((body.get("user") or {}).get("id") or "")
        locale = await self._locale(team, person)
        async with self._sessions() as session:
            workspace = await WorkspaceRepository(session).find("slack", team)
            row = (
                await WorkspaceDefaultRepository(session).find(workspace.id) if workspace else None
            )
        if row is None:
            return  # App Home shows the button only once there is a default
        view = default_modal(row.preset, row.tz, row.country, row.mode, locale)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def _on_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, person = _team(body), str((body.get("user") or {}).get("id") or "")
        form = {name: _field(view, name) for name in FORM_FIELDS}
        refused, why = await self._commands.change_default("slack", team, person, form)
        if refused is not None:
            await ack(response_action="errors", errors={refused: shorten(why, _ERROR_TEXT)})
            return
        await ack()
        await self._republish(client, team, person)


def _team(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("user") or {}).get("team_id") or "")
