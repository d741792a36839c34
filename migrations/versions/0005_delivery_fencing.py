"""held_messages.lease_generation/send_generation (fenced sends) and send_slots (shared pacing)

Revision ID: 0005_delivery_fencing
Revises: 0004_people_directory_id
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_delivery_fencing"
down_revision: str | None = "0004_people_directory_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_generation", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("send_generation", sa.Integer(), nullable=True))
    # Rows an older version claimed or tried may have been posted: check before re-sending.
    op.execute(
        "UPDATE held_messages SET send_generation = 0 "
        "WHERE state = 'delivering' OR (state = 'held' AND attempts > 0)"
    )
    op.create_table(
        "send_slots",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_slots")),
    )


def downgrade() -> None:
    op.drop_table("send_slots")
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.drop_column("send_generation")
        batch_op.drop_column("lease_generation")
