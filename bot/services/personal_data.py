"""A person's own data: export it to them, or erase it (GDPR Art. 15, 17 and 20).

What belongs to a person in a workspace: their profile row (hours, days off, time zone,
language, auto-hold; their access token is never exported, and erased), the messages they hold
or held (texts decrypted), the off-hours activity recorded for them, their urgent-override
records and the teams they lead. Thread first lines are not attributed to anyone and stay until
their digest (14 days at most); the teams' own settings belong to the workspace.

Erasing cancels their open held messages (withdrawn from the platform first where it has a copy,
so nothing is posted later), then deletes all of the above in one transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.export import row_dict
from bot.storage.crypto import Cipher
from bot.storage.models import (
    ActivityRow,
    Base,
    DecisionGuardRow,
    DecisionReactionRow,
    HeldMessageRow,
    PersonRow,
    ReturnDigestRow,
    TeamLeaderRow,
    TeamRow,
    UrgentOverrideRow,
    WorkspaceDefaultRow,
)
from bot.storage.outbox_leases import OPEN_STATES

__all__ = ["PERSONAL_FORMAT", "erase_person", "export_person", "open_held"]

PERSONAL_FORMAT = "quiet-hours-personal-export/1"


async def export_person(
    session: AsyncSession, cipher: Cipher, workspace_id: int, person: str
) -> dict[str, object]:
    """Everything stored about platform user ``person`` in the workspace (shape as
    ``bot.services.export``: ``{"format", "person", "tables"}``)."""
    tables = Base.metadata.tables
    profile = (
        await session.execute(
            select(tables["people"]).where(
                PersonRow.workspace_id == workspace_id, PersonRow.external_id == person
            )
        )
    ).first()
    selections = {
        "held_messages": select(tables["held_messages"])
        .where(HeldMessageRow.workspace_id == workspace_id, HeldMessageRow.author_id == person)
        .order_by(HeldMessageRow.created_at),
        "off_hours_activity": select(tables["off_hours_activity"])
        .where(ActivityRow.workspace_id == workspace_id, ActivityRow.person_id == person)
        .order_by(ActivityRow.occurred_at),
        "decision_reactions": select(tables["decision_reactions"])
        .where(
            DecisionReactionRow.workspace_id == workspace_id,
            DecisionReactionRow.person_id == person,
        )
        .order_by(DecisionReactionRow.reacted_at),
        "urgent_overrides": select(tables["urgent_overrides"])
        .where(
            UrgentOverrideRow.workspace_id == workspace_id, UrgentOverrideRow.sender_id == person
        )
        .order_by(UrgentOverrideRow.occurred_at),
        "return_digests": select(tables["return_digests"])
        .where(ReturnDigestRow.workspace_id == workspace_id, ReturnDigestRow.person_id == person)
        .order_by(ReturnDigestRow.period_end),
    }
    out: dict[str, list[dict[str, object]]] = {}
    for name, query in selections.items():
        out[name] = [row_dict(tables[name], row, cipher) for row in await session.execute(query)]
    led = await session.scalars(
        select(TeamRow.name)
        .join(TeamLeaderRow, TeamLeaderRow.team_id == TeamRow.id)
        .join(PersonRow, PersonRow.id == TeamLeaderRow.person_id)
        .where(PersonRow.workspace_id == workspace_id, PersonRow.external_id == person)
        .order_by(TeamRow.name)
    )
    return {
        "format": PERSONAL_FORMAT,
        "person": None if profile is None else row_dict(tables["people"], profile, cipher),
        "leads_teams": list(led),
        "tables": out,
    }


async def open_held(session: AsyncSession, workspace_id: int, person: str) -> list[str]:
    """Ids of ``person``'s messages still waiting (to cancel before erasing)."""
    found = await session.scalars(
        select(HeldMessageRow.id).where(
            HeldMessageRow.workspace_id == workspace_id,
            HeldMessageRow.author_id == person,
            HeldMessageRow.state.in_(OPEN_STATES),
        )
    )
    return list(found)


async def erase_person(
    session: AsyncSession,
    workspace_id: int,
    person: str,
) -> dict[str, int]:
    """Delete everything of ``person`` in the workspace, in the caller's transaction; rows
    deleted per table. Cancel their :func:`open_held` messages first (withdrawing copies the
    platform holds); rows still open then are deleted all the same, so the delivery engine
    finds nothing to post."""
    people = (
        select(PersonRow.id)
        .where(PersonRow.workspace_id == workspace_id, PersonRow.external_id == person)
        .scalar_subquery()
    )
    statements = {
        "team_leaders": delete(TeamLeaderRow).where(TeamLeaderRow.person_id.in_(people)),
        "held_messages": delete(HeldMessageRow).where(
            HeldMessageRow.workspace_id == workspace_id, HeldMessageRow.author_id == person
        ),
        "off_hours_activity": delete(ActivityRow).where(
            ActivityRow.workspace_id == workspace_id, ActivityRow.person_id == person
        ),
        "decision_reactions": delete(DecisionReactionRow).where(
            DecisionReactionRow.workspace_id == workspace_id,
            DecisionReactionRow.person_id == person,
        ),
        # who confirmed or reopened a guarded decision is forgotten; the decision stays
        "decision_guards": update(DecisionGuardRow)
        .where(DecisionGuardRow.workspace_id == workspace_id, DecisionGuardRow.settled_by == person)
        .values(settled_by=None),
        "urgent_overrides": delete(UrgentOverrideRow).where(
            UrgentOverrideRow.workspace_id == workspace_id, UrgentOverrideRow.sender_id == person
        ),
        # who installed the app or last changed the workspace default is forgotten; it stays
        "workspace_defaults": update(WorkspaceDefaultRow)
        .where(
            WorkspaceDefaultRow.workspace_id == workspace_id,
            WorkspaceDefaultRow.installed_by == person,
        )
        .values(installed_by=None),
        "workspace_defaults.changed_by": update(WorkspaceDefaultRow)
        .where(
            WorkspaceDefaultRow.workspace_id == workspace_id,
            WorkspaceDefaultRow.changed_by == person,
        )
        .values(changed_by=None),
        "return_digests": delete(ReturnDigestRow).where(
            ReturnDigestRow.workspace_id == workspace_id, ReturnDigestRow.person_id == person
        ),
        "people": delete(PersonRow).where(
            PersonRow.workspace_id == workspace_id, PersonRow.external_id == person
        ),
    }
    deleted: dict[str, int] = {}
    for name, statement in statements.items():
        result = await session.execute(statement)
        deleted[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted
