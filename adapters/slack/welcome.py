"""After a Slack install: the workspace default from the installer's profile, and a welcome DM.

The installer's time zone and locale come from ``users.info`` (with the new bot token). The
welcome goes to them once per workspace (a reinstall or a retried callback sends none), as a
direct message from the app; App Home shows the same default whenever they open it.
A failure here never fails the install: the default is then made from the first person who
uses a command, and the welcome is skipped.
"""

from __future__ import annotations

import logging

from adapters.slack.blocks import fallback_text
from bot.ports import ChatPlatform, DeliveryError, UserProfile
from bot.services.onboarding import Onboarding

__all__ = ["SlackWelcome"]

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
