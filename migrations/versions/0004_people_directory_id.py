"""people.directory_id: the Entra ID object id, for Outlook working hours

Revision ID: 0004_people_directory_id
Revises: 0003_thread_excerpts
Create Date: 2026-11-27 04:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_people_directory_id"
down_revision: str | None = "0003_thread_excerpts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("directory_id")
