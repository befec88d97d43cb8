"""`Store`: the one way the rest of remitwatch reads and writes the time-series store.

Every write method is one transaction: it either happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.store import migrate, model_results, raw, reads, requests, runs, series_stats, snapshot
from service.store import series as series_layer
from service.store.engine import StoreError, db_reason, make_engine, masked
from service.store.leader import LeaderLock
from service.store.records import (
    IngestOutcome,
    OfficialRate,
    QuarantinedRow,
    ReceivedFile,
    SeriesSpec,
)
from service.store.series_cache import SeriesFrames
from service.store.snapshot_records import MetricsSnapshot
from service.store.snapshot_token import ChangeToken, read_change_token


class Store:
    """The time-series store at one SQLAlchemy URL (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: Series read recently, reused while unchanged (see service.store.series_cache).
        self.series_frames = SeriesFrames()

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(make_engine(url))

    @property
    def url(self) -> str:
        return masked(self.engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -----------------------------------------------------------------
    def upgrade(self) -> None:
        """Apply the migrations up to the newest schema (idempotent)."""
        try:
            if migrate.current_revision(self.engine) == migrate.head_revision(self.engine):
                return
            migrate.upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating the store at {self.url} failed: {db_reason(exc)}") from exc

    def schema_revision(self) -> str | None:
        return migrate.current_revision(self.engine)

    def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the store's schema revision, the newest this code knows); StoreError if the
        store cannot be reached."""
        try:
            return migrate.current_revision(self.engine), migrate.head_revision(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"the store at {self.url} cannot be reached: {db_reason(exc)}"
            ) from exc

    def ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(
                f"the store at {self.url} cannot be reached: {db_reason(exc)}"
            ) from exc

    # -- raw layer --------------------------------------------------------------
    def file_seen(self, sha256: str) -> bool:
        with self.engine.connect() as connection:
            return raw.file_seen(connection, sha256)

    def recorded_refusal(self, sha256: str) -> str | None:
        """Why the file with this checksum was rejected, or None (never seen, or taken)."""
        with self.engine.connect() as connection:
            return raw.recorded_refusal(connection, sha256)

    def ingest_rates_file(
        self,
        file: ReceivedFile,
        rates: Sequence[OfficialRate],
        quarantined: Sequence[QuarantinedRow],
        rows_total: int,
    ) -> IngestOutcome:
        with self.engine.begin() as connection:
            if raw.file_seen(connection, file.sha256):
                return IngestOutcome(name=file.name, status="duplicate")
            return raw.ingest_rates(connection, file, rates, quarantined, rows_total)

    def ingest_transfer_file(
        self,
        file: ReceivedFile,
        rows: pl.DataFrame,
        quarantined: Sequence[QuarantinedRow],
        rows_total: int,
    ) -> IngestOutcome:
        with self.engine.begin() as connection:
            if raw.file_seen(connection, file.sha256):
                return IngestOutcome(name=file.name, status="duplicate")
            return raw.ingest_transfers(connection, file, rows, quarantined, rows_total)

    def ingest_transfer_batches(
        self, file: ReceivedFile, batches: Iterable[raw.TransferBatch]
    ) -> IngestOutcome:
        """Store a file given as (valid rows, quarantined rows, data rows) batches, in file
        order, in one transaction: an exception raised by `batches` leaves nothing behind."""
        with self.engine.begin() as connection:
            if raw.file_seen(connection, file.sha256):
                return IngestOutcome(name=file.name, status="duplicate")
            return raw.ingest_transfer_batches(connection, file, batches)

    def record_rejected_file(self, file: ReceivedFile, reason: str) -> IngestOutcome:
        with self.engine.begin() as connection:
            if raw.file_seen(connection, file.sha256):
                return IngestOutcome(name=file.name, status="duplicate")
            return raw.record_rejected(connection, file, reason)

    def transfer_totals(self) -> pl.DataFrame:
        with self.engine.connect() as connection:
            return reads.transfer_totals(connection)

    def current_rates(self) -> pl.DataFrame:
        with self.engine.connect() as connection:
            return reads.current_rates(connection)

    def quarantined_rows(self, limit: int = 100, offset: int = 0) -> list[reads.QuarantineEntry]:
        with self.engine.connect() as connection:
            return reads.quarantined_rows(connection, limit, offset)

    def last_arrivals(self) -> dict[str, datetime | None]:
        """When each source ("rates", "transfers") last brought new or corrected rows."""
        with self.engine.connect() as connection:
            return reads.last_arrivals(connection)

    def status_figures(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            return reads.status_figures(connection)

    # -- series layer -----------------------------------------------------------
    def write_series(
        self, specs: Sequence[SeriesSpec], frame: pl.DataFrame, vintage_at: datetime
    ) -> series_layer.SeriesWriteOutcome:
        with self.engine.begin() as connection:
            return series_layer.write_observations(connection, specs, frame, vintage_at)

    def list_series(self) -> list[series_layer.SeriesSummary]:
        with self.engine.connect() as connection:
            return series_layer.list_series(connection)

    def find_series(self, key: str) -> SeriesSpec | None:
        with self.engine.connect() as connection:
            return series_layer.find_series(connection, key)

    def series_version(self, key: str) -> tuple[int, int] | None:
        """(series id, number of observation rows) of series `key`, None if unknown. The
        number grows with every write of the series: equal numbers, equal observations."""
        with self.engine.connect() as connection:
            return series_stats.vintages_of(connection, key)

    def series_as_of(
        self,
        key: str,
        as_of: datetime | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> pl.DataFrame:
        with self.engine.connect() as connection:
            return series_layer.observations_as_of(
                connection, key, as_of, start, end, self.series_frames
            )

    # -- job runs and watermarks -------------------------------------------------
    def start_run(self, job: str, liveness_lock: str | None = None) -> int:
        with self.engine.begin() as connection:
            return runs.start_run(connection, job, liveness_lock)

    def running_runs(self) -> list[runs.JobRun]:
        with self.engine.connect() as connection:
            return runs.running_runs(connection)

    def mark_run_interrupted(self, run_id: int, error: str) -> bool:
        with self.engine.begin() as connection:
            return runs.mark_interrupted(connection, run_id, error)

    def finish_run(
        self,
        run_id: int,
        status: str,
        rows: int = 0,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            runs.finish_run(connection, run_id, status, rows, error, detail)

    def recent_runs(self, limit: int = 20, job: str | None = None) -> list[runs.JobRun]:
        with self.engine.connect() as connection:
            return runs.recent_runs(connection, limit, job)

    def watermark(self, source: str) -> str | None:
        with self.engine.connect() as connection:
            return runs.get_watermark(connection, source)

    def set_watermark(self, source: str, watermark: str) -> None:
        with self.engine.begin() as connection:
            runs.set_watermark(connection, source, watermark)

    # -- model results ------------------------------------------------------------
    def record_model_run(self, **run: Any) -> int:
        """Store one fit (see `model_results.record_model_run` for the fields)."""
        with self.engine.begin() as connection:
            return model_results.record_model_run(connection, **run)

    def latest_model_run(
        self, series_key: str, *, ok_only: bool = True, fitted_before: datetime | None = None
    ) -> model_results.ModelRun | None:
        with self.engine.connect() as connection:
            return model_results.latest_model_run(
                connection, series_key, ok_only=ok_only, fitted_before=fitted_before
            )

    def model_runs(self, limit: int = 50) -> list[model_results.ModelRun]:
        with self.engine.connect() as connection:
            return model_results.model_runs_list(connection, limit)

    def save_model_outcome(
        self,
        run: Mapping[str, Any],
        *,
        forecast: Mapping[str, Any] | None,
        events: Sequence[Mapping[str, Any]],
        backtest: Mapping[str, Any] | None,
        scored: bool,
    ) -> tuple[int, int, int]:
        """A fit and, when `scored`, its forecast, events and backtest, in one transaction:
        a run is never stored without its results. Returns (model run id, new events,
        updated events)."""
        with self.engine.begin() as connection:
            run_id = model_results.record_model_run(connection, **run)
            if not scored:
                return run_id, 0, 0
            at = run["fitted_at"]
            if forecast is not None:
                model_results.record_forecast(connection, run_id, forecast, at)
            if backtest is not None:
                model_results.record_backtest(connection, backtest, run_id, at)
            new, updated = model_results.replace_shock_events(
                connection, run["series_key"], events, run_id, at
            )
            return run_id, new, updated

    def save_scoring(
        self,
        *,
        series_key: str,
        model_run_id: int,
        forecast: Mapping[str, Any] | None,
        events: Sequence[Mapping[str, Any]],
        backtest: Mapping[str, Any] | None,
        at: datetime,
    ) -> tuple[int, int]:
        """Store a series' forecast, shock events and backtest score in one transaction.

        Returns (new events, updated events).
        """
        with self.engine.begin() as connection:
            if forecast is not None:
                model_results.record_forecast(connection, model_run_id, forecast, at)
            if backtest is not None:
                model_results.record_backtest(connection, backtest, model_run_id, at)
            return model_results.replace_shock_events(
                connection, series_key, events, model_run_id, at
            )

    def latest_forecast(
        self,
        series_key: str,
        made_before: datetime | None = None,
        origin_until: date | None = None,
    ) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            return model_results.latest_forecast(connection, series_key, made_before, origin_until)

    def shock_events(
        self,
        *,
        since: date | None = None,
        status: str | None = None,
        series_key: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return model_results.list_shock_events(
                connection, since=since, status=status, series_key=series_key, limit=limit
            )

    def latest_backtests(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return model_results.latest_backtests(connection)

    # -- jobs requested through the API --------------------------------------------
    def request_job(self, job: str, requested_by: str) -> int:
        """Queue a job for the scheduler; a pending request for the same job is reused."""
        with self.engine.begin() as connection:
            return requests.request_job(connection, job, requested_by)

    def job_request(self, request_id: int) -> requests.JobRequest | None:
        with self.engine.connect() as connection:
            return requests.get_request(connection, request_id)

    def job_requests(self, limit: int = 50, offset: int = 0) -> list[requests.JobRequest]:
        with self.engine.connect() as connection:
            return requests.list_requests(connection, limit, offset)

    def pending_job_requests(self) -> list[requests.JobRequest]:
        with self.engine.connect() as connection:
            return requests.pending_requests(connection)

    def claim_job_request(self, request_id: int) -> bool:
        with self.engine.begin() as connection:
            return requests.claim_request(connection, request_id)

    def running_job_requests(self) -> list[requests.JobRequest]:
        with self.engine.connect() as connection:
            return requests.running_requests(connection)

    def finish_job_request(
        self, request_id: int, status: str, run_id: int | None = None, error: str | None = None
    ) -> None:
        with self.engine.begin() as connection:
            requests.finish_request(connection, request_id, status, run_id, error)

    # -- leader lock ---------------------------------------------------------------
    def leader_lock(self, name: str) -> LeaderLock:
        """The lock that lets one scheduler run the jobs (not taken yet: `try_acquire()`)."""
        return LeaderLock(self.engine, name)

    # -- metrics snapshot -------------------------------------------------------------
    def metrics_snapshot(
        self, *, currencies: Sequence[str], duration_bounds: Sequence[float]
    ) -> MetricsSnapshot:
        """The figures the Prometheus collector exposes, read in a dozen queries.

        `currencies`: official rates to read; `duration_bounds`: the job duration
        histogram's finite bucket bounds (seconds, ascending).
        """
        try:
            with self.engine.connect() as connection:
                return snapshot.metrics_snapshot(
                    connection, currencies=currencies, duration_bounds=duration_bounds
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"reading the store at {self.url} failed: {db_reason(exc)}") from exc

    def metrics_change_token(self) -> ChangeToken:
        """A one-row reading that changes whenever `metrics_snapshot` would read differently
        (see service.store.snapshot_token); StoreError if the store cannot answer."""
        return read_change_token(self.engine)
