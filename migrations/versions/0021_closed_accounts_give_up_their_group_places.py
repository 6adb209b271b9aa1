"""Accounts closed before closing gave up group places still held places, waits, offers or
invitations: they are marked as left, as a closure now does. The places freed go to those
waiting at the group's next change (a leave, an edit), when they are told by email; a migration
sends no email.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE group_enrolments SET status = 'left' "
        "WHERE status IN ('enrolled', 'waiting', 'offered', 'invited') "
        "AND patient_id IN (SELECT id FROM users WHERE NOT is_active_account)"
    )


def downgrade() -> None:
    pass  # which places were held before cannot be told apart from those left by choice
