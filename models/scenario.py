"""Scenario projections of the som per USD under an analyst's remittance path.

Method, all from the stored `VarParams` (no refit) and the last months of the data:

1. Baseline: the VAR's forecast of the monthly log changes (statsmodels' `forecast`,
   constant and month dummies of the future months included), cumulated from the last
   observed log level. The baseline level is exp of that log forecast (the median of a
   log-normal forecast), in som per USD.
2. Scenario: remittances deviate from their own baseline by `changes_pct[i]` % in future
   month i + 1 and return to baseline afterwards. The deviation path of log remittances,
   d_h = log(1 + changes_pct/100), is produced exactly by a sequence of remittance shocks
   (the Cholesky remittance shock of models.var, in units of its impact on log
   remittances) found from the MA representation: d = R_rem e with R_rem the lower
   triangular Toeplitz matrix of the cumulative remittance response, solved forward.
   The same shocks move log som/USD by R_som e, added to the baseline.
3. Bands (95%): the Gaussian forecast error of the cumulated log level,
   Var_h = sum_{m<h} Psi_m Sigma_u Psi_m' with Psi_m the cumulated MA matrices, taken
   around the projected path. The scenario shifts the mean; the future shocks of all
   variables stay random, so a zero path gives exactly the baseline and its band. The
   bands leave out parameter-estimation uncertainty (see the impact bands for that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist
from typing import Any

import numpy as np
from statsmodels.tsa.vector_ar.var_model import forecast, forecast_cov, ma_rep

from models.series import FloatArray, expected_periods, next_periods, period_to_date
from models.var_data import REMITTANCES, SOM_USD, VarInput, log_changes, month_dummies
from models.var_impact import unit_remittance_responses
from models.var_result import VarAnalysis, VarParams, json_float

BAND_Z = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class ScenarioPath:
    """Percent deviation of total remittances (USD) from their baseline in each future
    month, starting with the month after the last observation; baseline afterwards."""

    changes_pct: tuple[float, ...]


@dataclass(frozen=True)
class ScenarioPoint:
    """One future month, levels in som per USD; `deviation_pct` = projected vs baseline."""

    period: date
    baseline: float
    projected: float
    lower_95: float
    upper_95: float
    deviation_pct: float

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period.isoformat(),
            "baseline": json_float(self.baseline),
            "projected": json_float(self.projected),
            "lower": json_float(self.lower_95),
            "upper": json_float(self.upper_95),
            "deviation_pct": json_float(self.deviation_pct),
        }


@dataclass(frozen=True)
class ScenarioProjection:
    """The projection from `origin` (the last observed month); `status` "ok", else
    "unavailable" (no usable VAR), "insufficient_data" or "invalid_scenario"."""

    status: str
    reason: str | None
    origin: date | None
    changes_pct: tuple[float, ...]
    points: tuple[ScenarioPoint, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "origin": None if self.origin is None else self.origin.isoformat(),
            "changes_pct": list(self.changes_pct),
            "points": [p.to_dict() for p in self.points],
        }


def _path_problem(path: ScenarioPath, horizon: int) -> str | None:
    if len(path.changes_pct) > horizon:
        return f"the path has {len(path.changes_pct)} months, more than the horizon {horizon}"
    if not all(math.isfinite(c) and c > -100 for c in path.changes_pct):
        return "each change must be a finite percent above -100"
    return None


def _tail_problem(data: VarInput, months: int) -> str | None:
    if data.periods.shape[0] < months:
        return f"{months} months of data needed for the VAR's lags, got {data.periods.shape[0]}"
    tail = data.levels()[-months:]
    if not np.all(np.isfinite(tail) & (tail > 0)):
        return f"the last {months} months hold missing, zero or negative values"
    periods = data.periods[-months:]
    if not np.array_equal(expected_periods(periods[0], periods[-1], "M"), periods):
        return f"the last {months} months are not consecutive months"
    return None


def _lower_toeplitz(column: FloatArray) -> FloatArray:
    """M[h, s] = column[h - s] for s <= h, else 0: the effect at h of a shock at s."""
    lag = np.subtract.outer(np.arange(column.shape[0]), np.arange(column.shape[0]))
    result: FloatArray = np.where(lag >= 0, column[np.maximum(lag, 0)], 0.0)
    return result


def scenario_deviation(
    params: VarParams, changes_pct: tuple[float, ...], horizon: int
) -> tuple[FloatArray, FloatArray]:
    """(remittance shocks, log som/USD deviation), each (horizon,), for the path."""
    responses = unit_remittance_responses(params.coef_array(), params.sigma_array(), horizon - 1)
    target = np.zeros(horizon)
    target[: len(changes_pct)] = np.log1p(np.asarray(changes_pct, dtype=np.float64) / 100)
    shocks = np.linalg.solve(_lower_toeplitz(responses[:, REMITTANCES]), target).astype(np.float64)
    deviation: FloatArray = _lower_toeplitz(responses[:, SOM_USD]) @ shocks
    return shocks, deviation


def baseline_log_som(params: VarParams, data: VarInput, horizon: int) -> FloatArray:
    """The VAR forecast of log som per USD for the `horizon` months after the data."""
    months = params.lags + 1
    tail = VarInput(
        data.periods[-months:],
        data.remittances[-months:],
        data.som_usd[-months:],
        data.rub_usd[-months:],
    )
    recent = log_changes(tail).endog
    future = next_periods(data.periods[-1], "M", horizon)
    exog = np.column_stack([np.ones(horizon), month_dummies(future)])
    changes = forecast(recent, params.coef_array(), params.trend_array(), horizon, exog)
    result: FloatArray = math.log(float(data.som_usd[-1])) + np.cumsum(changes[:, SOM_USD])
    return result


def log_som_stderr(params: VarParams, horizon: int) -> FloatArray:
    """Standard error of the log som per USD forecast 1..horizon months ahead."""
    cumulated_ma = np.cumsum(ma_rep(params.coef_array(), horizon - 1), axis=0)
    covariance = forecast_cov(cumulated_ma, params.sigma_array(), horizon)
    result: FloatArray = np.sqrt(covariance[:, SOM_USD, SOM_USD])
    return result


def project_scenario(
    analysis: VarAnalysis | VarParams, data: VarInput, path: ScenarioPath, horizon: int = 12
) -> ScenarioProjection:
    """som per USD over the `horizon` months after `data` ends, baseline and scenario.

    `analysis` is a fitted VarAnalysis (or its `params`, e.g. rebuilt with
    `VarParams.from_dict`); `data` supplies the last `lags + 1` months of levels.
    """
    if horizon < 1:
        raise ValueError(f"expected a horizon of at least 1 month, got {horizon}")
    changes = tuple(float(c) for c in path.changes_pct)
    origin = period_to_date(data.periods[-1]) if data.periods.shape[0] else None
    params = analysis if isinstance(analysis, VarParams) else analysis.params
    if params is None or (isinstance(analysis, VarAnalysis) and analysis.status != "ok"):
        reason = getattr(analysis, "reason", None) or "no fitted VAR"
        return ScenarioProjection("unavailable", f"VAR not available: {reason}", origin, changes)
    reason = _path_problem(path, horizon)
    if reason is not None:
        return ScenarioProjection("invalid_scenario", reason, origin, changes)
    reason = _tail_problem(data, params.lags + 1)
    if reason is not None:
        return ScenarioProjection("insufficient_data", reason, origin, changes)

    baseline = baseline_log_som(params, data, horizon)
    _, deviation = scenario_deviation(params, changes, horizon)
    projected = baseline + deviation
    half_width = BAND_Z * log_som_stderr(params, horizon)
    periods = next_periods(data.periods[-1], "M", horizon)
    points = tuple(
        ScenarioPoint(
            period=period_to_date(periods[h]),
            baseline=math.exp(baseline[h]),
            projected=math.exp(projected[h]),
            lower_95=math.exp(projected[h] - half_width[h]),
            upper_95=math.exp(projected[h] + half_width[h]),
            deviation_pct=100 * math.expm1(deviation[h]),
        )
        for h in range(horizon)
    )
    return ScenarioProjection("ok", None, origin, changes, points)


def project_stored_scenario(
    stored: dict[str, Any], path: ScenarioPath, horizon: int = 12
) -> ScenarioProjection:
    """`project_scenario` from a stored VAR result (its `params` and `input` entries).

    The projection starts where the VAR's data ended, so every caller of the same stored
    fit (command line, API replicas) gets the same answer.
    """
    params, data = stored.get("params"), stored.get("input")
    if not params or not data:
        reason = stored.get("reason") or "the stored VAR holds no parameters or input data"
        return ScenarioProjection(
            "unavailable", f"VAR not available: {reason}", None, tuple(path.changes_pct)
        )
    return project_scenario(VarParams.from_dict(params), VarInput.from_dict(data), path, horizon)
