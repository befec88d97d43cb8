"""Turn a reading of the store's figures into Prometheus metric families (no I/O here).

Two parts: `snapshot_families` depend on the snapshot and the settings only, so they are
built (and rendered) once per read; `live_families` depend on the clock or on the newest
read attempt and are built at every scrape. `build_families` is both, in catalogue order.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from config import Settings
from models.volatility import fx_stability
from service.metrics import catalogue as c
from service.metrics.bands import scored_band
from service.metrics.cache import Reading
from service.metrics.rows import FamilyRows
from service.store.snapshot_records import JobFigures, MetricsSnapshot, ModelFigures


def _day_start(day: date) -> float:
    """UTC midnight at the start of `day`, Unix seconds."""
    return float(calendar.timegm(day.timetuple()))


def _number(value: object) -> float | None:
    """A finite float, or None for None, NaN, infinities and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def monitored_series(
    models: Sequence[ModelFigures], configured: Sequence[str], limit: int
) -> tuple[list[ModelFigures], int]:
    """The modelled keys given the `series` label, and how many were left out.

    Order: the configured series (models.series), then the VAR keys, then the other
    modelled series by their scored inflow, largest first; ties by key. At most `limit`.
    """
    first = {key: index for index, key in enumerate(configured)}

    def rank(figures: ModelFigures) -> tuple[int, int, float, str]:
        if figures.kind == "sarimax" and figures.key in first:
            return (0, first[figures.key], 0.0, figures.key)
        if figures.kind != "sarimax":
            return (1, 0, 0.0, figures.key)
        size = _number(figures.observed)
        return (2, size is None, -(size or 0.0), figures.key)

    ordered = sorted(models, key=rank)
    return ordered[:limit], max(0, len(ordered) - limit)


def _remittances(chosen: Sequence[ModelFigures]) -> Iterator[FamilyRows]:
    inflow, period = FamilyRows(c.INFLOW), FamilyRows(c.SERIES_PERIOD)
    band, ahead, ahead_period = (
        FamilyRows(c.FORECAST),
        FamilyRows(c.NEXT_FORECAST),
        FamilyRows(c.NEXT_FORECAST_PERIOD),
    )
    zscore, below = FamilyRows(c.SHOCK_ZSCORE), FamilyRows(c.BELOW_BAND)
    for figures in chosen:
        key = figures.key
        if figures.kind != "sarimax" or figures.period is None:
            continue
        period.add_metric([key], _day_start(figures.period))
        if (value := _number(figures.observed)) is not None:
            inflow.add_metric([key], value)
        scored = figures.last_scored or {}
        if scored.get("period") == figures.period.isoformat():
            if (same := scored_band(scored)) is not None:
                for bound, value in same.bounds().items():
                    band.add_metric([key, bound], value)
            if (z := _number(scored.get("zscore"))) is not None:
                zscore.add_metric([key], z)
            if (run := _number(scored.get("periods_below_band"))) is not None:
                below.add_metric([key], run)
        if figures.next_forecast is not None:
            ahead_period.add_metric([key], _day_start(figures.next_forecast.period))
            for bound, value in figures.next_forecast.bounds().items():
                ahead.add_metric([key, bound], value)
    yield from (inflow, period, band, ahead, ahead_period, zscore, below)


def _model_quality(chosen: Sequence[ModelFigures]) -> Iterator[FamilyRows]:
    mase, coverage, beats = (
        FamilyRows(c.MODEL_MASE),
        FamilyRows(c.MODEL_COVERAGE),
        FamilyRows(c.MODEL_BEATS_NAIVE),
    )
    last_fit, last_ok, last_success = (
        FamilyRows(c.MODEL_LAST_FIT),
        FamilyRows(c.MODEL_LAST_FIT_OK),
        FamilyRows(c.MODEL_LAST_SUCCESS),
    )
    for figures in chosen:
        key, score = figures.key, figures.backtest
        if score is not None:
            if (value := _number(score.mase)) is not None:
                mase.add_metric([key], value)
            for level, share in (("80", score.coverage_80), ("95", score.coverage_95)):
                if (value := _number(share)) is not None:
                    coverage.add_metric([key, level], value)
            if score.beats_seasonal_naive is not None:
                beats.add_metric([key], float(score.beats_seasonal_naive))
        if figures.last_run_at is not None:
            last_fit.add_metric([key], figures.last_run_at.timestamp())
            last_ok.add_metric([key], float(figures.last_run_status == "ok"))
        if figures.last_ok_at is not None:
            last_success.add_metric([key], figures.last_ok_at.timestamp())
    yield from (mase, coverage, beats, last_fit, last_ok, last_success)


def _impact(snapshot: MetricsSnapshot) -> Iterator[FamilyRows]:
    impact, band, granger = FamilyRows(c.IMPACT), FamilyRows(c.IMPACT_BAND), FamilyRows(c.GRANGER)
    var = snapshot.var
    for point in var.impact if var is not None else ():
        horizon = str(point.get("horizon"))
        if (pct := _number(point.get("pct"))) is not None:
            impact.add_metric([horizon], pct)
        for bound in ("lower", "upper"):
            if (value := _number(point.get(bound))) is not None:
                band.add_metric([horizon, bound], value)
    for test in var.granger if var is not None else ():
        if (pvalue := _number(test.get("pvalue"))) is not None:
            granger.add_metric([str(test.get("cause")), str(test.get("effect"))], pvalue)
    yield from (impact, band, granger)


def _fx(snapshot: MetricsSnapshot) -> Iterator[FamilyRows]:
    rate, volatility = FamilyRows(c.FX_RATE), FamilyRows(c.FX_VOLATILITY)
    for figures in snapshot.rates:
        rate.add_metric([figures.currency], figures.som_per_unit)
    for daily in snapshot.daily_rates:
        stability = fx_stability(
            np.array(daily.periods, dtype="datetime64[D]"),
            np.array(daily.values, dtype=np.float64),
            currency=daily.currency,
        )
        for window, pct in (
            ("30d", stability.realised_vol_30d),
            ("90d", stability.realised_vol_90d),
        ):
            if (value := _number(pct)) is not None:
                volatility.add_metric([daily.currency, window], value / 100.0)
    yield from (rate, volatility)


def _jobs(snapshot: MetricsSnapshot, configured: Sequence[str]) -> Iterator[FamilyRows]:
    found = {job.job: job for job in snapshot.jobs}
    bounds = c.JOB_DURATION_BUCKETS
    success, failure, failed = (
        FamilyRows(c.JOB_LAST_SUCCESS),
        FamilyRows(c.JOB_LAST_FAILURE),
        FamilyRows(c.JOB_LAST_RUN_FAILED),
    )
    running, runs, duration = (
        FamilyRows(c.JOB_RUNNING),
        FamilyRows(c.JOB_RUNS),
        FamilyRows(c.JOB_DURATION),
    )
    for name in sorted(set(configured) | set(found)):
        job = found.get(name) or JobFigures(
            name, {}, 0, None, None, bounds, (0,) * len(bounds), 0, 0.0
        )
        if job.last_success_at is not None:
            success.add_metric([name], job.last_success_at.timestamp())
        if job.last_failure_at is not None:
            failure.add_metric([name], job.last_failure_at.timestamp())
        ends = [
            (at, status)
            for status, at in (("ok", job.last_success_at), ("failed", job.last_failure_at))
            if at
        ]
        if ends:
            failed.add_metric([name], float(max(ends)[1] == "failed"))
        running.add_metric([name], float(job.running))
        for status in sorted({"ok", "failed"} | set(job.runs)):
            runs.add_metric([name, status], float(job.runs.get(status, 0)))
        buckets = [
            (str(float(b)), float(n)) for b, n in zip(bounds, job.duration_buckets, strict=True)
        ]
        duration.add_histogram(
            [name], [*buckets, ("+Inf", float(job.duration_count))], job.duration_sum
        )
    yield from (success, failure, failed, running, runs, duration)


def _data(snapshot: MetricsSnapshot, settings: Settings) -> Iterator[FamilyRows]:
    rows, files = FamilyRows(c.INGEST_ROWS), FamilyRows(c.INGEST_FILES)
    for source, outcomes in sorted(snapshot.ingest_rows.items()):
        for outcome, count in outcomes.items():
            rows.add_metric([source, outcome], float(count))
    for source, statuses in sorted(snapshot.ingest_files.items()):
        for status, count in statuses.items():
            files.add_metric([source, status], float(count))
    latest, limit = FamilyRows(c.DATA_LATEST_DATE), FamilyRows(c.DATA_MAX_AGE)
    hours = {
        "rates": settings.readiness.rates_max_age_hours,
        "transfers": settings.readiness.transfers_max_age_hours,
    }
    for source, max_hours in hours.items():
        if max_hours > 0:
            limit.add_metric([source], max_hours * 3600.0)
    for source, day in sorted(snapshot.latest_dates.items()):
        if day is not None:
            latest.add_metric([source], _day_start(day))
    yield from (rows, files, limit, latest)


def _single(family: GaugeMetricFamily, value: float) -> GaugeMetricFamily:
    family.add_metric([], value)
    return family


def live_families(reading: Reading[Any], now: datetime, version: str) -> Iterator[Metric]:
    """The families that change between reads: the service's own and the ages (seconds
    up to `now`, UTC)."""
    yield c.INFO.info({"version": version})
    yield _single(c.STORE_UP.gauge(), float(reading.up))
    if reading.seconds is not None:
        yield _single(c.SNAPSHOT_SECONDS.gauge(), reading.seconds)
    if reading.read_at is not None:
        yield _single(c.SNAPSHOT_AGE.gauge(), max(0.0, (now - reading.read_at).total_seconds()))
    if reading.snapshot is not None:
        age = c.DATA_AGE.gauge()
        for source, arrived in sorted(reading.snapshot.last_arrivals.items()):
            if arrived is not None:
                age.add_metric([source], (now - arrived).total_seconds())
        yield age


def snapshot_families(snapshot: MetricsSnapshot, settings: Settings) -> Iterator[FamilyRows]:
    """The families that only a new snapshot (or new settings) changes."""
    chosen, omitted = monitored_series(
        snapshot.models, settings.models.series, settings.metrics.max_series
    )
    omitted_rows = FamilyRows(c.SERIES_OMITTED)
    omitted_rows.add_metric([], float(omitted))
    yield omitted_rows
    yield from _remittances(chosen)
    thresholds = FamilyRows(c.SHOCK_THRESHOLD)
    thresholds.add_metric(["warning"], settings.shocks.warning_z)
    thresholds.add_metric(["critical"], settings.shocks.critical_z)
    yield thresholds
    direction = FamilyRows(c.SHOCK_DIRECTION)
    direction.add_metric([], c.SHOCK_DIRECTION_VALUES[settings.shocks.direction])
    yield direction
    events = FamilyRows(c.SHOCK_EVENTS_OPEN)
    for severity, count in snapshot.open_events.items():
        events.add_metric([severity], float(count))
    yield events
    yield from _model_quality(chosen)
    yield from _impact(snapshot)
    yield from _fx(snapshot)
    # The inbox watch records its runs as ingest_transfers: it has no label of its own.
    scheduled = [name for name in settings.scheduler.jobs() if name != "watch_inbox"]
    yield from _jobs(snapshot, scheduled)
    yield from _data(snapshot, settings)


def build_families(
    reading: Reading[Any], settings: Settings, now: datetime, version: str
) -> list[Metric]:
    """The families of one scrape, in catalogue order; `now` dates the ages (UTC)."""
    families = list(live_families(reading, now, version))
    if reading.snapshot is not None:
        families.extend(rows.metric() for rows in snapshot_families(reading.snapshot, settings))
    order = {spec.family_name: index for index, spec in enumerate(c.CATALOGUE)}
    return sorted(families, key=lambda family: order[family.name])
