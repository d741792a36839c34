"""held_messages.seq: a message's place in its conversation's backlog, for fair claims

Revision ID: 0012_held_seq
Revises: 0011_in_hours_activity
Create Date: 2026-12-05 19:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_held_seq"
down_revision: str | None = "0011_in_hours_activity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each open row's place among its conversation's open rows, in due order (ties by id), as
#: the hold path would have numbered them.
BACKFILL = """
UPDATE held_messages SET seq = (
    SELECT count(*) FROM held_messages AS other
    WHERE other.workspace_id = held_messages.workspace_id
      AND other.conversation_id = held_messages.conversation_id
      AND other.state IN ('held', 'delivering')
      AND (other.deliver_at < held_messages.deliver_at
           OR (other.deliver_at = held_messages.deliver_at AND other.id <= held_messages.id))
)
WHERE state IN ('held', 'delivering')
"""


def upgrade() -> None:
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="1"))
    op.create_index(
        "ix_held_messages_workspace_id_conversation_id_state",
        "held_messages",
        ["workspace_id", "conversation_id", "state"],
    )
    op.execute(sa.text(BACKFILL))
    op.drop_index("ix_held_messages_state_deliver_at", table_name="held_messages")
    op.create_index(
        "ix_held_messages_state_deliver_at_seq", "held_messages", ["state", "deliver_at", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_held_messages_state_deliver_at_seq", table_name="held_messages")
    op.create_index("ix_held_messages_state_deliver_at", "held_messages", ["state", "deliver_at"])
    op.drop_index("ix_held_messages_workspace_id_conversation_id_state", table_name="held_messages")
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.drop_column("seq")
