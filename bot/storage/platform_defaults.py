"""What a platform says about a person (zone, locale, schedule), stored apart from their choices.

The platform's schedule goes to ``people.platform_hours_spec``/``platform_hours_days`` and never
to ``hours_spec``, which holds only what the person typed: a refresh can never overwrite a
person's own hours, and ``/quiet hours clear`` brings the platform default back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import PersonRow, WorkspaceRow
from bot.storage.repositories import PersonRepository

__all__ = ["PlatformDefaultsRepository", "StalePerson"]


@dataclass(frozen=True)
class StalePerson:
    """Someone whose platform defaults are due for a refresh."""

    platform: str
    workspace: str  # the platform's id (Slack team, Teams tenant)
    person: str  # the platform's id of the person


class PlatformDefaultsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def read_at(self, workspace_id: int, person: str) -> datetime | None:
        """When the platform was last asked about ``person`` (None: never, or unknown)."""
        query = select(PersonRow.platform_read_at).where(
            PersonRow.workspace_id == workspace_id, PersonRow.external_id == person
        )
        return (await self._session.scalars(query)).first()

    async def store(
        self,
        workspace_id: int,
        person: str,
        *,
        now: datetime,
        name: str | None,
        tz: str | None,
        locale: str | None,
        hours_spec: str | None,
        own_days: bool,
        profile_changed: bool = False,
    ) -> PersonRow:
        """Record what the platform said now (creating the person at first sight).

        The schedule is replaced (None: the platform has none any more). A zone, locale or name
        fills in what is missing, and replaces what is stored only when ``profile_changed``
        (Slack's ``user_change``). ``hours_spec``/``hours_source`` — the person's own choice —
        are never touched.
        """
        row = await PersonRepository(self._session).get_or_create(
            workspace_id, person, now=now, display_name=name, tz=tz, locale=locale
        )
        if profile_changed:
            row.tz = tz or row.tz
            row.locale = locale or row.locale
            row.display_name = name or row.display_name
        else:
            row.tz = row.tz or tz
            row.locale = row.locale or locale
            row.display_name = row.display_name or name
        row.platform_hours_spec = hours_spec
        row.platform_hours_days = own_days if hours_spec else False
        row.platform_read_at = now
        row.updated_at = now
        await self._session.flush()
        return row

    async def mark_read(self, workspace_id: int, person: str, *, now: datetime) -> None:
        """The platform answered for good that it has nothing (e.g. ``user_not_found``): do
        not ask again before the next refresh is due."""
        row = await PersonRepository(self._session).find(workspace_id, person)
        if row is not None:
            row.platform_read_at = now
            await self._session.flush()

    async def stale(
        self, before: datetime, *, platforms: Iterable[str], limit: int
    ) -> list[StalePerson]:
        """Up to ``limit`` people of installed workspaces on ``platforms`` last read before
        ``before`` (or never), the longest-waiting first."""
        query = (
            select(WorkspaceRow.platform, WorkspaceRow.external_id, PersonRow.external_id)
            .join(WorkspaceRow, WorkspaceRow.id == PersonRow.workspace_id)
            .where(
                WorkspaceRow.uninstalled_at.is_(None),
                WorkspaceRow.platform.in_(list(platforms)),
                or_(PersonRow.platform_read_at.is_(None), PersonRow.platform_read_at < before),
            )
            .order_by(PersonRow.platform_read_at.is_not(None), PersonRow.platform_read_at)
            .limit(limit)
        )
        rows = (await self._session.execute(query)).all()
        return [StalePerson(platform, workspace, person) for platform, workspace, person in rows]
