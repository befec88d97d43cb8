"""job requests made through the API

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_job_requests_run_id_job_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_requests")),
    )
    with op.batch_alter_table("job_requests", schema=None) as batch_op:
        batch_op.create_index("ix_job_requests_status", ["status", "requested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_job_requests_status")
    op.drop_table("job_requests")
