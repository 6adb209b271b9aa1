"""Escalations record the clinical lead's follow-up: who, when and what they did (the note
encrypted, as it is about an identified patient), so the escalation page can tell those still
waiting from those seen to. Escalations before this all wait for follow-up.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webapp.models.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", webapp.models.base.EncryptedText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_escalation_follow_ups_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["moderation_items.id"],
            name=op.f("fk_escalation_follow_ups_item_id_moderation_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_follow_ups")),
    )
    op.create_index(
        op.f("ix_escalation_follow_ups_item_id"), "escalation_follow_ups", ["item_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_escalation_follow_ups_item_id"), table_name="escalation_follow_ups")
    op.drop_table("escalation_follow_ups")
