"""model runs, forecasts, shock events, backtest scores

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:17:38.920498
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("last_period", sa.Date(), nullable=True),
        sa.Column("data_as_of", UtcDateTime(), nullable=True),
        sa.Column("fitted_at", UtcDateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_runs")),
    )
    with op.batch_alter_table("model_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_model_runs_series_fitted", ["series_key", "fitted_at"], unique=False
        )

    op.create_table(
        "backtest_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(length=128), nullable=False),
        sa.Column("model_run_id", sa.Integer(), nullable=True),
        sa.Column("made_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("mase", sa.Float(), nullable=True),
        sa.Column("naive_mase", sa.Float(), nullable=True),
        sa.Column("coverage_80", sa.Float(), nullable=True),
        sa.Column("coverage_95", sa.Float(), nullable=True),
        sa.Column("false_alarms_per_year", sa.Float(), nullable=True),
        sa.Column("beats_seasonal_naive", sa.Boolean(), nullable=True),
        sa.Column("n_forecasts", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_run_id"],
            ["model_runs.id"],
            name=op.f("fk_backtest_scores_model_run_id_model_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_scores")),
    )
    with op.batch_alter_table("backtest_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backtest_scores_series_made", ["series_key", "made_at"], unique=False
        )

    op.create_table(
        "forecasts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(length=128), nullable=False),
        sa.Column("model_run_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Date(), nullable=False),
        sa.Column("made_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_run_id"], ["model_runs.id"], name=op.f("fk_forecasts_model_run_id_model_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
    )
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.create_index("ix_forecasts_series_made", ["series_key", "made_at"], unique=False)

    op.create_table(
        "shock_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(length=128), nullable=False),
        sa.Column("start_period", sa.Date(), nullable=False),
        sa.Column("end_period", sa.Date(), nullable=True),
        sa.Column("peak_period", sa.Date(), nullable=False),
        sa.Column("observed", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("lower_95", sa.Float(), nullable=False),
        sa.Column("upper_95", sa.Float(), nullable=False),
        sa.Column("zscore", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.JSON(), nullable=False),
        sa.Column("model_run_id", sa.Integer(), nullable=True),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_run_id"],
            ["model_runs.id"],
            name=op.f("fk_shock_events_model_run_id_model_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shock_events")),
        sa.UniqueConstraint("series_key", "start_period", name="uq_shock_events_series_start"),
    )
    op.create_table(
        "forecast_points",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("lower_80", sa.Float(), nullable=False),
        sa.Column("upper_80", sa.Float(), nullable=False),
        sa.Column("lower_95", sa.Float(), nullable=False),
        sa.Column("upper_95", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"], ["forecasts.id"], name=op.f("fk_forecast_points_forecast_id_forecasts")
        ),
        sa.PrimaryKeyConstraint("forecast_id", "period", name=op.f("pk_forecast_points")),
    )


def downgrade() -> None:
    op.drop_table("forecast_points")
    op.drop_table("shock_events")
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.drop_index("ix_forecasts_series_made")

    op.drop_table("forecasts")
    with op.batch_alter_table("backtest_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_backtest_scores_series_made")

    op.drop_table("backtest_scores")
    with op.batch_alter_table("model_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_model_runs_series_fitted")

    op.drop_table("model_runs")
