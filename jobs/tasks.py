"""Build the unit of work for one series from the store and the configuration."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from config import Settings
from jobs.model_inputs import frequency_of, load_complete_series, rub_change
from jobs.model_restore import fit_from_run, model_settings
from jobs.series_model import Mode, SeriesTask
from models.calendar import future_holiday_regressors, holiday_regressors
from models.series import FloatArray
from service.store import Store


def build_task(
    store: Store,
    settings: Settings,
    key: str,
    mode: Mode,
    *,
    as_of: datetime | None = None,
    backtest: bool = False,
) -> SeriesTask:
    """The series as known at `as_of`, its regressors, and the stored fit for refit/update.

    Without a stored fit (or when it cannot be used) the task selects an order afresh.
    """
    series = load_complete_series(store, key, as_of)
    frequency = frequency_of(key)
    grid, rule = model_settings(settings, frequency)
    horizon = settings.models.forecast_horizon
    exog: FloatArray | None = None
    future_exog: FloatArray | None = None
    exog_names: tuple[str, ...] = ()
    if settings.models.rub_regressor and frequency == "M":
        exog, exog_names = rub_change(store, series, as_of).reshape(-1, 1), ("rub_usd_change",)
        future_exog = np.zeros((horizon, 1))  # a change regressor: project no change
    elif settings.models.holiday_regressors and frequency in ("D", "W") and len(series):
        past = holiday_regressors(series.periods, frequency)
        future = future_holiday_regressors(series.last_period, frequency, horizon)
        exog, future_exog, exog_names = past.values, future.values, past.names
    previous = None
    if mode != "select":
        run = store.latest_model_run(key, fitted_before=as_of)
        previous = fit_from_run(run) if run is not None else None
    return SeriesTask(
        series=series,
        grid=grid,
        season=settings.models.season(frequency),
        rule=rule,
        horizon=horizon,
        exog=exog,
        future_exog=future_exog,
        exog_names=exog_names,
        mode=mode if previous is not None else "select",
        previous=previous,
        backtest_origins=settings.backtest.origins if backtest else 0,
        backtest_horizon=settings.backtest.horizon,
    )
