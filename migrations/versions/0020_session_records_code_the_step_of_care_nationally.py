"""Session records code the step of care as the national dataset does ("2", "3"), as the
episode's coding already did; they had "step2" and "step3", which reached the commissioners'
extracts beside "2" and "3" from appointments without a record.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE session_records SET step_of_care = substr(step_of_care, 5) "
        "WHERE step_of_care IN ('step2', 'step3')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE session_records SET step_of_care = 'step' || step_of_care "
        "WHERE step_of_care IN ('2', '3')"
    )
