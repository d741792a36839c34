"""Teams: a policy (hours, mode, digest, guard…), its watched channels and its leaders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.inserts import first_insert
from bot.storage.models import (
    PersonRow,
    TeamChannelRow,
    TeamLeaderRow,
    TeamRow,
)

__all__ = ["TeamRepository"]


class TeamRepository:
    """Teams (one policy each), the channels they watch and their leaders; every call is scoped
    to a team or a workspace id the caller resolved from the platform's request."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self, workspace_id: int, name: str, *, hours_spec: str, now: datetime, **fields: Any
    ) -> TeamRow:
        row = TeamRow(
            workspace_id=workspace_id,
            name=name,
            hours_spec=hours_spec,
            created_at=now,
            updated_at=now,
            **{
                "mode": "hold",
                "urgent_who": "anyone",
                "urgent_people": "[]",
                "digest_target": "channel",
                "locale": "en",
                **fields,
            },
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, team_id: int) -> TeamRow | None:
        return await self._session.get(TeamRow, team_id)

    async def by_name(self, workspace_id: int, name: str) -> TeamRow | None:
        query = select(TeamRow).where(TeamRow.workspace_id == workspace_id, TeamRow.name == name)
        return (await self._session.scalars(query)).first()

    async def by_external_id(self, workspace_id: int, external_id: str) -> TeamRow | None:
        """The team a platform knows as ``external_id`` (a Teams team)."""
        query = select(TeamRow).where(
            TeamRow.workspace_id == workspace_id, TeamRow.external_id == external_id
        )
        return (await self._session.scalars(query)).first()

    async def for_channel(self, workspace_id: int, conversation_id: str) -> TeamRow | None:
        query = (
            select(TeamRow)
            .join(TeamChannelRow, TeamChannelRow.team_id == TeamRow.id)
            .where(
                TeamChannelRow.workspace_id == workspace_id,
                TeamChannelRow.conversation_id == conversation_id,
            )
        )
        return (await self._session.scalars(query)).first()

    async def all(self) -> list[TeamRow]:
        return list((await self._session.scalars(select(TeamRow).order_by(TeamRow.id))).all())

    async def update(self, team: TeamRow, *, now: datetime, **fields: Any) -> None:
        for name, value in fields.items():
            if not hasattr(TeamRow, name):
                raise AttributeError(name)
            setattr(team, name, value)
        team.updated_at = now
        await self._session.flush()

    async def watch(self, team: TeamRow, conversation_id: str, *, watched: bool = True) -> None:
        """Attach a channel to the team (moving it from another team if need be)."""
        await self._session.execute(
            delete(TeamChannelRow).where(
                TeamChannelRow.workspace_id == team.workspace_id,
                TeamChannelRow.conversation_id == conversation_id,
            )
        )
        self._session.add(
            TeamChannelRow(
                team_id=team.id,
                workspace_id=team.workspace_id,
                conversation_id=conversation_id,
                watched=watched,
            )
        )
        await self._session.flush()

    async def channels(self, team_id: int, *, watched_only: bool = True) -> list[str]:
        query = select(TeamChannelRow.conversation_id).where(TeamChannelRow.team_id == team_id)
        if watched_only:
            query = query.where(TeamChannelRow.watched.is_(True))
        return list((await self._session.scalars(query.order_by(TeamChannelRow.id))).all())

    async def add_leader(self, team_id: int, person_id: int) -> None:
        await first_insert(self._session, TeamLeaderRow, team_id=team_id, person_id=person_id)

    async def remove_leader(self, team_id: int, person_id: int) -> None:
        await self._session.execute(
            delete(TeamLeaderRow).where(
                TeamLeaderRow.team_id == team_id, TeamLeaderRow.person_id == person_id
            )
        )

    async def leaders(self, team_id: int) -> list[str]:
        """Platform ids of the team's leaders."""
        query = (
            select(PersonRow.external_id)
            .join(TeamLeaderRow, TeamLeaderRow.person_id == PersonRow.id)
            .where(TeamLeaderRow.team_id == team_id)
            .order_by(PersonRow.external_id)
        )
        return list((await self._session.scalars(query)).all())
