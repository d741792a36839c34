"""The Teams app package: manifest (schema 1.30) in English with its bokmål localization file
(``nb-no.json``, Teams shows it to Norwegian clients), two icons drawn in code, and the upload
zip. The words come from the catalogs (``teams.manifest.*``).

``deploy/teams/`` holds the same files rendered for a placeholder app id and domain; a test keeps
them equal to what this module builds, so there is one source for both.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.i18n import translate

__all__ = [
    "ACCENT",
    "COMMANDS",
    "LOCALIZATIONS",
    "PLACEHOLDER_APP_ID",
    "PLACEHOLDER_DOMAIN",
    "SCHEMA_URL",
    "build_manifest",
    "color_icon",
    "localization",
    "outline_icon",
    "package_files",
    "write_package",
]

SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
)
LOCALIZATION_SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/"
    "MicrosoftTeams.Localization.schema.json"
)
#: Teams' language tag → our catalog, for each language besides the manifest's own English
LOCALIZATIONS: dict[str, str] = {"nb-no": "nb"}
PLACEHOLDER_APP_ID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_DOMAIN = "quiet-hours.example.com"
ACCENT = "#3D4A8A"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")

#: The bot commands Teams suggests; the same verbs as Slack's ``/quiet`` (described by the
#: catalogs' ``teams.manifest.command.<verb>``).
COMMANDS: tuple[str, ...] = (
    "help",
    "hours",
    "off",
    "later",
    "urgent",
    "status",
    "digest",
    "me",
    "team",
    "workspace",
)


def _words(locale: str) -> dict[str, str]:
    """Every translatable string of the manifest, by its localization-file path."""
    words = {
        "name.short": translate("teams.manifest.name.short", locale),
        "name.full": translate("teams.manifest.name.full", locale),
        "description.short": translate("teams.manifest.description.short", locale),
        "description.full": translate("teams.manifest.description.full", locale),
    }
    for index, verb in enumerate(COMMANDS):
        words[f"bots[0].commandLists[0].commands[{index}].description"] = translate(
            f"teams.manifest.command.{verb}", locale
        )
    later = "composeExtensions[0].commands[0]"
    words[f"{later}.title"] = translate("teams.manifest.send_later.title", locale)
    words[f"{later}.description"] = translate("teams.manifest.send_later.description", locale)
    words[f"{later}.parameters[0].title"] = translate(
        "teams.manifest.send_later.text.title", locale
    )
    words[f"{later}.parameters[0].description"] = translate(
        "teams.manifest.send_later.text.description", locale
    )
    return words


def localization(locale: str) -> dict[str, Any]:
    """A Teams localization file: the manifest's strings in ``locale``, keyed by their path in
    the manifest (``bots[0].commandLists[0].commands[1].description``)."""
    return {"$schema": LOCALIZATION_SCHEMA_URL, **_words(locale)}


def build_manifest(*, app_id: str, domain: str, version: str) -> dict[str, Any]:
    """The manifest for one bot registration served at ``https://{domain}/api/messages``."""
    if not _GUID.match(app_id):
        raise ValueError(f"the Microsoft app id must be a GUID, not {app_id!r}")
    domain = domain.removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _DOMAIN.match(domain):
        raise ValueError(f"the domain must be a host name such as bot.example.com, not {domain!r}")
    scopes = ["personal", "team", "groupChat"]
    site = f"https://{domain}"
    words = _words("en")
    commands, later = "bots[0].commandLists[0].commands", "composeExtensions[0].commands[0]"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": "1.30",
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Quiet Hours",
            "websiteUrl": f"{site}/",
            "privacyUrl": f"{site}/privacy",
            "termsOfUseUrl": f"{site}/terms",
        },
        "name": {"short": words["name.short"], "full": words["name.full"]},
        "description": {"short": words["description.short"], "full": words["description.full"]},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": scopes,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [
                            {
                                "title": verb,
                                "description": words[f"{commands}[{index}].description"],
                            }
                            for index, verb in enumerate(COMMANDS)
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": "sendLater",
                        "type": "action",
                        "title": words[f"{later}.title"],
                        "description": words[f"{later}.description"],
                        "context": ["compose", "commandBox"],
                        "fetchTask": False,
                        "parameters": [
                            {
                                "name": "text",
                                "title": words[f"{later}.parameters[0].title"],
                                "description": words[f"{later}.parameters[0].description"],
                                "inputType": "textarea",
                                "isRequired": True,
                            }
                        ],
                    }
                ],
            }
        ],
        "localizationInfo": {
            "defaultLanguageTag": "en-us",
            "additionalLanguages": [
                {"languageTag": tag, "file": f"{tag}.json"} for tag in LOCALIZATIONS
            ],
        },
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
        "webApplicationInfo": {"id": app_id, "resource": f"api://{domain}/{app_id}"},
        "authorization": {
            "permissions": {
                "resourceSpecific": [{"name": "ChannelMessage.Read.Group", "type": "Application"}]
            }
        },
    }


# -- icons ----------------------------------------------------------------------------------------


def _png(
    width: int, height: int, pixel: Callable[[float, float], tuple[int, int, int, int]]
) -> bytes:
    """An RGBA PNG; ``pixel(x, y)`` gets coordinates in 0..1 and is supersampled 3×3."""
    rows = bytearray()
    samples = [(i + 0.5) / 3 for i in range(3)]
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            total = [0, 0, 0, 0]
            for sy in samples:
                for sx in samples:
                    for channel, value in enumerate(pixel((x + sx) / width, (y + sy) / height)):
                        total[channel] += value
            rows.extend(round(value / 9) for value in total)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _in_moon(x: float, y: float, scale: float = 1.0) -> bool:
    """A crescent: inside the moon's disc, outside the disc that shades it."""
    lit = math.hypot(x - 0.5, y - 0.5) <= 0.32 * scale
    shade = math.hypot(x - 0.63, y - 0.39) <= 0.27 * scale
    return lit and not shade


def color_icon() -> bytes:
    """192×192: a white crescent on the accent colour (Teams' full-colour icon)."""
    red, green, blue = (int(ACCENT[i : i + 2], 16) for i in (1, 3, 5))

    def pixel(x: float, y: float) -> tuple[int, int, int, int]:
        return (255, 255, 255, 255) if _in_moon(x, y) else (red, green, blue, 255)

    return _png(192, 192, pixel)


def outline_icon() -> bytes:
    """32×32: the crescent in white on transparent (Teams' outline icon)."""

    def pixel(x: float, y: float) -> tuple[int, int, int, int]:
        return (255, 255, 255, 255) if _in_moon(x, y, 1.3) else (255, 255, 255, 0)

    return _png(32, 32, pixel)


# -- the package ----------------------------------------------------------------------------------


def package_files(*, app_id: str, domain: str, version: str) -> dict[str, bytes]:
    manifest = build_manifest(app_id=app_id, domain=domain, version=version)
    localized = {
        f"{tag}.json": (json.dumps(localization(locale), indent=2, ensure_ascii=False) + "\n")
        for tag, locale in LOCALIZATIONS.items()
    }
    return {
        "manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        **{name: text.encode() for name, text in localized.items()},
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }


def write_package(out: Path, *, app_id: str, domain: str, version: str) -> Path:
    """The zip Teams' admin centre or Developer Portal takes (files at its root, reproducible)."""
    files = package_files(app_id=app_id, domain=domain, version=version)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out
