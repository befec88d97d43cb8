"""Every metric remitwatch exposes: name, type, help text and labels.

The names are a public contract (alert rules and dashboards use them) and a test pins
this list. Help texts give the units; label values are bounded as the README says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)

Kind = Literal["gauge", "counter", "histogram", "info"]

#: Finite bucket bounds of the job duration histogram, seconds (+Inf is added).
JOB_DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: The bounds of a forecast band (the `bound` label).
FORECAST_BOUNDS = ("mean", "lower_80", "upper_80", "lower_95", "upper_95")
#: The value of remitwatch_shock_direction for each shocks.direction.
SHOCK_DIRECTION_VALUES = {"down": -1.0, "both": 0.0, "up": 1.0}


@dataclass(frozen=True)
class MetricSpec:
    """One metric family as exposed: `name` is the exposition name (with `_total` for a
    counter, `_info` for an info metric)."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()

    @property
    def family_name(self) -> str:
        """The name prometheus_client gives the family (without `_total` or `_info`)."""
        suffix = {"counter": "_total", "info": "_info"}.get(self.kind, "")
        return self.name.removesuffix(suffix) if suffix else self.name

    def _check(self, kind: Kind) -> None:
        if self.kind != kind:
            raise TypeError(f"{self.name} is a {self.kind}, not a {kind}")

    def gauge(self) -> GaugeMetricFamily:
        self._check("gauge")
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)

    def counter(self) -> CounterMetricFamily:
        self._check("counter")
        return CounterMetricFamily(self.name, self.help, labels=self.labels)

    def histogram(self) -> HistogramMetricFamily:
        self._check("histogram")
        return HistogramMetricFamily(self.name, self.help, labels=self.labels)

    def info(self, value: dict[str, str]) -> InfoMetricFamily:
        """The info family with its one sample; `labels` name the keys of `value`."""
        self._check("info")
        return InfoMetricFamily(self.name.removesuffix("_info"), self.help, value=value)

    def empty(self) -> Metric:
        """The family without samples (what `describe()` returns)."""
        if self.kind == "info":
            return InfoMetricFamily(self.name.removesuffix("_info"), self.help)
        return {"gauge": self.gauge, "counter": self.counter, "histogram": self.histogram}[
            self.kind
        ]()


def _spec(name: str, kind: Kind, help_text: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, kind, help_text, labels)


# -- the service itself ---------------------------------------------------------------
INFO = _spec("remitwatch_info", "info", "The remitwatch version serving these metrics.", "version")
STORE_UP = _spec(
    "remitwatch_store_up",
    "gauge",
    "1 if the newest read of the store succeeded, 0 if it failed (the other figures are "
    "then those of the last good read, or absent if there was none).",
)
SNAPSHOT_SECONDS = _spec(
    "remitwatch_metrics_snapshot_seconds",
    "gauge",
    "Seconds the last successful read of the store's figures took.",
)
SNAPSHOT_AGE = _spec(
    "remitwatch_metrics_snapshot_age_seconds",
    "gauge",
    "Seconds since the figures exposed were read from the store (reads are cached for "
    "metrics.cache_seconds).",
)
SERIES_OMITTED = _spec(
    "remitwatch_metrics_series_omitted",
    "gauge",
    "Modelled keys left out of the series label by metrics.max_series.",
)

# -- remittances and shocks -----------------------------------------------------------
INFLOW = _spec(
    "remitwatch_remittance_inflow_usd",
    "gauge",
    "Observed remittances of the last period the model scored (the period of "
    "remitwatch_series_period_timestamp_seconds; a period still in progress is never "
    "exposed), USD, current vintage.",
    "series",
)
SERIES_PERIOD = _spec(
    "remitwatch_series_period_timestamp_seconds",
    "gauge",
    "Start (UTC midnight) of the period that remitwatch_remittance_inflow_usd, "
    "remitwatch_remittance_forecast_usd and remitwatch_shock_zscore refer to, Unix seconds.",
    "series",
)
FORECAST = _spec(
    "remitwatch_remittance_forecast_usd",
    "gauge",
    "One-step-ahead forecast of the same period as remitwatch_remittance_inflow_usd, USD, "
    "from the model run that scored it: bound=mean (log-normal mean), lower_80, upper_80, "
    "lower_95, upper_95 (prediction bands). Absent for runs that did not record it.",
    "series",
    "bound",
)
NEXT_FORECAST = _spec(
    "remitwatch_remittance_next_forecast_usd",
    "gauge",
    "Stored forecast of the period after the scored one (usually the period in progress), "
    "USD: bound=mean, lower_80, upper_80, lower_95, upper_95.",
    "series",
    "bound",
)
NEXT_FORECAST_PERIOD = _spec(
    "remitwatch_remittance_next_forecast_period_timestamp_seconds",
    "gauge",
    "Start (UTC midnight) of the period of remitwatch_remittance_next_forecast_usd, Unix seconds.",
    "series",
)
SHOCK_ZSCORE = _spec(
    "remitwatch_shock_zscore",
    "gauge",
    "z-score of the scored period's inflow against its one-step-ahead forecast, on the "
    "log scale (negative: below forecast).",
    "series",
)
BELOW_BAND = _spec(
    "remitwatch_remittance_periods_below_band",
    "gauge",
    "Consecutive most recent scored periods whose inflow was below the 95% one-step band "
    "(0 when the last one was inside or above it).",
    "series",
)
SHOCK_THRESHOLD = _spec(
    "remitwatch_shock_threshold_z",
    "gauge",
    "The configured |z| from which a scored period is a shock, by severity (shocks.warning_z, "
    "shocks.critical_z), so that alert rules use the same thresholds as remitwatch.",
    "severity",
)
SHOCK_DIRECTION = _spec(
    "remitwatch_shock_direction",
    "gauge",
    "The configured side of the forecast on which a scored period can be a shock "
    "(shocks.direction): -1 only falls (z < 0), 0 both, +1 only rises (z > 0), so that "
    "alert rules watch the same side as remitwatch.",
)
SHOCK_EVENTS_OPEN = _spec(
    "remitwatch_shock_events_open",
    "gauge",
    "Shock events still open, by their worst severity (warning, critical).",
    "severity",
)

# -- model quality --------------------------------------------------------------------
MODEL_MASE = _spec(
    "remitwatch_model_mase",
    "gauge",
    "Mean absolute scaled error of the newest rolling-origin backtest: out-of-sample "
    "absolute errors over the in-sample mean absolute error of the seasonal-naive "
    "forecast (a ratio; lower is better).",
    "series",
)
MODEL_COVERAGE = _spec(
    "remitwatch_model_interval_coverage_ratio",
    "gauge",
    "Share (0-1) of backtest observations inside the 80% or 95% prediction band (label "
    "level); well below 0.80 / 0.95 means the bands are too narrow.",
    "series",
    "level",
)
MODEL_BEATS_NAIVE = _spec(
    "remitwatch_model_beats_seasonal_naive",
    "gauge",
    "1 if the newest backtest's MASE is below that of the seasonal-naive forecast on the "
    "same points (for var.som_usd: no change), else 0.",
    "series",
)
MODEL_LAST_FIT = _spec(
    "remitwatch_model_last_fit_timestamp_seconds",
    "gauge",
    "When the newest model run of the key was recorded (an order selection, a warm refit "
    "or a Kalman update with stored parameters, whatever its status), Unix seconds.",
    "series",
)
MODEL_LAST_FIT_OK = _spec(
    "remitwatch_model_last_fit_ok",
    "gauge",
    "1 if the newest model run of the key succeeded, else 0.",
    "series",
)
MODEL_LAST_SUCCESS = _spec(
    "remitwatch_model_last_success_timestamp_seconds",
    "gauge",
    "When the newest successful model run of the key was recorded (the run whose figures "
    "are exposed), Unix seconds.",
    "series",
)

# -- impact of remittances on the som --------------------------------------------------
IMPACT = _spec(
    "remitwatch_impact_pct",
    "gauge",
    "Cumulative change of som per USD, percent, `horizon` months after a 10% fall in "
    "remittances, from the newest successful VAR (positive: the som weakens).",
    "horizon",
)
IMPACT_BAND = _spec(
    "remitwatch_impact_band_pct",
    "gauge",
    "Monte Carlo band (bound lower, upper) of remitwatch_impact_pct, percent.",
    "horizon",
    "bound",
)
GRANGER = _spec(
    "remitwatch_granger_pvalue",
    "gauge",
    "p-value of the F-test that `cause` does not Granger-cause `effect` in the newest "
    "successful VAR (variables remittances, som_usd, rub_usd).",
    "cause",
    "effect",
)
FX_RATE = _spec(
    "remitwatch_fx_rate_som",
    "gauge",
    "Newest official NBKR rate, som per one unit of `currency` (the evening file already "
    "carries the next day's rate).",
    "currency",
)
FX_VOLATILITY = _spec(
    "remitwatch_fx_volatility_ratio",
    "gauge",
    "Realised volatility of the daily official rate's log changes over the last 30 or 90 "
    "calendar days (label window 30d, 90d), annualised with sqrt(365), as a ratio "
    "(0.05 = 5% a year).",
    "currency",
    "window",
)

# -- jobs -------------------------------------------------------------------------------
JOB_LAST_SUCCESS = _spec(
    "remitwatch_job_last_success_timestamp_seconds",
    "gauge",
    "When the newest successful run of the job finished, Unix seconds.",
    "job",
)
JOB_LAST_FAILURE = _spec(
    "remitwatch_job_last_failure_timestamp_seconds",
    "gauge",
    "When the newest failed run of the job finished, Unix seconds.",
    "job",
)
JOB_LAST_RUN_FAILED = _spec(
    "remitwatch_job_last_run_failed",
    "gauge",
    "1 if the newest finished run of the job failed, else 0.",
    "job",
)
JOB_RUNNING = _spec(
    "remitwatch_job_running",
    "gauge",
    "Runs of the job started and not finished (a crashed run stays here).",
    "job",
)
JOB_RUNS = _spec(
    "remitwatch_job_runs_total",
    "counter",
    "Finished runs of the job by status (ok, failed), as recorded in the store.",
    "job",
    "status",
)
JOB_DURATION = _spec(
    "remitwatch_job_duration_seconds",
    "histogram",
    "Duration of the job's finished runs (end minus start), seconds.",
    "job",
)

# -- ingest and data freshness -----------------------------------------------------------
INGEST_ROWS = _spec(
    "remitwatch_ingest_rows_total",
    "counter",
    "Rows received by source (rates, transfers) and outcome: new, corrected (a new "
    "vintage), unchanged, quarantined, rejected (rows of files refused whole).",
    "source",
    "outcome",
)
INGEST_FILES = _spec(
    "remitwatch_ingest_files_total",
    "counter",
    "Files or responses received by source and status (ingested, rejected); duplicates "
    "of a received file are not counted.",
    "source",
    "status",
)
DATA_AGE = _spec(
    "remitwatch_data_age_seconds",
    "gauge",
    "Seconds since the source last delivered new or corrected rows (absent if never).",
    "source",
)
DATA_MAX_AGE = _spec(
    "remitwatch_data_max_age_seconds",
    "gauge",
    "The configured staleness limit of the source (readiness.<source>_max_age_hours), "
    "seconds; absent when that check is off.",
    "source",
)
DATA_LATEST_DATE = _spec(
    "remitwatch_data_latest_date_timestamp_seconds",
    "gauge",
    "Newest date in the source's data (rate date, transfer report date), UTC midnight, "
    "Unix seconds.",
    "source",
)

#: Every metric the collector can emit, in exposition order.
CATALOGUE: tuple[MetricSpec, ...] = (
    INFO,
    STORE_UP,
    SNAPSHOT_SECONDS,
    SNAPSHOT_AGE,
    SERIES_OMITTED,
    INFLOW,
    SERIES_PERIOD,
    FORECAST,
    NEXT_FORECAST,
    NEXT_FORECAST_PERIOD,
    SHOCK_ZSCORE,
    BELOW_BAND,
    SHOCK_THRESHOLD,
    SHOCK_DIRECTION,
    SHOCK_EVENTS_OPEN,
    MODEL_MASE,
    MODEL_COVERAGE,
    MODEL_BEATS_NAIVE,
    MODEL_LAST_FIT,
    MODEL_LAST_FIT_OK,
    MODEL_LAST_SUCCESS,
    IMPACT,
    IMPACT_BAND,
    GRANGER,
    FX_RATE,
    FX_VOLATILITY,
    JOB_LAST_SUCCESS,
    JOB_LAST_FAILURE,
    JOB_LAST_RUN_FAILED,
    JOB_RUNNING,
    JOB_RUNS,
    JOB_DURATION,
    INGEST_ROWS,
    INGEST_FILES,
    DATA_AGE,
    DATA_MAX_AGE,
    DATA_LATEST_DATE,
)
