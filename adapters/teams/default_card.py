"""The tenant default as an Adaptive Card form: on the installer's welcome card and on the
answer to `workspace`. Saving it (``Action.Execute`` verb ``workspace.save``) runs the same
checked verbs an admin would type (:meth:`CommandService.change_default`). Choosing mode
``off`` saves only with the "Yes, turn protection off" toggle (input ``confirm``) on, the same
explicit step as `workspace mode off confirm`."""

from __future__ import annotations

from typing import Any

from bot.i18n import translate
from bot.presets import list_presets, load_preset
from bot.storage.models import WorkspaceDefaultRow

__all__ = ["SAVE_VERB", "with_default_form"]

SAVE_VERB = "workspace.save"
_MODES = ("hold", "label", "off")

Json = dict[str, Any]


def _choices(name: str, label: str, options: list[tuple[str, str]], value: str) -> Json:
    return {
        "type": "Input.ChoiceSet",
        "id": name,
        "label": label,
        "value": value,
        "isRequired": True,
        "style": "compact",
        "choices": [{"title": title, "value": key} for key, title in options],
    }


def _text(name: str, label: str, value: str, hint: str) -> Json:
    return {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "value": value,
        "placeholder": hint,
        "maxLength": 64,
    }


def with_default_form(card: Json, row: WorkspaceDefaultRow, locale: str) -> Json:
    """``card`` with the default's fields (filled in as it stands) and a Save button added."""
    presets = [(name, f"{load_preset(name).title_in(locale)} ({name})") for name in list_presets()]
    modes = [(mode, translate(f"modal.workspace.mode.{mode}", locale)) for mode in _MODES]
    body = [
        *card.get("body", []),
        _choices("preset", translate("modal.workspace.preset", locale), presets, row.preset),
        _text(
            "tz",
            translate("modal.workspace.zone", locale),
            row.tz,
            translate("modal.workspace.zone_hint", locale),
        ),
        _text(
            "country",
            translate("modal.workspace.country", locale),
            row.country or "",
            translate("modal.workspace.country_hint", locale),
        ),
        _choices("mode", translate("modal.workspace.mode", locale), modes, row.mode),
        {
            "type": "Input.Toggle",
            "id": "confirm",
            "label": translate("modal.workspace.confirm", locale),
            "title": translate("modal.workspace.confirm_off", locale),
            "value": "",
            "valueOn": "confirm",
            "valueOff": "",
        },
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.Execute",
                    "title": translate("button.edit_default", locale),
                    "verb": SAVE_VERB,
                    "data": {"form": "workspace"},
                }
            ],
        },
    ]
    return {**card, "body": body}
