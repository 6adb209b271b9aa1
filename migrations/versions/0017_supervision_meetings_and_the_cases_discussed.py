"""Supervision meetings (date, supervisor, therapist, agreed actions encrypted at rest) and the
care episodes discussed at each.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 09:30:27.631755
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webapp.models.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=False),
        sa.Column("agreed_actions", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_supervision_meetings_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["users.id"],
            name=op.f("fk_supervision_meetings_supervisor_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"], ["users.id"], name=op.f("fk_supervision_meetings_therapist_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_meetings")),
    )
    with op.batch_alter_table("supervision_meetings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_meetings_therapist", ["therapist_id", "met_on"], unique=False
        )

    op.create_table(
        "supervision_cases",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["care_episodes.id"],
            name=op.f("fk_supervision_cases_episode_id_care_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["supervision_meetings.id"],
            name=op.f("fk_supervision_cases_meeting_id_supervision_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "episode_id", name=op.f("pk_supervision_cases")),
    )
    with op.batch_alter_table("supervision_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_cases_episode_id"), ["episode_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supervision_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_cases_episode_id"))

    op.drop_table("supervision_cases")
    with op.batch_alter_table("supervision_meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_meetings_therapist")

    op.drop_table("supervision_meetings")
