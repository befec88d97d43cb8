"""The store's tables. Raw layer as received; series layer with vintages.

Changing a table means a new Alembic revision in `migrations/versions/`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from service.store.types import Money, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Every file or HTTP response received, by checksum: the same bytes are never ingested twice.
received_files = Table(
    "received_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("source", String(16), nullable=False),  # "rates" | "transfers"
    Column("size_bytes", BigInteger, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # "ingested" | "rejected"
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_new", Integer, nullable=False, default=0),
    Column("rows_corrected", Integer, nullable=False, default=0),
    Column("rows_unchanged", Integer, nullable=False, default=0),
    Column("rows_quarantined", Integer, nullable=False, default=0),
    Column("reason", Text, nullable=True),
)

#: NBKR official rates: `value` som per `nominal` units, in force from `rate_date` on.
#: A changed figure for the same (rate_date, currency) is a new vintage.
official_rates = Table(
    "official_rates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rate_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("nominal", Integer, nullable=False),
    Column("value", Money(4), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("file_id", Integer, ForeignKey("received_files.id"), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("rate_date", "currency", "vintage", name="uq_official_rates_key_vintage"),
)

_transfer_key_columns = (
    ("report_date", Date),
    ("bank_code", String(32)),
    ("system", String(64)),
    ("country", String(2)),
    ("direction", String(3)),
    ("currency", String(3)),
)

#: Every vintage of every bank transfer aggregate ever received (append only), identified
#: by its key and vintage: no surrogate id, whose index would cost a tenth of a bulk load.
#: On SQLite both transfer tables are WITHOUT ROWID: the rows live in the key's b-tree
#: instead of a second one beside it (a tenth less time to load).
transfer_vintages = Table(
    "transfer_vintages",
    metadata,
    *(Column(name, type_, primary_key=True) for name, type_ in _transfer_key_columns),
    Column("amount", Money(2), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("vintage", Integer, primary_key=True),
    # No foreign key on the two bulk tables: a per-row check doubles the cost of a large
    # file on PostgreSQL. `file_id` is written in the same transaction as its
    # received_files row, and a test holds that every file_id refers to one.
    Column("file_id", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    sqlite_with_rowid=False,
)

#: The latest vintage of each transfer key, kept beside the history for fast reads.
transfers_current = Table(
    "transfers_current",
    metadata,
    *(Column(name, type_, primary_key=True) for name, type_ in _transfer_key_columns),
    Column("amount", Money(2), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("file_id", Integer, nullable=False),
    sqlite_with_rowid=False,
)

#: Rows that failed validation, with the reason and the original row: nothing is dropped.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_id", Integer, ForeignKey("received_files.id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column_name", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("raw", JSON, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_quarantine_file", "file_id"),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("status", String(16), nullable=False),  # "running" | "ok" | "failed" | "interrupted"
    Column("rows", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("detail", JSON, nullable=True),
    Index("ix_job_runs_job_started", "job", "started_at"),
)

#: Where an incremental source (a bank database) stopped reading.
source_watermarks = Table(
    "source_watermarks",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("watermark", String(64), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # "remittance" | "fx"
    Column("frequency", String(1), nullable=False),  # "D" | "W" | "M"
    Column("unit", String(32), nullable=False),
    Column("dimensions", JSON, nullable=False),
    Column("description", Text, nullable=False),
)

#: Observations with vintages: a changed value is a new row, never an update.
observations = Table(
    "observations",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("period", Date, primary_key=True),
    Column("vintage_at", UtcDateTime(), primary_key=True),
    Column("value", Float, nullable=False),
)

#: Per series, what list_series answers, kept up to date by every write of observations
#: (series.refresh_stats) so that listing never aggregates the observations: the number of
#: periods, of rows (vintages: it grows with every write, which is what readers' caches
#: compare), the first and last period and the newest vintage.
series_stats = Table(
    "series_stats",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("periods", Integer, nullable=False),
    Column("vintages", Integer, nullable=False),
    Column("first_period", Date, nullable=False),
    Column("last_period", Date, nullable=False),
    Column("last_vintage_at", UtcDateTime(), nullable=False),
)

#: One fit of one model: what was fitted (spec, parameters) and how it went.
model_runs = Table(
    "model_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_key", String(128), nullable=False),  # a series key, or "var" for the VAR
    Column("kind", String(16), nullable=False),  # "sarimax" | "var"
    Column("status", String(32), nullable=False),  # "ok" | "failed" | "insufficient_data"
    Column("reason", Text, nullable=True),
    Column("spec", JSON, nullable=True),
    Column("params", JSON, nullable=True),
    Column("result", JSON, nullable=False),  # the model's full result (criteria, diagnostics)
    Column("last_period", Date, nullable=True),
    Column("data_as_of", UtcDateTime(), nullable=True),  # the data vintage fitted
    Column("fitted_at", UtcDateTime(), nullable=False),
    Column("seconds", Float, nullable=False),
    Index("ix_model_runs_series_fitted", "series_key", "fitted_at"),
)

forecasts = Table(
    "forecasts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_key", String(128), nullable=False),
    Column("model_run_id", Integer, ForeignKey("model_runs.id"), nullable=False),
    Column("origin", Date, nullable=False),  # the last observed period
    Column("made_at", UtcDateTime(), nullable=False),
    Index("ix_forecasts_series_made", "series_key", "made_at"),
)

#: Forecast points in USD: the mean and the 80% and 95% bands.
forecast_points = Table(
    "forecast_points",
    metadata,
    Column("forecast_id", Integer, ForeignKey("forecasts.id"), primary_key=True),
    Column("period", Date, primary_key=True),
    Column("mean", Float, nullable=False),
    Column("lower_80", Float, nullable=False),
    Column("upper_80", Float, nullable=False),
    Column("lower_95", Float, nullable=False),
    Column("upper_95", Float, nullable=False),
)

#: Shock episodes: one row per event, updated while it is open.
shock_events = Table(
    "shock_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_key", String(128), nullable=False),
    Column("start_period", Date, nullable=False),
    Column("end_period", Date, nullable=True),
    Column("peak_period", Date, nullable=False),
    Column("observed", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("lower_95", Float, nullable=False),
    Column("upper_95", Float, nullable=False),
    Column("zscore", Float, nullable=False),
    Column("severity", String(16), nullable=False),  # "warning" | "critical"
    Column("status", String(16), nullable=False),  # "open" | "closed"
    Column("periods", Integer, nullable=False),
    Column("contributors", JSON, nullable=False),
    Column("model_run_id", Integer, ForeignKey("model_runs.id"), nullable=True),
    Column("detected_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("series_key", "start_period", name="uq_shock_events_series_start"),
)

backtest_scores = Table(
    "backtest_scores",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_key", String(128), nullable=False),
    Column("model_run_id", Integer, ForeignKey("model_runs.id"), nullable=True),
    Column("made_at", UtcDateTime(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("mase", Float, nullable=True),
    Column("naive_mase", Float, nullable=True),
    Column("coverage_80", Float, nullable=True),
    Column("coverage_95", Float, nullable=True),
    Column("false_alarms_per_year", Float, nullable=True),
    Column("beats_seasonal_naive", Boolean, nullable=True),
    Column("n_forecasts", Integer, nullable=False),
    Column("horizon", Integer, nullable=False),
    Column("result", JSON, nullable=False),
    Index("ix_backtest_scores_series_made", "series_key", "made_at"),
)

#: Jobs asked for through the API; the scheduler holding the leader lock runs them.
job_requests = Table(
    "job_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # "pending" | "running" | "ok" | "failed"
    Column("started_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("run_id", Integer, ForeignKey("job_runs.id"), nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_job_requests_status", "status", "requested_at"),
)
