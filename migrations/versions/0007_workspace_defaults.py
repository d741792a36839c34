"""workspace_defaults: the workspace (Slack) / tenant (Teams) default policy

Revision ID: 0007_workspace_defaults
Revises: 0006_team_audience
Create Date: 2026-12-05 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = "0007_workspace_defaults"
down_revision: str | None = "0006_team_audience"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_defaults",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("preset", sa.String(length=64), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("installed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("onboarded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "mode IN ('hold', 'label', 'off')", name=op.f("ck_workspace_defaults_mode")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_defaults_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_defaults")),
    )


def downgrade() -> None:
    op.drop_table("workspace_defaults")
