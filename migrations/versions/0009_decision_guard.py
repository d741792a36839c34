"""the decision guard: guarded decisions, approving reactions, a team's grace period

Revision ID: 0009_decision_guard
Revises: 0008_people_platform_hours
Create Date: 2026-12-05 17:00:00

``decision_guards`` holds one row per guarded thread (the claim that makes its reply go out
once), ``decision_reactions`` who put an approving reaction on which message (metadata only),
``teams.guard_minutes`` the team's grace period (240 working minutes by default, 0 = off) and
``off_hours_activity.message_id`` lets a reaction on a reply find its thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0009_decision_guard"
down_revision: str | None = "0008_people_platform_hours"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guard_minutes", sa.Integer(), nullable=False, server_default="240")
        )
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
    op.create_table(
        "decision_guards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("decided_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("guard_until", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("away", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("platform_message_id", sa.String(length=255), nullable=True),
        sa.Column("asked_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("settled_by", sa.String(length=255), nullable=True),
        sa.Column("settled_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'confirmed', 'reopened')", name=op.f("ck_decision_guards_state")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_decision_guards_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_decision_guards_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_guards")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            "thread_id",
            name=op.f("uq_decision_guards_workspace_id_conversation_id_thread_id"),
        ),
    )
    with op.batch_alter_table("decision_guards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decision_guards_state_guard_until", ["state", "guard_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decision_guards_team_id"), ["team_id"], unique=False)
    op.create_table(
        "decision_reactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("reaction", sa.String(length=64), nullable=False),
        sa.Column("reacted_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_decision_reactions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_reactions")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            "message_id",
            "person_id",
            "reaction",
            name=op.f(
                "uq_decision_reactions_workspace_id_conversation_id_message_id_person_id_reaction"
            ),
        ),
    )
    with op.batch_alter_table("decision_reactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_reactions_reacted_at"), ["reacted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("decision_reactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_reactions_reacted_at"))
    op.drop_table("decision_reactions")
    with op.batch_alter_table("decision_guards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_guards_team_id"))
        batch_op.drop_index("ix_decision_guards_state_guard_until")
    op.drop_table("decision_guards")
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.drop_column("message_id")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("guard_minutes")
