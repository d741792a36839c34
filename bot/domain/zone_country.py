"""Which country an IANA time zone belongs to, from the tz database's own tables.

``zone.tab`` names one country per zone (``Europe/Oslo`` → ``NO``, ``Europe/Lisbon`` → ``PT``);
``zone1970.tab`` is read for zones ``zone.tab`` lacks, and counts only when it names exactly one
country (``Europe/Berlin`` there covers DE, DK, NO, SE and SJ: that says nothing). The tables
come from the ``tzdata`` package when it is installed, else from ``/usr/share/zoneinfo``; with
neither, no zone names a country (callers fall back to the locale). ``UTC`` and ``Etc/…`` belong
to no country.

Reading the table is the only I/O, done once per process (the tables are package data).
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["country_of_zone", "zone_countries"]

log = logging.getLogger(__name__)

_SYSTEM = Path("/usr/share/zoneinfo")


def _table(name: str) -> str | None:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    try:
        return (_SYSTEM / name).read_text(encoding="utf-8")
    except OSError:
        return None


def _rows(text: str | None) -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            rows[fields[2].strip()] = tuple(c.strip() for c in fields[0].split(","))
    return rows


@cache
def zone_countries() -> dict[str, str]:
    """Zone name → its single ISO 3166 country code, for every zone the tables tie to one."""
    mapping = {z: c[0] for z, c in _rows(_table("zone1970.tab")).items() if len(c) == 1}
    mapping.update({z: c[0] for z, c in _rows(_table("zone.tab")).items() if len(c) == 1})
    if not mapping:
        log.warning("no zone.tab found (tzdata or /usr/share/zoneinfo): countries from locales")
    return mapping


def country_of_zone(zone: str | None) -> str | None:
    """The one country ``zone`` belongs to (``Europe/Oslo`` → ``NO``); None for ``UTC``, an
    unknown zone, or one shared by several countries."""
    if not zone:
        return None
    return zone_countries().get(zone)
