"""people.platform_hours_spec/_days/platform_read_at: the platform's schedule, apart from a
person's own hours

Revision ID: 0008_people_platform_hours
Revises: 0007_workspace_defaults
Create Date: 2026-12-05 17:00:00

Before this, a schedule read from Slack or Outlook was stored in ``hours_spec`` with
``hours_source = 'platform'`` — Slack's as ``mon-sun``, which made Saturday a working day. Such
rows move to the new columns (Slack's without days of their own, Outlook's with them) and are
marked unread, so the next sight of the person reads them again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0008_people_platform_hours"
down_revision: str | None = "0007_workspace_defaults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_hours_spec", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "platform_hours_days", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column("platform_read_at", bot.storage.types.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_people_platform_read_at"), ["platform_read_at"], unique=False
        )
    op.execute(
        "UPDATE people SET platform_hours_spec = hours_spec, "
        "platform_hours_days = (SELECT w.platform = 'teams' FROM workspaces w "
        "WHERE w.id = people.workspace_id), "
        "hours_spec = NULL, hours_source = NULL "
        "WHERE hours_source = 'platform'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE people SET hours_spec = platform_hours_spec, hours_source = 'platform' "
        "WHERE hours_spec IS NULL AND platform_hours_spec IS NOT NULL"
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_platform_read_at"))
        batch_op.drop_column("platform_read_at")
        batch_op.drop_column("platform_hours_days")
        batch_op.drop_column("platform_hours_spec")
