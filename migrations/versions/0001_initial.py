"""initial schema

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-27 01:46:04.505795
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "seen_events",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("seen_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_id", name=op.f("pk_seen_events")),
    )
    with op.batch_alter_table("seen_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_events_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("default_locale", sa.String(length=16), nullable=False),
        sa.Column("installed_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("uninstalled_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_workspaces_platform_external_id")
        ),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_url", sa.String(length=512), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_conversations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            name=op.f("uq_conversations_workspace_id_conversation_id"),
        ),
    )
    op.create_table(
        "held_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=True),
        sa.Column("author_id", sa.String(length=255), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("as_author", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("deliver_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("platform_message_id", sa.String(length=255), nullable=True),
        sa.Column("platform_schedule_id", sa.String(length=255), nullable=True),
        sa.Column("delivered_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('held', 'delivering', 'delivered', 'cancelled', 'failed')",
            name=op.f("ck_held_messages_state"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_held_messages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_messages")),
    )
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_held_messages_state_deliver_at", ["state", "deliver_at"], unique=False
        )
        batch_op.create_index(
            "ix_held_messages_workspace_id_author_id", ["workspace_id", "author_id"], unique=False
        )

    op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("bot_user_id", sa.String(length=255), nullable=True),
        sa.Column("app_id", sa.String(length=255), nullable=True),
        sa.Column("bot_token_enc", sa.LargeBinary(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("installed_by", sa.String(length=255), nullable=True),
        sa.Column("installed_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_installations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
    )
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_installations_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("period_end", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("due_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("labelled_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("platform_message_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_labels_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            "thread_id",
            "period_end",
            name=op.f("uq_labels_workspace_id_conversation_id_thread_id_period_end"),
        ),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("hours_spec", sa.Text(), nullable=True),
        sa.Column("hours_source", sa.String(length=16), nullable=True),
        sa.Column("days_off", sa.Text(), nullable=True),
        sa.Column("auto_hold", sa.Boolean(), nullable=False),
        sa.Column("user_token_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_people_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_people_workspace_id_external_id")
        ),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("hours_spec", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("urgent_who", sa.String(length=16), nullable=False),
        sa.Column("urgent_people", sa.Text(), nullable=False),
        sa.Column("digest_weekday", sa.Integer(), nullable=True),
        sa.Column("digest_at", sa.String(length=5), nullable=True),
        sa.Column("digest_target", sa.String(length=8), nullable=False),
        sa.Column("preset", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('hold', 'label', 'off')", name=op.f("ck_teams_mode")),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_teams_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )
    op.create_table(
        "urgent_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("held_message_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_urgent_overrides_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_overrides")),
    )
    with op.batch_alter_table("urgent_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_urgent_overrides_workspace_id_occurred_at",
            ["workspace_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("period_start", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("period_end", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("posted_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('claimed', 'posted', 'empty', 'failed')", name=op.f("ck_digests_state")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_digests_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("team_id", "period_end", name=op.f("uq_digests_team_id_period_end")),
    )
    op.create_table(
        "off_hours_activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("is_thread_root", sa.Boolean(), nullable=False),
        sa.Column("decision_signal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_off_hours_activity_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_off_hours_activity_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_off_hours_activity")),
    )
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_off_hours_activity_workspace_id_occurred_at",
            ["workspace_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "team_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_channels_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_team_channels_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_channels")),
        sa.UniqueConstraint(
            "workspace_id",
            "conversation_id",
            name=op.f("uq_team_channels_workspace_id_conversation_id"),
        ),
    )
    with op.batch_alter_table("team_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_channels_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_leaders",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_team_leaders_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_leaders_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "person_id", name=op.f("pk_team_leaders")),
    )


def downgrade() -> None:

    op.drop_table("team_leaders")
    with op.batch_alter_table("team_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_channels_team_id"))

    op.drop_table("team_channels")
    with op.batch_alter_table("off_hours_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_off_hours_activity_workspace_id_occurred_at")

    op.drop_table("off_hours_activity")
    op.drop_table("digests")
    with op.batch_alter_table("urgent_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_urgent_overrides_workspace_id_occurred_at")

    op.drop_table("urgent_overrides")
    op.drop_table("teams")
    op.drop_table("people")
    op.drop_table("labels")
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_installations_workspace_id"))

    op.drop_table("installations")
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_held_messages_workspace_id_author_id")
        batch_op.drop_index("ix_held_messages_state_deliver_at")

    op.drop_table("held_messages")
    op.drop_table("conversations")
    op.drop_table("workspaces")
    with op.batch_alter_table("seen_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_events_seen_at"))

    op.drop_table("seen_events")
