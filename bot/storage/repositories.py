"""Repositories for workspaces, people, teams, labels, digests, events and activity."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.models import (
    SLACK_ENCRYPTED_COLUMNS,
    ActivityRow,
    Base,
    ConversationRow,
    DigestRow,
    HeldMessageRow,
    InstallationRow,
    LabelRow,
    PersonRow,
    SeenEventRow,
    TeamChannelRow,
    TeamLeaderRow,
    TeamRow,
    ThreadExcerptRow,
    UrgentOverrideRow,
    WorkspaceRow,
    slack_bots_table,
    slack_installations_table,
)

__all__ = [
    "ActivityRepository",
    "ConversationRepository",
    "DigestRepository",
    "ExcerptRepository",
    "InstallationRepository",
    "LabelRepository",
    "PersonRepository",
    "SeenEventRepository",
    "TeamRepository",
    "UrgentOverrideRepository",
    "WorkspaceRepository",
    "rotate_encryption",
]

log = logging.getLogger(__name__)


def _insert_ignoring_duplicates(session: AsyncSession, table: type[Base]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect (race-safe "first one wins")."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def _first_insert(session: AsyncSession, table: type[Base], **values: Any) -> bool:
    statement = _insert_ignoring_duplicates(session, table).values(**values)
    primary = next(iter(table.__table__.primary_key.columns))  # type: ignore[attr-defined]
    result = await session.execute(statement.returning(primary))
    return result.first() is not None


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(
        self, platform: str, external_id: str, *, now: datetime, name: str | None = None
    ) -> WorkspaceRow:
        await _first_insert(
            self._session,
            WorkspaceRow,
            platform=platform,
            external_id=external_id,
            name=name,
            default_locale="en",
            installed_at=now,
        )
        row = await self.find(platform, external_id)
        assert row is not None  # inserted or already there
        return row

    async def find(self, platform: str, external_id: str) -> WorkspaceRow | None:
        query = select(WorkspaceRow).where(
            WorkspaceRow.platform == platform, WorkspaceRow.external_id == external_id
        )
        return (await self._session.scalars(query)).first()

    async def mark_uninstalled(self, workspace_id: int, now: datetime) -> None:
        await self._session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(uninstalled_at=now)
        )


class InstallationRepository:
    """Bot tokens, encrypted at rest."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def save(
        self,
        workspace_id: int,
        *,
        bot_token: str,
        now: datetime,
        bot_user_id: str | None = None,
        app_id: str | None = None,
        scopes: str = "",
        installed_by: str | None = None,
    ) -> InstallationRow:
        row = InstallationRow(
            workspace_id=workspace_id,
            bot_token_enc=self._cipher.encrypt(bot_token),
            bot_user_id=bot_user_id,
            app_id=app_id,
            scopes=scopes,
            installed_by=installed_by,
            installed_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def bot_token(self, workspace_id: int) -> str | None:
        query = (
            select(InstallationRow)
            .where(
                InstallationRow.workspace_id == workspace_id, InstallationRow.revoked_at.is_(None)
            )
            .order_by(InstallationRow.installed_at.desc(), InstallationRow.id.desc())
        )
        row = (await self._session.scalars(query)).first()
        if row is None or row.bot_token_enc is None:
            return None
        return self._cipher.decrypt(row.bot_token_enc)

    async def revoke(self, workspace_id: int, now: datetime) -> None:
        """Delete the tokens (not just mark them): a revoked token must not linger at rest."""
        await self._session.execute(
            update(InstallationRow)
            .where(InstallationRow.workspace_id == workspace_id)
            .values(bot_token_enc=None, revoked_at=now)
        )
        await self._session.execute(
            update(PersonRow)
            .where(PersonRow.workspace_id == workspace_id)
            .values(user_token_enc=None)
        )


class PersonRepository:
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
        await _first_insert(
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


class TeamRepository:
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
        await _first_insert(self._session, TeamLeaderRow, team_id=team_id, person_id=person_id)

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


class SeenEventRepository:
    """Platform events already handled, so a retried delivery has one effect."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, platform: str, event_id: str, now: datetime) -> bool:
        return await _first_insert(
            self._session, SeenEventRow, platform=platform, event_id=event_id, seen_at=now
        )

    async def purge_older_than(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(SeenEventRow).where(SeenEventRow.seen_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class LabelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        *,
        period_end: datetime,
        due_at: datetime,
        now: datetime,
    ) -> bool:
        """True only for the first claim of this thread in this quiet period."""
        return await _first_insert(
            self._session,
            LabelRow,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            thread_id=thread_id,
            period_end=period_end,
            due_at=due_at,
            labelled_at=now,
        )

    async def set_message(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        period_end: datetime,
        platform_message_id: str,
    ) -> None:
        await self._session.execute(
            update(LabelRow)
            .where(
                LabelRow.workspace_id == workspace_id,
                LabelRow.conversation_id == conversation_id,
                LabelRow.thread_id == thread_id,
                LabelRow.period_end == period_end,
            )
            .values(platform_message_id=platform_message_id)
        )

    async def unclaim(
        self, workspace_id: int, conversation_id: str, thread_id: str, period_end: datetime
    ) -> None:
        """Give a claim back when the label could not be posted, so a later message retries."""
        await self._session.execute(
            delete(LabelRow).where(
                LabelRow.workspace_id == workspace_id,
                LabelRow.conversation_id == conversation_id,
                LabelRow.thread_id == thread_id,
                LabelRow.period_end == period_end,
            )
        )


class ActivityRepository:
    """Off-hours activity: who, where, when. The text of a message is never passed in.

    Rows marked ``in_hours`` (daytime messages kept while a channel member is away, for their
    welcome-back digest) are left out of every read unless ``in_hours=True`` asks for them.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        person_id: str,
        occurred_at: datetime,
        team_id: int | None = None,
        is_thread_root: bool = False,
        decision_signal: bool = False,
        message_id: str | None = None,
        in_hours: bool = False,
    ) -> None:
        self._session.add(
            ActivityRow(
                message_id=message_id,
                in_hours=in_hours,
                workspace_id=workspace_id,
                team_id=team_id,
                conversation_id=conversation_id,
                thread_id=thread_id,
                person_id=person_id,
                occurred_at=occurred_at,
                is_thread_root=is_thread_root,
                decision_signal=decision_signal,
            )
        )
        await self._session.flush()

    async def between(
        self,
        workspace_id: int,
        start: datetime,
        end: datetime,
        *,
        person: str | None = None,
        in_hours: bool = False,
    ) -> list[ActivityRow]:
        """Off-hours messages in ``[start, end)``; only one person's when ``person`` is given;
        with ``in_hours``, the daytime ones kept for a welcome-back digest as well."""
        query = (
            select(ActivityRow)
            .where(
                ActivityRow.workspace_id == workspace_id,
                ActivityRow.occurred_at >= start,
                ActivityRow.occurred_at < end,
            )
            .order_by(ActivityRow.occurred_at, ActivityRow.id)
        )
        if person is not None:
            query = query.where(ActivityRow.person_id == person)
        if not in_hours:
            query = query.where(ActivityRow.in_hours.is_(False))
        return list((await self._session.scalars(query)).all())


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self,
        team_id: int,
        *,
        period_start: datetime,
        period_end: datetime,
        owner: str,
        now: datetime,
        stale: timedelta = timedelta(minutes=10),
        retry: timedelta = timedelta(minutes=5),
    ) -> bool:
        """True for exactly one claimer of (team, period), however many replicas try.

        A run that died after claiming (still ``claimed`` after ``stale``), or that could post
        nothing (``failed``, after ``retry``), may be claimed again; a posted one never.
        """
        if await _first_insert(
            self._session,
            DigestRow,
            team_id=team_id,
            period_start=period_start,
            period_end=period_end,
            state="claimed",
            claimed_by=owner,
            claimed_at=now,
        ):
            return True
        result = await self._session.execute(
            update(DigestRow)
            .where(
                DigestRow.team_id == team_id,
                DigestRow.period_end == period_end,
                or_(
                    and_(DigestRow.state == "claimed", DigestRow.claimed_at <= now - stale),
                    and_(DigestRow.state == "failed", DigestRow.claimed_at <= now - retry),
                ),
            )
            .values(state="claimed", claimed_by=owner, claimed_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(
        self,
        team_id: int,
        period_end: datetime,
        *,
        state: str,
        now: datetime,
        summary: dict[str, Any] | None = None,
    ) -> None:
        await self._session.execute(
            update(DigestRow)
            .where(DigestRow.team_id == team_id, DigestRow.period_end == period_end)
            .values(
                state=state,
                posted_at=now if state == "posted" else None,
                summary=None if summary is None else json.dumps(summary, sort_keys=True),
            )
        )

    async def last(self, team_id: int) -> DigestRow | None:
        query = (
            select(DigestRow)
            .where(DigestRow.team_id == team_id)
            .order_by(DigestRow.period_end.desc())
        )
        return (await self._session.scalars(query)).first()


class UrgentOverrideRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        workspace_id: int,
        conversation_id: str,
        sender_id: str,
        occurred_at: datetime,
        held_message_id: str | None = None,
    ) -> None:
        self._session.add(
            UrgentOverrideRow(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                sender_id=sender_id,
                occurred_at=occurred_at,
                held_message_id=held_message_id,
            )
        )
        await self._session.flush()

    async def count_between(
        self, workspace_id: int, start: datetime, end: datetime, *, sender: str | None = None
    ) -> int:
        """Urgent overrides in ``[start, end)``; only one sender's when ``sender`` is given."""
        query = select(func.count()).where(
            UrgentOverrideRow.workspace_id == workspace_id,
            UrgentOverrideRow.occurred_at >= start,
            UrgentOverrideRow.occurred_at < end,
        )
        if sender is not None:
            query = query.where(UrgentOverrideRow.sender_id == sender)
        return int((await self._session.execute(query)).scalar_one())


async def rotate_encryption(session: AsyncSession, cipher: Cipher) -> int:
    """Re-encrypt every stored secret with the current key; returns how many values changed."""
    count = 0
    targets: list[tuple[type[Base], str]] = [
        (HeldMessageRow, "body_enc"),
        (InstallationRow, "bot_token_enc"),
        (PersonRow, "user_token_enc"),
        (ThreadExcerptRow, "excerpt_enc"),
    ]
    for table, column_name in targets:
        column = getattr(table, column_name)
        rows = (await session.scalars(select(table).where(column.is_not(None)))).all()
        for row in rows:
            setattr(row, column_name, cipher.rotate(getattr(row, column_name)))
            count += 1
        await session.flush()
    # slack-sdk's OAuth tables keep our ciphertext as ASCII text
    for core_table in (slack_installations_table, slack_bots_table):
        secret_columns = [c for c in core_table.columns if c.name in SLACK_ENCRYPTED_COLUMNS]
        primary = next(iter(core_table.primary_key.columns))
        for found in (await session.execute(select(core_table))).mappings().all():
            changes = {
                column.name: cipher.rotate(str(found[column.name]).encode("ascii")).decode("ascii")
                for column in secret_columns
                if found[column.name] is not None
            }
            if changes:
                await session.execute(
                    update(core_table).where(primary == found[primary.name]).values(**changes)
                )
                count += len(changes)
    return count


class ConversationRepository:
    """Conversations the bot may post to, each with the platform's reference (Teams needs one)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        workspace_id: int,
        conversation_id: str,
        *,
        kind: str,
        service_url: str | None,
        reference: str | None,
        now: datetime,
    ) -> None:
        """Insert or refresh (the platform may move a conversation to another service URL)."""
        values: dict[str, Any] = {
            "kind": kind,
            "service_url": service_url,
            "reference": reference,
            "updated_at": now,
        }
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(ConversationRow)
            .values(
                workspace_id=workspace_id, conversation_id=conversation_id, created_at=now, **values
            )
            .on_conflict_do_update(index_elements=["workspace_id", "conversation_id"], set_=values)
        )
        await self._session.execute(statement)

    async def find(self, workspace_id: int, conversation_id: str) -> ConversationRow | None:
        query = select(ConversationRow).where(
            ConversationRow.workspace_id == workspace_id,
            ConversationRow.conversation_id == conversation_id,
        )
        return (await self._session.scalars(query)).first()

    async def mentioning(
        self, workspace_id: int, text: str, *, kinds: tuple[str, ...] | None = None
    ) -> list[ConversationRow]:
        """Rows whose reference contains ``text`` (a cheap filter; callers parse to be sure)."""
        query = select(ConversationRow).where(
            ConversationRow.workspace_id == workspace_id,
            ConversationRow.reference.contains(text, autoescape=True),
        )
        if kinds is not None:
            query = query.where(ConversationRow.kind.in_(kinds))
        return list((await self._session.scalars(query.order_by(ConversationRow.id))).all())

    async def for_workspace(
        self, workspace_id: int, *, kinds: tuple[str, ...] | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        query = select(ConversationRow).where(ConversationRow.workspace_id == workspace_id)
        if kinds is not None:
            query = query.where(ConversationRow.kind.in_(kinds))
        query = query.order_by(ConversationRow.updated_at.desc()).limit(limit)
        return list((await self._session.scalars(query)).all())

    async def forget(self, workspace_id: int, conversation_id: str) -> bool:
        result = await self._session.execute(
            delete(ConversationRow).where(
                ConversationRow.workspace_id == workspace_id,
                ConversationRow.conversation_id == conversation_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class ExcerptRepository:
    """First lines of off-hours threads for the digest: encrypted, short-lived, erasable."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def remember(
        self,
        workspace_id: int,
        conversation_id: str,
        thread_id: str,
        text: str,
        *,
        now: datetime,
        keep: timedelta,
        is_thread_root: bool = False,
    ) -> bool:
        """Keep a thread's first line: its opening message's, else its first off-hours reply's.

        Events may arrive out of order, so the root's line replaces a reply's kept before it.
        """
        encrypted = self._cipher.encrypt(text)
        if await _first_insert(
            self._session,
            ThreadExcerptRow,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            thread_id=thread_id,
            excerpt_enc=encrypted,
            created_at=now,
            expires_at=now + keep,
        ):
            return True
        if not is_thread_root:
            return False
        await self._session.execute(
            update(ThreadExcerptRow)
            .where(
                ThreadExcerptRow.workspace_id == workspace_id,
                ThreadExcerptRow.conversation_id == conversation_id,
                ThreadExcerptRow.thread_id == thread_id,
            )
            .values(excerpt_enc=encrypted)
        )
        return True

    async def has(self, workspace_id: int, conversation_id: str, thread_id: str) -> bool:
        query = select(ThreadExcerptRow.id).where(
            ThreadExcerptRow.workspace_id == workspace_id,
            ThreadExcerptRow.conversation_id == conversation_id,
            ThreadExcerptRow.thread_id == thread_id,
        )
        return (await self._session.scalar(query)) is not None

    async def lines(
        self, workspace_id: int, threads: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        wanted = set(threads)
        if not wanted:
            return {}
        conversations = {conversation for conversation, _ in wanted}
        query = select(ThreadExcerptRow).where(
            ThreadExcerptRow.workspace_id == workspace_id,
            ThreadExcerptRow.conversation_id.in_(conversations),
        )
        found: dict[tuple[str, str], str] = {}
        unreadable = 0
        for row in (await self._session.scalars(query)).all():
            key = (row.conversation_id, row.thread_id)
            if key in wanted:
                try:
                    found[key] = self._cipher.decrypt(row.excerpt_enc)
                except DecryptionError:
                    unreadable += 1  # the digest goes out without that line; the row stays
        if unreadable:
            log.error(
                "%d thread first line(s) cannot be decrypted with the configured keys; kept",
                unreadable,
            )
        return found

    async def erase(self, workspace_id: int, threads: Iterable[tuple[str, str]]) -> None:
        for conversation_id, thread_id in set(threads):
            await self._session.execute(
                delete(ThreadExcerptRow).where(
                    ThreadExcerptRow.workspace_id == workspace_id,
                    ThreadExcerptRow.conversation_id == conversation_id,
                    ThreadExcerptRow.thread_id == thread_id,
                )
            )

    async def erase_conversation(self, workspace_id: int, conversation_id: str) -> int:
        """Every first line kept from one conversation (the bot was removed from it)."""
        result = await self._session.execute(
            delete(ThreadExcerptRow).where(
                ThreadExcerptRow.workspace_id == workspace_id,
                ThreadExcerptRow.conversation_id == conversation_id,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def purge_expired(self, now: datetime) -> int:
        result = await self._session.execute(
            delete(ThreadExcerptRow).where(ThreadExcerptRow.expires_at <= now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
