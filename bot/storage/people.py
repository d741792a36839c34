"""People of a workspace: their zone, language, hours and days off, and their own tokens."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import Cipher
from bot.storage.inserts import first_insert
from bot.storage.models import PersonRow

__all__ = ["PersonRepository"]


class PersonRepository:
    """A person of a workspace, by platform user id: found or created on first sight (race-safe),
    with their zone, language, own hours, days off and (with a ``Cipher``) their user token."""

    def __init__(self, session: AsyncSession, cipher: Cipher | None = None) -> None:
        self._session = session
        self._cipher = cipher

    async def get_or_create(
        self,
        workspace_id: int,
        external_id: str,
        *,
        now: datetime,
        display_name: str | None = None,
        tz: str | None = None,
        locale: str | None = None,
    ) -> PersonRow:
        await first_insert(
            self._session,
            PersonRow,
            workspace_id=workspace_id,
            external_id=external_id,
            display_name=display_name,
            tz=tz,
            locale=locale,
            auto_hold=False,
            created_at=now,
            updated_at=now,
        )
        row = await self.find(workspace_id, external_id)
        assert row is not None
        return row

    async def find(self, workspace_id: int, external_id: str) -> PersonRow | None:
        query = select(PersonRow).where(
            PersonRow.workspace_id == workspace_id, PersonRow.external_id == external_id
        )
        return (await self._session.scalars(query)).first()

    async def known(self, workspace_id: int, external_ids: Iterable[str]) -> set[str]:
        """Which of these platform ids are people of the workspace."""
        wanted = set(external_ids)
        if not wanted:
            return set()
        query = select(PersonRow.external_id).where(
            PersonRow.workspace_id == workspace_id, PersonRow.external_id.in_(wanted)
        )
        return set((await self._session.scalars(query)).all())

    async def set_hours(
        self, person: PersonRow, spec: str | None, *, source: str | None, now: datetime
    ) -> None:
        person.hours_spec = spec
        person.hours_source = source
        person.updated_at = now
        await self._session.flush()

    async def set_days_off(self, person: PersonRow, days: list[str], *, now: datetime) -> None:
        person.days_off = json.dumps(sorted(set(days)))
        person.updated_at = now
        await self._session.flush()

    async def set_user_token(self, person: PersonRow, token: str | None, *, now: datetime) -> None:
        if self._cipher is None:
            raise RuntimeError("PersonRepository needs a Cipher to store tokens")
        person.user_token_enc = None if token is None else self._cipher.encrypt(token)
        person.auto_hold = token is not None
        person.updated_at = now
        await self._session.flush()

    def user_token(self, person: PersonRow) -> str | None:
        if person.user_token_enc is None or self._cipher is None:
            return None
        return self._cipher.decrypt(person.user_token_enc)
