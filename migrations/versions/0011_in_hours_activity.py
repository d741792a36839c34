"""off_hours_activity.in_hours: daytime messages kept for a welcome-back digest

Revision ID: 0011_in_hours_activity
Revises: 0010_days_off
Create Date: 2026-12-05 18:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_in_hours_activity"
down_revision: str | None = "0010_days_off"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # every row written so far was off-hours: false is their truth, not a guess
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # the daytime rows mean nothing to a schema without the marker: they go with it
    op.execute(sa.text("DELETE FROM off_hours_activity WHERE in_hours"))
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.drop_column("in_hours")
