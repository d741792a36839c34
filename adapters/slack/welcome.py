"""After a Slack install: the workspace default from the installer's profile, and a welcome DM.

The installer's time zone and locale come from ``users.info`` (with the new bot token). The
welcome goes to them once per workspace (a reinstall or a retried callback sends none), as a
direct message from the app; App Home shows the same default whenever they open it.
A failure here never fails the install: the default is then made from the first person who
uses a command, and the welcome is skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback_text
from bot.domain.workspace_default import country_from_locale, valid_zone
from bot.ports import ChatPlatform, DeliveryError, UserProfile
from bot.services.onboarding import Onboarding

__all__ = ["SlackWelcome", "members_zone_and_locale", "token_mode_default"]

#: ``users.list`` pages read at most for the token-mode default (1,000 users each).
USERS_PAGES = 20

log = logging.getLogger(__name__)


class SlackWelcome:
    """Called with (team id, installer's user id) once an install is recorded."""

    def __init__(self, *, platform: ChatPlatform, onboarding: Onboarding) -> None:
        self._platform = platform
        self._onboarding = onboarding

    async def __call__(self, team: str, installer: str | None) -> None:
        profile: UserProfile | None = None
        if installer is not None:
            try:
                profile = await self._platform.user_profile(team, installer)
            except DeliveryError as error:
                log.info("could not read the installer's profile (%s)", error.code)
        welcome = await self._onboarding.installed(
            "slack",
            team,
            installer=installer,
            tz=profile.tz if profile else None,
            locale=profile.locale if profile else None,
        )
        if welcome is None or installer is None:
            return
        try:
            await self._platform.notify(team, installer, fallback_text(welcome.text))
        except DeliveryError as error:
            log.info("could not send the installer's welcome (%s)", error.code)


async def members_zone_and_locale(client: AsyncWebClient) -> tuple[str | None, str | None]:
    """The workspace's most common time zone among its people (``users.list``, bots and
    deactivated users left out), and the most common locale *among people in that zone*
    (ties: the locale whose country code sorts first, for a result that does not depend on
    the order Slack lists people in). Raises what slack-sdk raises."""
    people: list[tuple[str, str | None]] = []
    cursor: str | None = None
    for _ in range(USERS_PAGES):
        kwargs: dict[str, Any] = {"limit": 1000, "include_locale": True}
        if cursor:
            kwargs["cursor"] = cursor
        response = await client.users_list(**kwargs)
        for user in response.get("members") or []:
            if user.get("is_bot") or user.get("deleted") or user.get("id") == "USLACKBOT":
                continue
            zone = valid_zone(user.get("tz"))
            if zone is not None:
                people.append((zone, user.get("locale")))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    if not people:
        return None, None
    zones = Counter(zone for zone, _ in people)
    zone = min(zones, key=lambda z: (-zones[z], z))
    locales = Counter(locale for z, locale in people if z == zone and locale)
    if not locales:
        return zone, None
    locale = min(locales, key=lambda loc: (-locales[loc], country_from_locale(loc) or "~", loc))
    return zone, locale


async def token_mode_default(
    onboarding: Onboarding, team: str, *, token: str, api_url: str
) -> None:
    """Single-workspace (``SLACK_BOT_TOKEN``) mode has no installer: the workspace default is
    made from its members' most common zone and locale, once (nothing when it has one). When
    Slack cannot be asked, the first person who uses a command sets it instead."""
    if await onboarding.has_default("slack", team):
        return
    try:
        zone, locale = await members_zone_and_locale(
            AsyncWebClient(token=token, base_url=api_url, timeout=10)
        )
    except Exception as error:  # the default then comes from the first person seen
        log.info("could not list the workspace's members for its default (%s)", error)
        return
    if zone is None:
        return
    await onboarding.installed("slack", team, installer=None, tz=zone, locale=locale)
