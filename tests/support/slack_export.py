"""Small Slack exports written on the spot, the way Slack lays them out, for simulator tests."""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def ts(local: str, zone: str = "Europe/Oslo") -> str:
    """Slack's ``ts`` for a local wall time, e.g. ``ts("2026-03-28 20:00")``."""
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    return f"{instant.timestamp():.6f}"


def message(user: str, local: str, text: str = "hello", **extra: Any) -> dict[str, Any]:
    """A plain message by ``user`` at local wall time ``local`` (Europe/Oslo unless ``zone=``)."""
    zone = extra.pop("zone", "Europe/Oslo")
    return {"type": "message", "user": user, "text": text, "ts": ts(local, zone), **extra}


def write_export(
    path: Path,
    *,
    users: dict[str, str | None],
    channels: dict[str, list[dict[str, Any]]],
    members: dict[str, list[str]] | None = None,
    dms: dict[str, tuple[list[str], list[dict[str, Any]]]] | None = None,
    mpims: dict[str, tuple[list[str], list[dict[str, Any]]]] | None = None,
    extra: dict[str, bytes] | None = None,
    leave_out: tuple[str, ...] = (),
) -> Path:
    """Write a zip: ``users`` maps id to zone, ``channels`` a name to its messages (filed by
    UTC date as Slack does), ``dms`` an id (``mpims`` a name) to (members, messages);
    ``extra`` adds raw files, ``leave_out`` drops listing files (``users.json`` …)."""
    listing = {
        "users.json": [{"id": uid, "name": uid.lower(), "tz": tz} for uid, tz in users.items()],
        "channels.json": [
            {"id": f"C{n:04d}", "name": name, "members": (members or {}).get(name, list(users))}
            for n, name in enumerate(channels)
        ],
    }
    files: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, items in channels.items():
        for item in items:
            day = datetime.fromtimestamp(float(item["ts"]), UTC).date().isoformat()
            files[f"{name}/{day}.json"].append(item)
    if dms:
        listing["dms.json"] = [{"id": dm, "members": people} for dm, (people, _) in dms.items()]
        for dm, (_, items) in dms.items():
            for item in items:
                day = datetime.fromtimestamp(float(item["ts"]), UTC).date().isoformat()
                files[f"{dm}/{day}.json"].append(item)
    if mpims:  # group DMs, filed under their names
        listing["mpims.json"] = [
            {"id": f"G{n:04d}", "name": name, "members": people}
            for n, (name, (people, _)) in enumerate(mpims.items())
        ]
        for name, (_, items) in mpims.items():
            for item in items:
                day = datetime.fromtimestamp(float(item["ts"]), UTC).date().isoformat()
                files[f"{name}/{day}.json"].append(item)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in listing.items():
            if name not in leave_out:
                archive.writestr(name, json.dumps(data))
        for name, items in files.items():
            archive.writestr(name, json.dumps(sorted(items, key=lambda m: float(m["ts"]))))
        for name, raw in (extra or {}).items():
            archive.writestr(name, raw)
    return path
