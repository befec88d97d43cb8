"""Estimating SARIMAX models of remittance series: order selection and warm refits.

The model is of log(USD level). Estimation is statsmodels' maximum likelihood with
the innovation variance concentrated out (one parameter fewer for the optimiser),
exact diffuse initialisation of the differenced states, stationarity and
invertibility enforced, and no parameter covariance (cov_type="none": we report no
standard errors, and the numerical Hessian would cost more than the fit).
The stored params append sigma2 (the concentrated scale), so the model is rebuilt
exactly without concentration: `SARIMAX(log y, exog, **spec).filter(params)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.sarimax_model import (
    NUMERICAL_ERRORS,
    InputProblem,
    build_model,
    captured_warnings,
    default_exog_names,
    exog_matrix,
    model_endog,
)
from models.sarimax_spec import CandidateScore, OrderGrid, SarimaxFit, SarimaxSpec
from models.series import DEFAULT_SEASON, DatedSeries, FloatArray, problem

#: Iteration limit of a cold fit in the grid (statsmodels' default 50 is often too few
#: for models with both seasonal AR and MA terms).
COLD_MAXITER = 100

#: Observations left after differencing, beyond one per parameter, for a fit to be tried.
MIN_DEGREES_OF_FREEDOM = 10


@dataclass(frozen=True)
class _Estimate:
    result: Any  # statsmodels MLEResults of the concentrated model
    params: tuple[float, ...]
    param_names: tuple[str, ...]


def _parameter_count(spec: SarimaxSpec) -> int:
    p, _, q = spec.order
    big_p, _, big_q, _ = spec.seasonal_order
    trend_terms = {None: 0, "n": 0, "c": 1, "t": 1, "ct": 2}.get(spec.trend, 1)
    return p + q + big_p + big_q + trend_terms + len(spec.exog_names) + 1


def required_length(spec: SarimaxSpec) -> int:
    """Fewest observations for which a fit of `spec` is attempted."""
    return spec.burn_in + _parameter_count(spec) + MIN_DEGREES_OF_FREEDOM


def _estimate(
    endog: FloatArray,
    exog: FloatArray | None,
    spec: SarimaxSpec,
    start_params: Sequence[float] | None,
    maxiter: int,
) -> _Estimate:
    model = build_model(endog, exog, spec, concentrate_scale=True)
    start = None
    if start_params is not None and len(start_params) == len(model.param_names) + 1:
        start = np.asarray(start_params[:-1], dtype=np.float64)  # sigma2 is concentrated out
    result = model.fit(start_params=start, disp=False, cov_type="none", maxiter=maxiter)
    if not np.isfinite(result.llf) or not np.isfinite(result.scale) or result.scale <= 0:
        raise FloatingPointError(f"log-likelihood {result.llf}, scale {result.scale}")
    params = (*(float(p) for p in result.params), float(result.scale))
    names = list(model.param_names)
    if spec.exog_names:  # statsmodels calls array columns x1, x2...: use ours
        names[model.k_trend : model.k_trend + model.k_exog] = spec.exog_names
    return _Estimate(result, params, (*names, "sigma2"))


def _attempt(
    endog: FloatArray,
    exog: FloatArray | None,
    spec: SarimaxSpec,
    start_params: Sequence[float] | None,
    maxiter: int,
    criterion: str,
) -> tuple[_Estimate | None, float | None, str | None, list[str]]:
    """One estimation with its warnings captured: (estimate, criterion value, error, warnings)."""
    estimate: _Estimate | None = None
    value: float | None = None
    error: str | None = None
    with captured_warnings() as caught:
        try:
            estimate = _estimate(endog, exog, spec, start_params, maxiter)
            value = _criterion(estimate.result, criterion)
        except NUMERICAL_ERRORS as exc:
            estimate, error = None, f"{type(exc).__name__}: {exc}"
    return estimate, value, error, caught


def _diagnostics(result: Any, season: int) -> dict[str, float | None]:
    """Ljung-Box p-value of the standardised one-step errors (lag 2s, or 12 without a
    season, capped at a fifth of the effective sample) and sigma2 (log scale)."""
    lag = max(1, min(2 * season if season > 1 else 12, int(result.nobs_effective) // 5))
    try:
        pvalue: float | None = float(result.test_serial_correlation("ljungbox", lags=lag)[0, 1, -1])
    except NUMERICAL_ERRORS:
        pvalue = None
    return {
        "ljung_box_pvalue": pvalue,
        "ljung_box_lag": float(lag),
        "sigma2": float(result.scale),
        "loglike": float(result.llf),
    }


def _criterion(result: Any, criterion: str) -> float:
    value = float(result.aicc if criterion == "aicc" else result.bic)
    if not np.isfinite(value):
        raise FloatingPointError(f"{criterion} is {value}")
    return value


def _failure(
    series: DatedSeries,
    status: str,
    reason: str,
    *,
    spec: SarimaxSpec | None = None,
    warnings: tuple[str, ...] = (),
    candidates: tuple[CandidateScore, ...] = (),
) -> SarimaxFit:
    return SarimaxFit(
        series=series.key,
        status=status,
        reason=reason,
        spec=spec,
        params=(),
        param_names=(),
        aicc=None,
        bic=None,
        nobs=len(series),
        last_period=series.last_period if len(series) else None,
        warnings=warnings,
        candidates=candidates,
        diagnostics={},
    )


def _checked_inputs(
    series: DatedSeries, exog: FloatArray | None, names: tuple[str, ...], min_length: int
) -> tuple[str, str] | FloatArray | None:
    """The regressor matrix, or (status, reason) when the inputs cannot be modelled."""
    reason = problem(series, min_length)
    if reason is not None:
        status = "insufficient_data" if len(series) < min_length else "failed"
        return status, reason
    try:
        return exog_matrix(exog, len(series), names)
    except InputProblem as exc:
        return "failed", f"{series.key}: {exc}"


def _fit_result(
    series: DatedSeries,
    spec: SarimaxSpec,
    estimate: _Estimate,
    warnings: tuple[str, ...],
    candidates: tuple[CandidateScore, ...],
) -> SarimaxFit:
    result = estimate.result
    return SarimaxFit(
        series=series.key,
        status="ok",
        reason=None,
        spec=spec,
        params=estimate.params,
        param_names=estimate.param_names,
        aicc=float(result.aicc),
        bic=float(result.bic),
        nobs=len(series),
        last_period=series.last_period,
        warnings=warnings,
        candidates=candidates,
        diagnostics=_diagnostics(result, spec.seasonal_order[3]),
    )


def fit_spec(
    series: DatedSeries,
    spec: SarimaxSpec,
    *,
    exog: FloatArray | None = None,
    start_params: Sequence[float] | None = None,
    maxiter: int = 50,
) -> SarimaxFit:
    """Fit `spec` to the series (USD levels), warm-started from `start_params` if given.

    `start_params` are a previous fit's stored params (ending with sigma2); of another
    length they are ignored (cold start, noted in `warnings`). Never raises for data
    problems or numerical failures: they give a status other than "ok" and a reason.
    """
    checked = _checked_inputs(series, exog, spec.exog_names, required_length(spec))
    if isinstance(checked, tuple):
        return _failure(series, checked[0], checked[1], spec=spec)
    endog = model_endog(series, spec)
    estimate, value, error, caught = _attempt(endog, checked, spec, start_params, maxiter, "aicc")
    notes = tuple(caught)
    if estimate is None or value is None:
        reason = f"{series.key}: {spec.label} could not be fitted: {error}"
        return _failure(series, "failed", reason, spec=spec, warnings=notes)
    if start_params is not None and len(start_params) != len(estimate.params):
        notes += (f"start_params of length {len(start_params)} ignored (cold start)",)
    candidate = CandidateScore(spec, "aicc", value, "ok")
    return _fit_result(series, spec, estimate, notes, (candidate,))


def grid_specs(
    grid: OrderGrid, season: int, exog_names: tuple[str, ...]
) -> tuple[SarimaxSpec, ...]:
    """The grid's specs in search order: each order with each seasonal order."""
    return tuple(
        SarimaxSpec(order=order, seasonal_order=(*seasonal, season), exog_names=exog_names)
        for order in grid.orders
        for seasonal in grid.seasonal_orders
    )


def select_and_fit(
    series: DatedSeries,
    grid: OrderGrid,
    *,
    exog: FloatArray | None = None,
    exog_names: tuple[str, ...] = (),
    season: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SarimaxFit:
    """Fit every grid point to the series (USD levels) and keep the best by criterion.

    Deterministic: the grid is searched in a fixed order and ties go to the earlier
    point. `clock` is read once before the search and once before each candidate;
    when `grid.max_seconds` have passed, the remaining candidates are "skipped".
    `season` defaults to DEFAULT_SEASON of the series' frequency.
    """
    period = season if season is not None else DEFAULT_SEASON[series.frequency]
    if exog is not None and not exog_names:
        exog_names = default_exog_names(1 if np.ndim(exog) == 1 else int(np.shape(exog)[1]))
    specs = grid_specs(grid, period, exog_names)
    minimum = max([grid.min_observations, *(required_length(s) for s in specs)])
    checked = _checked_inputs(series, exog, exog_names, minimum)
    if isinstance(checked, tuple):
        return _failure(series, checked[0], checked[1])
    endog = model_endog(series, specs[0])
    started = clock()
    out_of_time = False
    best: tuple[SarimaxSpec, _Estimate, float] | None = None
    candidates: list[CandidateScore] = []
    notes: list[str] = []
    for spec in specs:
        if not out_of_time and clock() - started >= grid.max_seconds:
            out_of_time = True
        if out_of_time:
            reason = f"time bound of {grid.max_seconds:g} s reached"
            candidates.append(CandidateScore(spec, grid.criterion, None, "skipped", reason))
            continue
        estimate, value, error, caught = _attempt(
            endog, checked, spec, None, COLD_MAXITER, grid.criterion
        )
        notes.extend(f"{spec.label}: {text}" for text in caught)
        if estimate is None or value is None:
            candidates.append(CandidateScore(spec, grid.criterion, None, "failed", error))
            continue
        candidates.append(CandidateScore(spec, grid.criterion, value, "ok"))
        if best is None or value < best[2]:
            best = (spec, estimate, value)
    if best is None:
        failures = "; ".join(f"{c.spec.label}: {c.reason}" for c in candidates)
        return _failure(
            series,
            "failed",
            f"{series.key}: no candidate model could be fitted ({failures})",
            warnings=tuple(notes),
            candidates=tuple(candidates),
        )
    return _fit_result(series, best[0], best[1], tuple(notes), tuple(candidates))
