"""Forecasts and one-step-ahead predictions of a fitted SARIMAX model, in USD.

The model is rebuilt from the stored spec and params and filtered over the series
given, which may be longer than the one fitted: the new observations then update the
state by the Kalman filter without re-estimating anything.

Back on the USD scale, with mu and sigma the log-scale predictive mean and standard
deviation (normal): bands are the exact quantiles exp(mu ± z sigma); a forecast's
`mean` is the log-normal mean exp(mu + sigma²/2), slightly above the median exp(mu).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist
from typing import Any

import numpy as np

from models.sarimax_model import (
    NUMERICAL_ERRORS,
    captured_warnings,
    filtered,
    future_exog_matrix,
)
from models.sarimax_spec import SarimaxFit, SarimaxSpec, json_float
from models.series import DateArray, DatedSeries, FloatArray, next_periods, period_to_date, problem

Z_80 = NormalDist().inv_cdf(0.90)
Z_95 = NormalDist().inv_cdf(0.975)

#: A one-step predictive standard deviation above this (log scale: a factor e^5 ≈ 150)
#: means the filter has not yet learnt the state; such periods are not scored.
MAX_STD_LOG = 5.0


@dataclass(frozen=True)
class ForecastPoint:
    """One forecast period in USD: log-normal mean and the 80% and 95% bands."""

    period: date
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period.isoformat(),
            "mean": json_float(self.mean),
            "lower_80": json_float(self.lower_80),
            "upper_80": json_float(self.upper_80),
            "lower_95": json_float(self.lower_95),
            "upper_95": json_float(self.upper_95),
        }


@dataclass(frozen=True)
class Forecast:
    """Forecasts of a series from `origin` (its last observed period), in USD.

    `spec` and `origin` are None only for a failed forecast without a usable fit or series.
    """

    series: str
    spec: SarimaxSpec | None
    origin: date | None
    points: tuple[ForecastPoint, ...]
    status: str  # "ok" | "failed"
    reason: str | None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "model": self.spec.to_dict() if self.spec is not None else None,
            "origin": self.origin.isoformat() if self.origin else None,
            "points": [point.to_dict() for point in self.points],
            "status": self.status,
            "reason": self.reason,
        }


def usd_quantile(mu: FloatArray, std: FloatArray, z: float, log: bool) -> FloatArray:
    """The quantile at standard-normal `z` in USD: exp(mu + z·std) for a log model."""
    values = mu + z * std
    return np.exp(values) if log else values


def usd_mean(mu: FloatArray, std: FloatArray, log: bool) -> FloatArray:
    """The predictive mean in USD: the log-normal mean exp(mu + std²/2) for a log model."""
    return np.exp(mu + std**2 / 2) if log else mu


def unusable(fit: SarimaxFit, series: DatedSeries) -> str | None:
    """Why a forecast cannot be made from this fit on this series, or None."""
    if series.key != fit.series:
        raise ValueError(f"series {series.key!r} given for a fit of {fit.series!r}")
    if not fit.ok or fit.spec is None:
        return f"{fit.series}: no usable fit ({fit.status}: {fit.reason})"
    return problem(series, fit.spec.burn_in + 1)


def log_forecast(
    spec: SarimaxSpec,
    params: tuple[float, ...],
    series: DatedSeries,
    horizon: int,
    *,
    exog: FloatArray | None = None,
    future_exog: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Predictive mean and standard deviation of the model variable (log USD) ahead.

    No checks beyond the regressors' shapes: raises InputProblem (a ValueError) or
    statsmodels' numerical errors; `forecast` is the checked, USD entry point.
    """
    ahead = future_exog_matrix(exog, future_exog, horizon, spec)
    prediction = filtered(series, spec, params, exog).get_forecast(horizon, exog=ahead)
    mu = np.asarray(prediction.predicted_mean, dtype=np.float64)
    std = np.sqrt(np.asarray(prediction.var_pred_mean, dtype=np.float64))
    return mu, std


def forecast(
    fit: SarimaxFit,
    series: DatedSeries,
    horizon: int,
    *,
    exog: FloatArray | None = None,
    future_exog: FloatArray | None = None,
) -> Forecast:
    """The next `horizon` periods after the series' last one (USD).

    `exog` covers every period of `series`; `future_exog` the `horizon` periods ahead,
    and when it is None the last regressor values are carried forward.
    """
    origin = series.last_period if len(series) else fit.last_period
    reason = unusable(fit, series)
    if reason is not None or fit.spec is None:
        return Forecast(fit.series, fit.spec, origin, (), "failed", reason)
    spec = fit.spec
    points: tuple[ForecastPoint, ...] = ()
    with captured_warnings() as caught:
        try:
            mu, std = log_forecast(
                spec, fit.params, series, horizon, exog=exog, future_exog=future_exog
            )
            points = forecast_points(series, spec, mu, std)
        except NUMERICAL_ERRORS as exc:  # InputProblem is a ValueError
            reason = f"{fit.series}: forecast failed: {type(exc).__name__}: {exc}"
    status = "ok" if reason is None else "failed"
    return Forecast(fit.series, spec, origin, points, status, reason, tuple(caught))


def forecast_points(
    series: DatedSeries, spec: SarimaxSpec, mu: FloatArray, std: FloatArray
) -> tuple[ForecastPoint, ...]:
    periods = next_periods(series.periods[-1], series.frequency, mu.shape[0])
    mean = usd_mean(mu, std, spec.log)
    low_80, high_80 = usd_quantile(mu, std, -Z_80, spec.log), usd_quantile(mu, std, Z_80, spec.log)
    low_95, high_95 = usd_quantile(mu, std, -Z_95, spec.log), usd_quantile(mu, std, Z_95, spec.log)
    return tuple(
        ForecastPoint(
            period=period_to_date(periods[i]),
            mean=float(mean[i]),
            lower_80=float(low_80[i]),
            upper_80=float(high_80[i]),
            lower_95=float(low_95[i]),
            upper_95=float(high_95[i]),
        )
        for i in range(mu.shape[0])
    )


@dataclass(frozen=True)
class OneStepAhead:
    """In-sample one-step-ahead predictions of a series (for shock scoring).

    `mean_log`/`std_log`: the predictive normal of log(level) given the periods before;
    `expected` is its median exp(mean_log) in USD (the centre of the log-scale band,
    not the log-normal mean); the 95% band is exp(mean_log ± 1.96 std_log), USD.
    Burn-in periods (the first d + D*s) and periods with a diffuse prediction are left
    out. An empty result with status "failed" carries the reason.
    """

    series: str
    periods: DateArray
    observed: FloatArray
    mean_log: FloatArray
    std_log: FloatArray
    expected: FloatArray
    lower_95: FloatArray
    upper_95: FloatArray
    status: str = "ok"
    reason: str | None = None
    warnings: tuple[str, ...] = field(default=())
    log: bool = True  # False for a spec without the log transform (then "log" means level)

    @property
    def zscores(self) -> FloatArray:
        """(log observed − mean_log) / std_log, one per period."""
        observed = np.log(self.observed) if self.log else self.observed
        z: FloatArray = (observed - self.mean_log) / self.std_log
        return z


def empty_one_step(key: str, reason: str, notes: tuple[str, ...] = ()) -> OneStepAhead:
    empty = np.empty(0, dtype=np.float64)
    return OneStepAhead(
        key,
        np.empty(0, dtype="datetime64[D]"),
        empty,
        empty,
        empty,
        empty,
        empty,
        empty,
        status="failed",
        reason=reason,
        warnings=notes,
    )


def _one_step_moments(results: Any) -> tuple[FloatArray, FloatArray]:
    prediction = results.get_prediction(dynamic=False)
    mu = np.asarray(prediction.predicted_mean, dtype=np.float64)
    std = np.sqrt(np.asarray(prediction.var_pred_mean, dtype=np.float64))
    return mu, std


def one_step_ahead(
    fit: SarimaxFit,
    series: DatedSeries,
    *,
    exog: FloatArray | None = None,
    since: date | None = None,
) -> OneStepAhead:
    """One-step-ahead predictions of every period of `series` after the burn-in.

    `series` may extend past the fitted one (Kalman update at the fitted params).
    `since` keeps only periods strictly after that date (new observations).
    """
    reason = unusable(fit, series)
    if reason is not None or fit.spec is None:
        return empty_one_step(fit.series, reason or "no spec")
    spec = fit.spec
    with captured_warnings() as caught:
        try:
            mu, std = _one_step_moments(filtered(series, spec, fit.params, exog))
        except NUMERICAL_ERRORS as exc:  # InputProblem is a ValueError
            reason = f"{fit.series}: one-step predictions failed: {type(exc).__name__}: {exc}"
    if reason is not None:
        return empty_one_step(fit.series, reason, tuple(caught))
    return one_step_result(fit.series, spec, series, mu, std, since, tuple(caught))


def one_step_result(
    key: str,
    spec: SarimaxSpec,
    series: DatedSeries,
    mu: FloatArray,
    std: FloatArray,
    since: date | None,
    notes: tuple[str, ...],
) -> OneStepAhead:
    """`OneStepAhead` from the one-step predictive moments of every period of `series`."""
    keep = np.isfinite(mu) & np.isfinite(std) & (std > 0) & (std <= MAX_STD_LOG)
    keep[: spec.burn_in] = False
    if since is not None:
        keep &= series.periods > np.datetime64(since, "D")
    mu, std = mu[keep], std[keep]
    return OneStepAhead(
        series=key,
        periods=series.periods[keep],
        observed=np.asarray(series.values[keep], dtype=np.float64),
        mean_log=mu,
        std_log=std,
        expected=usd_quantile(mu, std, 0.0, spec.log),
        lower_95=usd_quantile(mu, std, -Z_95, spec.log),
        upper_95=usd_quantile(mu, std, Z_95, spec.log),
        warnings=notes,
        log=spec.log,
    )
