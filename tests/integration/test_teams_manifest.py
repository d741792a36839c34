"""The Teams app package: schema-valid manifest, icons of the sizes Teams wants, the CLI zip."""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from adapters.teams.manifest import (
    COMMANDS,
    PLACEHOLDER_APP_ID,
    PLACEHOLDER_DOMAIN,
    build_manifest,
    localization,
    package_files,
)
from bot.cli import main
from tests.support.shared import external_json
from tests.support.teams import APP_ID

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "teams"


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    schema = external_json("teams", "manifest_schema_v1.30.json")
    validator = Draft4Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGBA rows of a PNG as written by the manifest module."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    assert (depth, color_type) == (8, 6)  # 8-bit RGBA
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    rows = [raw[row * stride + 1 : (row + 1) * stride] for row in range(height)]
    assert all(raw[row * stride] == 0 for row in range(height))
    return width, height, rows


def test_the_shipped_manifest_is_valid_and_built_from_code() -> None:
    shipped = json.loads((DEPLOY / "manifest.json").read_text())
    assert schema_errors(shipped) == []
    files = package_files(app_id=PLACEHOLDER_APP_ID, domain=PLACEHOLDER_DOMAIN, version="0.1.0")
    for name, data in files.items():
        assert (DEPLOY / name).read_bytes() == data, f"deploy/teams/{name} is out of date"


def test_the_manifest_declares_the_bot_commands_send_later_and_channel_reading() -> None:
    manifest = build_manifest(app_id=APP_ID, domain="bot.example.com", version="1.2.3")
    assert schema_errors(manifest) == []
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    [commands] = bot["commandLists"]
    titles = [command["title"] for command in commands["commands"]]
    assert titles == [
        *("help", "hours", "off", "later", "urgent", "status", "digest", "me", "team", "workspace")
    ]
    assert titles == list(COMMANDS)
    [extension] = manifest["composeExtensions"]
    [send_later] = extension["commands"]
    assert (extension["botId"], send_later["type"], send_later["title"]) == (
        APP_ID,
        "action",
        "Send later",
    )
    assert "compose" in send_later["context"]
    permissions = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in permissions
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert manifest["validDomains"] == ["bot.example.com"]


def _at(manifest: Any, path: str) -> Any:
    """The value at a localization key's path, ``bots[0].commandLists[0].commands[1].title``."""
    value = manifest
    for part in re.findall(r"([A-Za-z]+)(?:\[(\d+)\])?", path):
        name, index = part
        value = value[name]
        if index:
            value = value[int(index)]
    return value


def test_norwegian_clients_get_the_app_in_bokmal() -> None:
    """Teams shows nb-no.json's strings to a Norwegian client (localizationInfo); every key
    names a string the English manifest has, and all of them are translated."""
    manifest = build_manifest(app_id=APP_ID, domain="bot.example.com", version="1.2.3")
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en-us",
        "additionalLanguages": [{"languageTag": "nb-no", "file": "nb-no.json"}],
    }
    norwegian = localization("nb")
    strings = {key: value for key, value in norwegian.items() if key != "$schema"}
    assert norwegian["$schema"].endswith("/v1.30/MicrosoftTeams.Localization.schema.json")
    english = {key: _at(manifest, key) for key in strings}
    assert all(isinstance(text, str) and text for text in english.values())
    assert strings["composeExtensions[0].commands[0].title"] == "Send senere"
    assert english["composeExtensions[0].commands[0].title"] == "Send later"
    assert strings["bots[0].commandLists[0].commands[1].description"].startswith(
        "Vis eller sett arbeidstiden din"
    )
    untranslated = [k for k in strings if strings[k] == english[k] and k != "name.short"]
    assert untranslated == []
    # a command's title is the verb people type; only its description is translated
    assert not any(key.endswith("commands[0].title") and "bots" in key for key in strings)


@pytest.mark.parametrize(
    ("name", "size", "outline"), [("color.png", 192, False), ("outline.png", 32, True)]
)
def test_icons_have_the_sizes_teams_requires(name: str, size: int, outline: bool) -> None:
    width, height, rows = png_pixels((DEPLOY / name).read_bytes())
    assert (width, height) == (size, size)
    pixels = {row[i : i + 4] for row in rows for i in range(0, len(row), 4)}
    if outline:  # white on transparent, nothing else
        assert {pixel[:3] for pixel in pixels} == {b"\xff\xff\xff"}
        assert {pixel[3] for pixel in pixels} >= {0, 255}
    else:  # opaque, more than one colour
        assert {pixel[3] for pixel in pixels} == {255}
        assert len(pixels) > 2


def test_the_cli_builds_the_upload_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "quiet-hours-teams.zip"
    code = main(
        ["teams", "package", "--out", str(out), "--domain", "bot.example.com", "--app-id", APP_ID]
    )
    assert code == 0
    assert "https://bot.example.com/api/messages" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "manifest.json",
            "nb-no.json",
            "outline.png",
        ]
        manifest = json.loads(archive.read("manifest.json"))
    assert schema_errors(manifest) == []
    assert manifest["id"] == APP_ID
    assert manifest["developer"]["websiteUrl"] == "https://bot.example.com/"


def test_the_cli_wants_a_guid_and_an_app_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    assert main(["teams", "package", "--domain", "bot.example.com"]) == 2
    assert "MICROSOFT_APP_ID" in capsys.readouterr().err
    assert main(["teams", "package", "--domain", "bot.example.com", "--app-id", "bot"]) == 2
    assert "GUID" in capsys.readouterr().err
    assert not (tmp_path / "quiet-hours-teams.zip").exists()
