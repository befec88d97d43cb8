"""The VAR impact analysis over the store's monthly series, and scenarios on it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import polars as pl

from config import Settings
from jobs.model_inputs import TOTAL_INFLOWS, load_complete_series
from models.scenario import (
    ScenarioPath,
    ScenarioProjection,
    project_scenario,
    project_stored_scenario,
)
from models.var import VarAnalysis, VarConfig, VarInput, fit_var
from models.var_backtest import rolling_origin_var
from service.store import Store

VAR_KEY = "var"


def var_input(store: Store, as_of: datetime | None = None) -> VarInput:
    """Monthly inflows (USD), som per USD and roubles per USD on their common complete months."""
    remittances = load_complete_series(store, TOTAL_INFLOWS, as_of)
    inflows = pl.DataFrame(
        {"period": remittances.periods, "remittances": remittances.values}
    ).with_columns(pl.col("period").cast(pl.Date))
    usd = store.series_as_of("fx.USD.M", as_of).select("period", som_usd="value")
    rub = store.series_as_of("fx.RUB.M", as_of).select("period", som_rub="value")
    joined = inflows.join(usd, on="period").join(rub, on="period").sort("period")
    return VarInput(
        periods=joined["period"].to_numpy().astype("datetime64[D]"),
        remittances=joined["remittances"].to_numpy().astype(np.float64),
        som_usd=joined["som_usd"].to_numpy().astype(np.float64),
        rub_usd=(joined["som_usd"] / joined["som_rub"]).to_numpy().astype(np.float64),
    )


def var_config(settings: Settings) -> VarConfig:
    v = settings.var
    return VarConfig(
        max_lags=v.max_lags,
        ic=v.ic,
        horizon=v.horizon,
        impact_horizons=v.impact_horizons,
        bootstrap_reps=v.bootstrap_reps,
    )


def analyse(store: Store, settings: Settings, as_of: datetime | None = None) -> VarAnalysis:
    return fit_var(var_input(store, as_of), var_config(settings))


def fit_impact(store: Store, settings: Settings, at: datetime | None = None) -> dict[str, object]:
    """Fit the VAR on the current data and store it as a model run; returns its result."""
    at = at or datetime.now(UTC)
    started = time.perf_counter()
    data = var_input(store)
    analysis = fit_var(data, var_config(settings))
    # The input goes with the result so that scenarios start from the fitted data.
    result = {**analysis.to_dict(), "input": data.to_dict()}
    run_id = store.record_model_run(
        series_key=VAR_KEY,
        kind="var",
        status=analysis.status,
        reason=analysis.reason,
        spec={"max_lags": settings.var.max_lags, "ic": settings.var.ic, "lags": analysis.lags},
        params=None,
        result=result,
        last_period=analysis.last_period,
        data_as_of=at,
        fitted_at=at,
        seconds=time.perf_counter() - started,
    )
    if analysis.status == "ok":
        # The VAR's own rolling-origin check: its som/USD forecast against no change.
        backtest = rolling_origin_var(data, var_config(settings), origins=settings.backtest.origins)
        store.save_scoring(
            series_key=backtest.series,
            model_run_id=run_id,
            forecast=None,
            events=[],
            backtest=backtest.to_dict(),
            at=at,
        )
    return result


def scenario(
    store: Store, settings: Settings, share: float, change_pct: float, months: int
) -> ScenarioProjection:
    """som/USD under remittances moved by `change_pct` x `share` for `months` months.

    `share` is the scenario series' share of total inflows over the last year (1 for
    the total): inflows from Russia -20% with an 80% share move the total by -16%.
    Uses the stored VAR (its parameters and the data it was fitted on); fits one on the
    current data when none is stored yet.
    """
    path = ScenarioPath(changes_pct=tuple([change_pct * share] * months))
    horizon = max(settings.var.horizon, months)
    run = store.latest_model_run(VAR_KEY)
    if run is not None and run.result.get("input"):
        return project_stored_scenario(run.result, path, horizon)
    data = var_input(store)
    return project_scenario(fit_var(data, var_config(settings)), data, path, horizon)
