"""Outlook working hours through Microsoft Graph: Teams' answer to Slack's notification schedule.

``GET /users/{id}/mailboxSettings/workingHours`` with the application permission
``MailboxSettings.Read`` (granted to the bot's app registration by an admin). A person who has
set nothing in Quiet Hours gets these hours as their default, and is told so. Anything that
goes wrong — no permission, no mailbox, Graph unreachable — simply means "no default".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from adapters.teams.connector import TokenSource
from bot.domain.timeutil import resolve_wall_time
from bot.ports import DeliveryError

__all__ = [
    "DEFAULT_GRAPH_URL",
    "GRAPH_SCOPE",
    "GraphClient",
    "OutlookHours",
    "hours_spec",
    "iana_zone",
    "same_zone",
]

log = logging.getLogger(__name__)

GRAPH = "https://graph.microsoft.com"
GRAPH_SCOPE = f"{GRAPH}/.default"
DEFAULT_GRAPH_URL = f"{GRAPH}/v1.0/"  # the same default as bot.settings
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPEC_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Windows time zone names Outlook reports, for the zones of the people this is built for
#: (CLDR's windowsZones, territory 001 except where a Nordic city reads better). A name not
#: here falls back to the zone the person's Teams client reports.
WINDOWS_ZONES = {
    "W. Europe Standard Time": "Europe/Oslo",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "Romance Standard Time": "Europe/Paris",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "FLE Standard Time": "Europe/Helsinki",
    "GTB Standard Time": "Europe/Bucharest",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Russian Standard Time": "Europe/Moscow",
    "UTC": "UTC",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "India Standard Time": "Asia/Kolkata",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "New Zealand Standard Time": "Pacific/Auckland",
}


@dataclass(frozen=True)
class OutlookHours:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    zone: str | None  # IANA, when Outlook's zone name could be read


def iana_zone(name: str | None) -> str | None:
    """An IANA zone for Outlook's zone name (Outlook may report either kind)."""
    if not name:
        return None
    if name in WINDOWS_ZONES:
        return WINDOWS_ZONES[name]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _clock(value: object) -> time | None:
    try:
        return time.fromisoformat(str(value)[:8])
    except ValueError:
        return None


def parse_working_hours(body: dict[str, Any]) -> OutlookHours | None:
    """Graph's ``workingHours`` resource, or None when it says nothing usable."""
    days = tuple(sorted({_DAYS.index(d) for d in body.get("daysOfWeek") or [] if d in _DAYS}))
    start, end = _clock(body.get("startTime")), _clock(body.get("endTime"))
    if not days or start is None or end is None or start == end:
        return None
    zone = iana_zone(str((body.get("timeZone") or {}).get("name") or "") or None)
    return OutlookHours(days=days, start=start, end=end, zone=zone)


def same_zone(hours: OutlookHours, personal: str | None) -> OutlookHours:
    """Outlook's zone, or the person's own Teams zone when the two keep the same clock all year
    (Outlook says "W. Europe Standard Time" for Oslo, Stockholm and Berlin alike)."""
    if hours.zone is None or personal is None or personal == hours.zone:
        return hours
    try:
        theirs, ours = ZoneInfo(personal), ZoneInfo(hours.zone)
    except (ZoneInfoNotFoundError, ValueError):
        return hours
    probes = [datetime(2026, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
    if all(p.astimezone(theirs).utcoffset() == p.astimezone(ours).utcoffset() for p in probes):
        return replace(hours, zone=personal)
    return hours


def hours_spec(hours: OutlookHours, fallback_zone: str | None) -> str:
    """The hours in our syntax: ``mon,tue,wed,thu,fri 08:00-16:00 tz Europe/Oslo``."""
    days = ",".join(_SPEC_DAYS[day] for day in hours.days)
    zone = hours.zone or fallback_zone or "UTC"
    return f"{days} {hours.start:%H:%M}-{hours.end:%H:%M} tz {zone}"


def parse_automatic_replies(body: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """Graph's ``automaticRepliesSetting``: the scheduled window as UTC instants, when its
    ``status`` is ``scheduled`` (``alwaysEnabled`` has no end, so it is no day off we can
    plan around; ``disabled`` is none). Each end is ``{dateTime, timeZone}``, a wall time in
    that zone (Windows or IANA names), resolved by the one DST rule of ``resolve_wall_time``."""
    if str(body.get("status") or "").lower() != "scheduled":
        return None
    ends = []
    for key in ("scheduledStartDateTime", "scheduledEndDateTime"):
        value = body.get(key) or {}
        if not isinstance(value, dict):
            return None
        zone = iana_zone(str(value.get("timeZone") or "") or None) or "UTC"
        try:
            wall = datetime.fromisoformat(str(value.get("dateTime") or "")[:19])
        except ValueError:
            return None
        ends.append(resolve_wall_time(wall.date(), wall.time(), ZoneInfo(zone)))
    start, end = ends
    return (start, end) if start < end else None


class GraphClient:
    """Reads one thing from Microsoft Graph, with the bot's own (app-only) token."""

    def __init__(
        self, *, tokens: TokenSource, base_url: str = DEFAULT_GRAPH_URL, timeout: float = 5.0
    ) -> None:
        self._tokens = tokens
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def working_hours(self, directory_id: str) -> OutlookHours | None:
        body = await self._get(directory_id, "workingHours")
        return parse_working_hours(body) if body is not None else None

    async def automatic_replies(self, directory_id: str) -> tuple[datetime, datetime] | None:
        """The person's scheduled automatic replies (a day-off window), or None; raises
        :class:`LookupError` when Graph could not be asked (then what is stored stays)."""
        body = await self._get(directory_id, "automaticRepliesSetting", strict=True)
        return parse_automatic_replies(body) if body is not None else None

    async def _get(
        self, directory_id: str, setting: str, *, strict: bool = False
    ) -> dict[str, Any] | None:
        """``GET users/{id}/mailboxSettings/{setting}``; None when it says nothing usable
        (with ``strict``, trouble reaching Graph raises :class:`LookupError` instead)."""
        try:
            token = await self._tokens.token()
        except DeliveryError:
            if strict:
                raise LookupError(setting) from None
            return None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = f"{self.base_url}users/{quote(directory_id, safe='')}/mailboxSettings/{setting}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status != 200:
                    log.info("Graph answered %d for %s", response.status, setting)
                    if strict and (response.status >= 500 or response.status == 429):
                        raise LookupError(setting)
                    return None
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            log.info("Graph could not be reached for %s", setting)
            if strict:
                raise LookupError(setting) from None
            return None
        return body if isinstance(body, dict) else None

    async def get_json(self, url: str) -> tuple[int, Any]:
        """``GET url`` with the bot's token: the status and the JSON body (0 and None when
        Graph could not be reached or said nothing readable)."""
        try:
            token = await self._tokens.token()
        except DeliveryError:
            return 0, None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status != 200:
                    return response.status, None
                return 200, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return 0, None
