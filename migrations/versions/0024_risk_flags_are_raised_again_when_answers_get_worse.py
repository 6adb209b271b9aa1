"""A risk flag records the value that raised it (an item's answer or a total), so that an answer
changed for the worse after a clinician acknowledged the flag raises another: the appointment
may now hold one flag per code and level. Flags raised before this have no level and are never
raised again from it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_risk_flags_appointment_id_code", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_risk_flags_appointment_id_code_level"),
            ["appointment_id", "code", "level"],
        )


def downgrade() -> None:
    raised_again = op.get_bind().scalar(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT appointment_id, code FROM risk_flags"
            " GROUP BY appointment_id, code HAVING COUNT(*) > 1) AS again"
        )
    )
    if raised_again:  # (deleting them would lose what clinicians were shown)
        raise RuntimeError(
            f"{raised_again} appointments have a risk flag raised again at a worse level;"
            " the schema before 0024 cannot hold them, so it is not restored"
        )
    with op.batch_alter_table("risk_flags", schema=None) as batch_op:
        batch_op.drop_constraint("uq_risk_flags_appointment_id_code_level", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_risk_flags_appointment_id_code"), ["appointment_id", "code"]
        )
        batch_op.drop_column("level")
