"""Indexes for the commissioner reports: a month's appointments, referrals, posts and alerts,
and an episode's appointments in order.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:00:38.051286
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointments_episode_starts", ["episode_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_appointments_starts", ["starts_at"], unique=False)

    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.create_index("ix_community_posts_created", ["created_at"], unique=False)

    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_items_created", ["created_at"], unique=False)

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_received", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_received")

    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_items_created")

    with op.batch_alter_table("community_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_community_posts_created")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_starts")
        batch_op.drop_index("ix_appointments_episode_starts")
