"""people.outlook_away (scheduled Outlook automatic replies) and return_digests (welcome back)

Revision ID: 0010_days_off
Revises: 0009_decision_guard
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0010_days_off"
down_revision: str | None = "0009_decision_guard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outlook_away", sa.Text(), nullable=True))
    op.create_table(
        "return_digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("period_start", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("period_end", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("posted_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'empty', 'failed')",
            name=op.f("ck_return_digests_state"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_return_digests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_digests")),
        sa.UniqueConstraint(
            "workspace_id",
            "person_id",
            "period_end",
            name=op.f("uq_return_digests_workspace_id_person_id_period_end"),
        ),
    )


def downgrade() -> None:
    op.drop_table("return_digests")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("outlook_away")
