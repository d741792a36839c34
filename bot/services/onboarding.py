"""An install's welcome: the workspace default made from the installer, shown to them once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import normalize_locale, translate
from bot.services.commands.replies import Reply
from bot.services.workspace_default import describe_default, ensure_workspace_default
from bot.storage.repositories import WorkspaceRepository
from bot.storage.workspace_defaults import WorkspaceDefaultRepository

__all__ = ["Onboarding"]


class Onboarding:
    """What an install does for the workspace default: make it from the installer's zone and
    locale (unless the workspace has one: a reinstall keeps what admins chose), and hand the
    installer's welcome over exactly once."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def has_default(self, platform: str, workspace: str) -> bool:
        """Whether ``workspace`` (the platform's id) has its default already."""
        async with self._sessions() as session:
            found = await WorkspaceRepository(session).find(platform, workspace)
            if found is None:
                return False
            return await WorkspaceDefaultRepository(session).find(found.id) is not None

    async def installed(
        self,
        platform: str,
        workspace: str,
        *,
        installer: str | None,
        tz: str | None,
        locale: str | None,
    ) -> Reply | None:
        """Make the default of ``workspace`` (the platform's id); the welcome for
        ``installer`` in their language when this is the first time, else None."""
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            found = await WorkspaceRepository(session).find(platform, workspace)
            if found is None:
                return None
            row, _ = await ensure_workspace_default(
                session,
                found.id,
                tz=tz,
                locale=locale,
                now=now,
                source="install",
                installed_by=installer,
            )
            if row.installed_by is None and installer is not None:
                row.installed_by = installer  # made before the install event reached us
            if installer is None:
                return None
            if not await WorkspaceDefaultRepository(session).claim_onboarding(found.id, now):
                return None
            language = normalize_locale(locale)
            body = "welcome.teams_body" if platform == "teams" else "welcome.body"
            return Reply.of(
                translate("welcome.title", language) + "\n" + translate(body, language),
                "\n".join(describe_default(row, language)),
                translate("cmd.workspace.usage", language),
                translate("welcome.next", language),
                locale=language,
            )
