"""Pure Teams translation: mentions into the command layer's form, its markup into card markdown."""

from __future__ import annotations

import pytest

from adapters.teams.cards import mentioned_ids, reply_card, to_markdown
from adapters.teams.mentions import command_text
from bot.services.commands import Button, Reply, Section

BOT = {"id": "28:bot", "name": "Quiet Hours"}
OLA = {"id": "29:ola", "name": "Ola"}
GENERAL = {"id": "19:general@thread.tacv2", "name": "General"}


def _activity(text: str, *mentioned: dict[str, str]) -> dict[str, object]:
    entities = [
        {"type": "mention", "mentioned": who, "text": f"<at>{who['name']}</at>"}
        for who in mentioned
    ]
    return {"text": text, "recipient": BOT, "entities": [*entities, {"type": "clientInfo"}]}


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        (_activity("<at>Quiet Hours</at> help", BOT), "help"),
        (_activity("later <at>Quiet Hours</at>", BOT), "later"),
        (
            _activity("<at>Quiet Hours</at> team leader add <at>Ola</at>", BOT, OLA),
            "team leader add <@29:ola|Ola>",
        ),
        (
            _activity("<at>Quiet Hours</at> team watch <at>General</at>", BOT, GENERAL),
            "team watch <#19:general@thread.tacv2|General>",
        ),
        (_activity("<at>Quiet Hours</at> later R&amp;D&nbsp;møte", BOT), "later R&D møte"),
        # typed, not a Teams mention: shown as written, never read as one (a word joiner)
        (_activity("<at>Quiet Hours</at> later &lt;@29:x&gt; hi", BOT), "later <\u2060@29:x> hi"),
        (_activity("<at>Someone</at> hours"), "Someone hours"),
        (_activity("later a\n\n\n\nb"), "later a\n\nb"),
        ({"text": None}, ""),
    ],
)
def test_command_text(activity: dict[str, object], expected: str) -> None:
    assert command_text(activity) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*Quiet Hours* — `/quiet later TEXT`", "**Quiet Hours** — later TEXT"),
        ("**already bold**", "**already bold**"),
        ("Leaders here: <@29:ola>, <@29:unknown>", "Leaders here: Ola, someone"),
        ("<@29:ola|Ola Nordmann> in <#19:x@thread.tacv2|General>", "Ola Nordmann in #General"),
        (
            "held in <@19:here@thread.tacv2> and <#19:other>",
            "held in here and another chat or channel",
        ),
        ("<https://example.com/a|the thread>", "[the thread](https://example.com/a)"),
        ("2 * 3 * 4", "2 * 3 * 4"),
    ],
)
def test_to_markdown(text: str, expected: str) -> None:
    names = {"29:ola": "Ola", "19:here@thread.tacv2": "here"}
    assert to_markdown(text, names, "en") == expected


def test_mentioned_ids_are_only_the_unlabelled_ones() -> None:
    assert mentioned_ids("<@29:a> <@29:b|B> <#19:c> <https://x|y>") == {"29:a", "19:c"}


def test_a_reply_card_has_its_sections_buttons_and_an_error_colour() -> None:
    buttons = (Button("held.cancel", "h1", "Cancel", "danger"),)
    reply = Reply((Section("No.\n> quoted"), Section("Then", buttons)), error=True)
    card = reply_card(reply)
    assert card["version"] == "1.5"
    first, quoted, then, actions = card["body"]
    assert (first["text"], first["color"]) == ("No.", "Attention")
    assert (quoted["text"], quoted["isSubtle"], quoted["spacing"]) == ("quoted", True, "None")
    assert then["spacing"] == "Medium"
    assert actions == {
        "type": "ActionSet",
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Cancel",
                "verb": "held.cancel",
                "data": {"held": "h1"},
                "style": "destructive",
            }
        ],
    }
    submit = reply_card(reply, mode="submit")["body"][-1]["actions"][0]
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {"verb": "held.cancel", "held": "h1"}
