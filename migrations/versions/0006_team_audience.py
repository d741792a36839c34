"""teams.audience: whose hours decide for a team's channels ("team" or "members")

Revision ID: 0006_team_audience
Revises: 0005_delivery_fencing
Create Date: 2026-12-05 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_team_audience"
down_revision: str | None = "0005_delivery_fencing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=8), nullable=False, server_default="team")
        )


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("audience")
