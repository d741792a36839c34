"""thread excerpts for the digest's first lines

Revision ID: 0003_thread_excerpts
Revises: 0002_slack_oauth
Create Date: 2026-11-27 04:10:00

The first line of an off-hours thread, encrypted, kept only until the digest that lists it is
out (at most 14 days). The activity table stays metadata only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0003_thread_excerpts"
down_revision: str | None = "0002_slack_oauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_excerpts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("excerpt_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_thread_excerpts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_excerpts")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            "thread_id",
            name=op.f("uq_thread_excerpts_workspace_id_conversation_id_thread_id"),
        ),
    )
    with op.batch_alter_table("thread_excerpts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thread_excerpts_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("thread_excerpts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_excerpts_expires_at"))
    op.drop_table("thread_excerpts")
