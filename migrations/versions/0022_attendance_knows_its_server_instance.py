"""Each app instance records its own life (started, still serving every 15 seconds, stopped),
and each attendance event the instance that held the connection: a connection its server took
down without recording it then ends when that server stopped, not at the end of the session,
and the gaps between lives are the provider's outages. Events recorded before this have no
instance and are read as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webapp.models.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_instances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", webapp.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_instances")),
    )
    op.create_index("ix_server_instances_beat_at", "server_instances", ["beat_at"], unique=False)
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.drop_column("instance")
    op.drop_index("ix_server_instances_beat_at", table_name="server_instances")
    op.drop_table("server_instances")
