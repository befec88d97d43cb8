"""Fit, forecast, score and backtest one series: the unit of work a worker runs.

Top-level functions and frozen inputs only, so a process pool (or Dask) can run them.
Nothing here touches the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from models.backtest import BacktestScore, rolling_origin
from models.sarimax import (
    Forecast,
    OrderGrid,
    SarimaxFit,
    fit_spec,
    forecast,
    one_step_ahead,
    select_and_fit,
)
from models.series import DatedSeries, FloatArray, period_to_date
from models.shocks import ScoredPeriod, ShockEvent, ShockRule, detect_events, score
from models.update import update

Mode = Literal["select", "refit", "update"]


@dataclass(frozen=True)
class SeriesTask:
    """What to do with one series. `previous` (spec, params) warm-starts a refit."""

    series: DatedSeries
    grid: OrderGrid
    season: int
    rule: ShockRule
    horizon: int
    exog: FloatArray | None = None  # regressors over the series' periods
    future_exog: FloatArray | None = None  # their values over the forecast horizon
    exog_names: tuple[str, ...] = ()
    mode: Mode = "select"
    previous: SarimaxFit | None = None  # the stored fit: warm start ("refit") or reused ("update")
    backtest_origins: int = 0
    backtest_horizon: int = 1


@dataclass(frozen=True)
class SeriesOutcome:
    key: str
    fit: SarimaxFit
    forecast: Forecast | None
    scored: tuple[ScoredPeriod, ...]
    events: tuple[ShockEvent, ...]
    backtest: BacktestScore | None
    seconds: float


def false_alarms_per_year(
    key: str, backtest: BacktestScore, rule: ShockRule, periods_per_year: int
) -> float | None:
    """Events per year the shock rule raises on the backtest's out-of-sample z-scores."""
    if backtest.zscores.size == 0:
        return None
    ones = np.ones_like(backtest.zscores)
    # score() takes log-scale forecasts: an observation of e^z against mean 0, std 1 has z.
    scored = score(backtest.periods, np.exp(backtest.zscores), 0.0 * ones, ones, rule)
    events = detect_events(key, scored, rule)
    return len(events) / (backtest.zscores.size / periods_per_year)


def _periods_per_year(series: DatedSeries) -> int:
    return {"M": 12, "W": 52, "D": 365}[series.frequency]


def run_series(task: SeriesTask) -> SeriesOutcome:
    """Fit (or warm refit), forecast, score the whole history and backtest one series."""
    started = time.perf_counter()
    series = task.series
    previous = task.previous
    if task.mode == "update" and previous is not None:
        fit = previous  # new observations go through the Kalman filter, no re-estimation
    elif task.mode == "refit" and previous is not None and previous.spec is not None:
        fit = fit_spec(series, previous.spec, exog=task.exog, start_params=previous.params)
    else:
        fit = select_and_fit(
            series, task.grid, exog=task.exog, exog_names=task.exog_names, season=task.season
        )
    if fit.status != "ok":
        return SeriesOutcome(series.key, fit, None, (), (), None, time.perf_counter() - started)
    if task.mode == "update":
        # Between refits the model's last filter is carried on: only new periods are filtered.
        predicted, steps = update(
            fit, series, task.horizon, exog=task.exog, future_exog=task.future_exog
        )
    else:
        predicted = forecast(
            fit, series, task.horizon, exog=task.exog, future_exog=task.future_exog
        )
        steps = one_step_ahead(fit, series, exog=task.exog)
    scored = score(steps.periods, steps.observed, steps.mean_log, steps.std_log, task.rule)
    events = detect_events(series.key, scored, task.rule)
    backtest = None
    if task.backtest_origins > 0 and fit.spec is not None:
        backtest = rolling_origin(
            series,
            fit.spec,
            fit.params,
            origins=task.backtest_origins,
            horizon=task.backtest_horizon,
            exog=task.exog,
            season=task.season,
        )
        backtest = replace(
            backtest,
            false_alarms_per_year=false_alarms_per_year(
                series.key, backtest, task.rule, _periods_per_year(series)
            ),
        )
    return SeriesOutcome(
        series.key, fit, predicted, scored, events, backtest, time.perf_counter() - started
    )


def last_period(series: DatedSeries) -> str | None:
    return period_to_date(series.periods[-1]).isoformat() if len(series) else None
