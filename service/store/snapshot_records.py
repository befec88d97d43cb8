"""What `Store.metrics_snapshot` returns: the store's current figures, read in one go.

Plain frozen records of stored values (USD, som per unit, seconds, Unix-free datetimes);
turning them into Prometheus families is `service.metrics`' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: Outcomes of received rows counted by the ingest counters (received_files columns).
ROW_OUTCOMES = ("new", "corrected", "unchanged", "quarantined", "rejected")
#: Statuses of received files.
FILE_STATUSES = ("ingested", "rejected")
#: Severities of shock events.
SEVERITIES = ("warning", "critical")


def _iso(moment: date | datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class BandFigures:
    """One forecast point in USD: mean and the 80% and 95% bands."""

    period: date
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float

    def bounds(self) -> dict[str, float]:
        return {
            "mean": self.mean,
            "lower_80": self.lower_80,
            "upper_80": self.upper_80,
            "lower_95": self.lower_95,
            "upper_95": self.upper_95,
        }

    def to_dict(self) -> dict[str, object]:
        return {"period": self.period.isoformat(), **self.bounds()}


@dataclass(frozen=True)
class BacktestFigures:
    """The newest backtest score of a series (MASE and coverage are ratios)."""

    status: str
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    beats_seasonal_naive: bool | None
    made_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "mase": self.mase,
            "coverage_80": self.coverage_80,
            "coverage_95": self.coverage_95,
            "beats_seasonal_naive": self.beats_seasonal_naive,
            "made_at": self.made_at.isoformat(),
        }


@dataclass(frozen=True)
class ModelFigures:
    """One modelled key (a series, "var", or a backtest-only key such as "var.som_usd").

    `period` is the last period the newest successful run scored (its `last_scored`
    period; for runs stored before scoring recorded it, the forecast origin or the fit's
    last period). `observed` is the store's current value of that period (USD).
    `last_scored` is the stored ScoredPeriod dict of that period (one-step-ahead
    expected median, 95% band, z), None when the run did not record it.
    """

    key: str
    kind: str | None  # "sarimax" | "var" | None (only a backtest is stored)
    last_run_status: str | None
    last_run_at: datetime | None
    last_ok_at: datetime | None
    period: date | None = None
    observed: float | None = None
    last_scored: dict[str, Any] | None = None
    next_forecast: BandFigures | None = None
    backtest: BacktestFigures | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind,
            "last_run_status": self.last_run_status,
            "last_run_at": _iso(self.last_run_at),
            "last_ok_at": _iso(self.last_ok_at),
            "period": _iso(self.period),
            "observed": self.observed,
            "last_scored": self.last_scored,
            "next_forecast": None if self.next_forecast is None else self.next_forecast.to_dict(),
            "backtest": None if self.backtest is None else self.backtest.to_dict(),
        }


@dataclass(frozen=True)
class VarFigures:
    """Parts of the newest successful VAR run's result, as stored (JSON contract lists)."""

    fitted_at: datetime
    impact: tuple[dict[str, Any], ...]
    granger: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "fitted_at": self.fitted_at.isoformat(),
            "impact": list(self.impact),
            "granger": list(self.granger),
        }


@dataclass(frozen=True)
class RateFigures:
    """The newest official rate of a currency (latest vintage), som per one unit."""

    currency: str
    rate_date: date
    som_per_unit: float

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "rate_date": self.rate_date.isoformat(),
            "som_per_unit": self.som_per_unit,
        }


@dataclass(frozen=True)
class DailyRates:
    """The last days of a daily official-rate series `fx.<CUR>.D`, by day (som per unit)."""

    currency: str
    periods: tuple[date, ...]
    values: tuple[float, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "periods": [period.isoformat() for period in self.periods],
            "values": list(self.values),
        }


@dataclass(frozen=True)
class JobFigures:
    """The recorded runs of one job.

    `runs` counts finished runs by status; `running` those without an end. Durations
    (seconds, end − start) of finished runs: `duration_buckets[i]` counts those at most
    `bucket_bounds[i]` (cumulative), `duration_count` and `duration_sum` all of them.
    """

    job: str
    runs: dict[str, int]
    running: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    bucket_bounds: tuple[float, ...]
    duration_buckets: tuple[int, ...]
    duration_count: int
    duration_sum: float

    def to_dict(self) -> dict[str, object]:
        return {
            "job": self.job,
            "runs": dict(self.runs),
            "running": self.running,
            "last_success_at": _iso(self.last_success_at),
            "last_failure_at": _iso(self.last_failure_at),
            "bucket_bounds": list(self.bucket_bounds),
            "duration_buckets": list(self.duration_buckets),
            "duration_count": self.duration_count,
            "duration_sum": self.duration_sum,
        }


@dataclass(frozen=True)
class MetricsSnapshot:
    """Everything the Prometheus collector exposes, read from the store in a few queries.

    `ingest_rows[source][outcome]` sums received rows (ROW_OUTCOMES; "rejected" counts the
    rows of rejected files); `ingest_files[source][status]` counts files (FILE_STATUSES).
    `last_arrivals[source]`: when a file last brought new or corrected rows;
    `latest_dates[source]`: the newest rate date / transfer report date stored.
    `change_token`: see service.store.snapshot_token.
    """

    models: tuple[ModelFigures, ...] = ()
    var: VarFigures | None = None
    open_events: dict[str, int] = field(default_factory=dict)
    rates: tuple[RateFigures, ...] = ()
    daily_rates: tuple[DailyRates, ...] = ()
    jobs: tuple[JobFigures, ...] = ()
    ingest_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    ingest_files: dict[str, dict[str, int]] = field(default_factory=dict)
    last_arrivals: dict[str, datetime | None] = field(default_factory=dict)
    latest_dates: dict[str, date | None] = field(default_factory=dict)
    #: The store's change token read just before these figures (snapshot_token), None
    #: when unknown; not a figure: two snapshots with the same figures are equal.
    change_token: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "models": [figures.to_dict() for figures in self.models],
            "var": None if self.var is None else self.var.to_dict(),
            "open_events": dict(self.open_events),
            "rates": [rate.to_dict() for rate in self.rates],
            "daily_rates": [daily.to_dict() for daily in self.daily_rates],
            "jobs": [job.to_dict() for job in self.jobs],
            "ingest_rows": {source: dict(rows) for source, rows in self.ingest_rows.items()},
            "ingest_files": {source: dict(files) for source, files in self.ingest_files.items()},
            "last_arrivals": {source: _iso(at) for source, at in self.last_arrivals.items()},
            "latest_dates": {source: _iso(day) for source, day in self.latest_dates.items()},
        }
