"""Erasing a workspace: every row of content or personal data of one workspace or tenant.

Used when the app is uninstalled (Slack ``app_uninstalled`` / the bot's ``tokens_revoked``, Teams
leaving its last conversation in a tenant) and by ``quiet-hours erase --workspace ID``. Nothing
of the workspace is kept "for later": held messages (bodies and who wrote them), thread first
lines, tokens, people, teams, activity, labels, digests and overrides all go, and the workspace
row with them. The rule is checked by a test that walks every table of the migrated schema, so a
table added later without a line here fails it.

Tables that hold nothing of any workspace, and why, are listed in :data:`NO_WORKSPACE_DATA`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Delete, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    ActivityRow,
    Base,
    ConversationRow,
    DecisionGuardRow,
    DecisionReactionRow,
    DigestRow,
    HeldMessageRow,
    InstallationRow,
    LabelRow,
    PersonRow,
    ReturnDigestRow,
    SendSlotRow,
    TeamChannelRow,
    TeamLeaderRow,
    TeamRow,
    ThreadExcerptRow,
    UrgentOverrideRow,
    WorkspaceDefaultRow,
    WorkspaceRow,
    slack_bots_table,
    slack_installations_table,
)

__all__ = ["NO_WORKSPACE_DATA", "ErasedWorkspace", "erase_workspace"]

#: Tables with no rows belonging to a workspace: nothing in them names a person or holds text.
NO_WORKSPACE_DATA = {
    "seen_events": "platform event ids (opaque), kept a short while to drop retried events",
    "slack_oauth_states": "random OAuth state values of installs in progress, expiring in minutes",
    "alembic_version": "the schema revision",
}


#: Tables with a ``workspace_id``, in an order that deletes children before their parents.
_BY_WORKSPACE_ID: tuple[type[Base], ...] = (
    TeamChannelRow,
    ActivityRow,
    DecisionGuardRow,
    DecisionReactionRow,
    TeamRow,
    HeldMessageRow,
    ThreadExcerptRow,
    LabelRow,
    UrgentOverrideRow,
    ReturnDigestRow,
    ConversationRow,
    InstallationRow,
    PersonRow,
    WorkspaceDefaultRow,
)


@dataclass(frozen=True)
class ErasedWorkspace:
    """What was erased: rows deleted per table, the workspace's row included."""

    platform: str
    external_id: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def erase_workspace(
    session: AsyncSession, platform: str, external_id: str
) -> ErasedWorkspace | None:
    """Delete every row of the workspace ``(platform, external_id)``, in the caller's transaction.

    Returns what was deleted, or ``None`` when no such workspace is known (nothing changes). Held
    messages are deleted, not cancelled: nobody can be told on a platform we were removed from,
    and the author and conversation are personal data too.
    """
    workspace_id = await session.scalar(
        select(WorkspaceRow.id).where(
            WorkspaceRow.platform == platform, WorkspaceRow.external_id == external_id
        )
    )
    if workspace_id is None:
        return None
    teams = select(TeamRow.id).where(TeamRow.workspace_id == workspace_id).scalar_subquery()
    people = select(PersonRow.id).where(PersonRow.workspace_id == workspace_id).scalar_subquery()
    # children before parents, so no foreign key (or missing ON DELETE CASCADE) is in the way
    statements: list[tuple[str, Delete]] = [
        (
            "team_leaders",
            delete(TeamLeaderRow).where(
                or_(TeamLeaderRow.team_id.in_(teams), TeamLeaderRow.person_id.in_(people))
            ),
        ),
        ("digests", delete(DigestRow).where(DigestRow.team_id.in_(teams))),
    ]
    for model in _BY_WORKSPACE_ID:
        table = Base.metadata.tables[model.__tablename__]
        statements.append((table.name, delete(table).where(table.c.workspace_id == workspace_id)))
    if platform == "slack":  # slack-sdk's OAuth stores name the workspace by team or enterprise
        for table in (slack_installations_table, slack_bots_table):
            statements.append(
                (
                    table.name,
                    delete(table).where(
                        or_(table.c.team_id == external_id, table.c.enterprise_id == external_id)
                    ),
                )
            )
    # shared pacing rows are keyed "c:<platform>:<workspace>:<conversation>#n" and
    # "w:<platform>:<workspace>#n" (bot/delivery/pacing.py)
    slots = SendSlotRow.key
    statements.append(
        (
            "send_slots",
            delete(SendSlotRow).where(
                or_(
                    slots.startswith(f"c:{platform}:{external_id}:", autoescape=True),
                    slots.startswith(f"w:{platform}:{external_id}#", autoescape=True),
                )
            ),
        )
    )
    statements.append(("workspaces", delete(WorkspaceRow).where(WorkspaceRow.id == workspace_id)))
    rows: dict[str, int] = {}
    for table_name, statement in statements:
        result = await session.execute(statement)
        rows[table_name] = rows.get(table_name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]
    return ErasedWorkspace(platform, external_id, rows)
