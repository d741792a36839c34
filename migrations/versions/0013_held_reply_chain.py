"""held_messages: an auto-held message's original id, and the held root a reply follows

Revision ID: 0013_held_reply_chain
Revises: 0012_held_seq
Create Date: 2026-12-05 20:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_held_reply_chain"
down_revision: str | None = "0012_held_seq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("after_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_held_messages_after_id", ["after_id"], unique=False)
        batch_op.create_index(
            "ix_held_messages_source_message_id", ["source_message_id"], unique=False
        )


def downgrade() -> None:
    # a reply still waiting for its root goes out on its own (at the channel's top) rather than
    # wait for a link the older schema cannot keep
    op.execute(sa.text("UPDATE held_messages SET thread_id = NULL WHERE after_id IS NOT NULL"))
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_held_messages_source_message_id")
        batch_op.drop_index("ix_held_messages_after_id")
        batch_op.drop_column("after_id")
        batch_op.drop_column("source_message_id")
