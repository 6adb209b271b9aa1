"""Session records keep their earlier versions: an amendment raises the record's version,
says who amended it and when, and keeps what it replaced in `session_record_versions` (the
notes encrypted, as in the record). The first saving time and lateness stay as first
recorded. Records already stored are their own first version, never amended.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webapp.models.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("amended_at", webapp.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("amended_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_session_records_amended_by_id_users"),
            "users",
            ["amended_by_id"],
            ["id"],
        )
    op.create_table(
        "session_record_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("clinical_notes", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("therapy_type", sa.String(length=40), nullable=False),
        sa.Column("appointment_type", sa.String(length=30), nullable=True),
        sa.Column("step_of_care", sa.String(length=10), nullable=False),
        sa.Column("contact_minutes", sa.Integer(), nullable=False),
        sa.Column("attendance_code", sa.String(length=2), nullable=False),
        sa.Column("next_steps", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("saved_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_session_record_versions_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["users.id"], name=op.f("fk_session_record_versions_saved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["users.id"],
            name=op.f("fk_session_record_versions_replaced_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_record_versions")),
        sa.UniqueConstraint(
            "appointment_id",
            "version",
            name=op.f("uq_session_record_versions_appointment_id_version"),
        ),
    )


def downgrade() -> None:
    op.drop_table("session_record_versions")
    with op.batch_alter_table("session_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_session_records_amended_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("amended_by_id")
        batch_op.drop_column("amended_at")
        batch_op.drop_column("version")
