"""An updated assessment keeps the version it replaces (who recorded it and when, who replaced
it and when, its words still encrypted), where before a save overwrote the risk assessment in
place. Step changes say which one the assessment set, so that step follows a corrected
assessment date; the earliest "Assessment" step change of each episode is that one.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webapp.models.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "episode_assessment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("problem_descriptor", sa.String(length=30), nullable=False),
        sa.Column("icd10_code", sa.String(length=8), nullable=True),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("risk_summary", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("risk_plan", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("goals", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("options_explained", webapp.models.base.EncryptedText(), nullable=False),
        sa.Column("preference", sa.Text(), nullable=False),
        sa.Column("preference_met", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["care_episodes.id"],
            name=op.f("fk_episode_assessment_versions_episode_id_care_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_episode_assessment_versions_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["users.id"],
            name=op.f("fk_episode_assessment_versions_superseded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_assessment_versions")),
    )
    op.create_index(
        "ix_episode_assessment_versions_episode",
        "episode_assessment_versions",
        ["episode_id", "superseded_at"],
        unique=False,
    )
    # A plain ADD COLUMN (SQLite takes one with a constant default), not a copy of the table.
    op.add_column(
        "step_changes",
        sa.Column("set_by_assessment", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        "UPDATE step_changes SET set_by_assessment = TRUE WHERE id IN ("
        " SELECT MIN(id) FROM step_changes WHERE reason = 'Assessment' GROUP BY episode_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("step_changes", schema=None) as batch_op:
        batch_op.drop_column("set_by_assessment")
    op.drop_index(
        "ix_episode_assessment_versions_episode", table_name="episode_assessment_versions"
    )
    op.drop_table("episode_assessment_versions")
