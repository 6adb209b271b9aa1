"""Group meeting risk alerts in the moderation queue: an item is about a community post or a
group message (exactly one), and a group alert can be closed once checked with the facilitator.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE moderation_resolution ADD VALUE IF NOT EXISTS 'closed'")
    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_message_id", sa.Integer(), nullable=True))
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_moderation_items_group_message_id"), ["group_message_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_moderation_items_group_message_id_group_messages"),
            "group_messages",
            ["group_message_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "one_subject", "(post_id IS NULL) <> (group_message_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM moderation_items WHERE group_message_id IS NOT NULL")
    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_one_subject"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_moderation_items_group_message_id_group_messages"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_moderation_items_group_message_id"))
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("group_message_id")
    # PostgreSQL cannot drop one value from an enum type; an unused 'closed' is harmless.
