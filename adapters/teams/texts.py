"""Teams' user-facing strings: the shared catalogs first, these English/bokmål defaults after.

The defaults keep the adapter usable until the keys are in ``bot/i18n``; once they are, the
catalog wins (and translators see them with everything else).
"""

from __future__ import annotations

from bot.i18n import normalize_locale, translate

__all__ = ["DEFAULTS", "text"]

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "teams.byline": "From {name} · written {when}",
        "teams.from": "From {name}",
        "teams.someone": "someone",
        "teams.urgent": "Urgent",
        "teams.help": (
            "**Quiet Hours** — anyone may write at any time; messages wait for working hours.\n\n"
            "Write to me here or @mention me in a channel with one of these:\n\n"
            "- **help** — this list\n"
            "- **hours** — show or set your working hours\n"
            "- **later** — hold a message until its readers' hours begin\n"
            "- **urgent** — post now, visibly marked urgent\n"
            "- **status** — what is held by you and for you\n"
            "- **digest** — preview this channel's next digest\n"
            "- **me** — your own off-hours activity this week\n"
            "- **team** — the team policy (leaders can change it)\n\n"
            "In any chat, the **Send later** action under the message box holds what you write."
        ),
    },
    "nb": {
        "teams.byline": "Fra {name} · skrevet {when}",
        "teams.from": "Fra {name}",
        "teams.someone": "noen",
        "teams.urgent": "Haster",
        "teams.help": (
            "**Quiet Hours** — alle kan skrive når som helst; meldinger venter til arbeidstid.\n\n"
            "Skriv til meg her eller @nevn meg i en kanal med en av disse:\n\n"
            "- **help** — denne listen\n"
            "- **hours** — vis eller sett arbeidstiden din\n"
            "- **later** — hold en melding til mottakernes arbeidstid begynner\n"
            "- **urgent** — send nå, synlig merket som hastesak\n"
            "- **status** — hva som holdes av deg og til deg\n"
            "- **digest** — forhåndsvis kanalens neste sammendrag\n"
            "- **me** — din egen aktivitet utenom arbeidstid denne uken\n"
            "- **team** — teamets regler (ledere kan endre dem)\n\n"
            "I enhver chat holder handlingen **Send later** under meldingsfeltet det du skriver."
        ),
    },
}


def text(key: str, locale: str | None = None, /, **params: object) -> str:
    try:
        return translate(key, locale, **params)
    except KeyError:
        catalog = DEFAULTS.get(normalize_locale(locale), DEFAULTS["en"])
        return (catalog.get(key) or DEFAULTS["en"][key]).format(**params)
