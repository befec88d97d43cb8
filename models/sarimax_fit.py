"""Estimating SARIMAX models of remittance series: order selection and warm refits.

The model is of log(USD level). Estimation is statsmodels' maximum likelihood with
the innovation variance concentrated out (one parameter fewer for the optimiser), on
the differenced series (`simple_differencing`: the same likelihood as the levels model
with exact diffuse initialisation of the differenced states, with half the states),
stationarity and invertibility enforced, and no parameter covariance (cov_type="none":
we report no standard errors, and the numerical Hessian would cost more than the fit).

A cold fit runs L-BFGS-B to scipy's default tolerances. A warm refit (from the previous
params) and the screening of the order grid stop earlier, at `QUICK_TOLERANCE`: on
simulated monthly series they end a few hundredths below the maximum log-likelihood
(median 0.01, at most 0.03 in 8 series), and a drop of D in log-likelihood is a move of
about sqrt(2 D) standard errors: a fifth of one. That is far below what separates
candidate orders by AICc or moves a forecast (tests hold warm and cold forecasts within
a twentieth of the band). A warm refit whose previous params are already optimal on the
new data stops at its first gradient: the parameters have not drifted and are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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

#: L-BFGS-B stopping rule of warm refits and grid screening. statsmodels minimises
#: -loglike / nobs: `factr` stops when an iteration changes that by less than
#: factr × 2.2e-16 relatively (1e10: about 1e-3 in log-likelihood for a typical series);
#: `pgtol` when the largest projected gradient component is below it.
QUICK_TOLERANCE: dict[str, float] = {"factr": 1e10, "pgtol": 1e-4}

#: L-BFGS-B stopping rule of the finalists of a grid: ten to a hundred times tighter.
FINAL_TOLERANCE: dict[str, float] = {"factr": 1e8, "pgtol": 1e-5}

#: Candidates screened within this much (AICc or BIC) of the best are fitted further
#: before the choice. Screening stops at most about half a unit of AICc above a
#: candidate's optimum (0.46 in the tests' and benchmark's series), so a candidate
#: screened more than 1.0 above the best cannot be the best once both are fitted fully.
FINALIST_MARGIN = 1.0

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
    tolerance: dict[str, float],
) -> _Estimate:
    model = build_model(endog, exog, spec, concentrate_scale=True, simple_differencing=True)
    start = None
    if start_params is not None and len(start_params) == len(model.param_names) + 1:
        start = np.asarray(start_params[:-1], dtype=np.float64)  # sigma2 is concentrated out
    elif start_params is not None:
        tolerance = {}  # start values of another model: a cold fit, run to the end
    result = model.fit(
        start_params=start, disp=False, cov_type="none", maxiter=maxiter, **tolerance
    )
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
    tolerance: dict[str, float],
) -> tuple[_Estimate | None, float | None, str | None, list[str]]:
    """One estimation with its warnings captured: (estimate, criterion value, error, warnings)."""
    estimate: _Estimate | None = None
    value: float | None = None
    error: str | None = None
    with captured_warnings() as caught:
        try:
            estimate = _estimate(endog, exog, spec, start_params, maxiter, tolerance)
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
    tolerance = QUICK_TOLERANCE if start_params is not None else {}
    estimate, value, error, caught = _attempt(
        endog, checked, spec, start_params, maxiter, "aicc", tolerance
    )
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


def _refine_finalists(
    endog: FloatArray,
    exog: FloatArray | None,
    candidates: list[CandidateScore],
    estimates: dict[int, _Estimate],
) -> None:
    """Carry on the screened fits within `FINALIST_MARGIN` of the best (in place), so that
    close candidates are compared near their optimum (`FINAL_TOLERANCE`: within about
    0.01 of the best log-likelihood) rather than where screening stopped."""
    values = [c.value for c in candidates if c.value is not None]
    if not values:
        return
    cutoff = min(values) + FINALIST_MARGIN
    for index, estimate in list(estimates.items()):
        candidate = candidates[index]
        if candidate.value is None or candidate.value > cutoff:
            continue
        spec, criterion = candidate.spec, candidate.criterion
        refined, value, _, _ = _attempt(
            endog, exog, spec, estimate.params, COLD_MAXITER, criterion, FINAL_TOLERANCE
        )
        if refined is not None and value is not None and value < candidate.value:
            estimates[index] = refined
            candidates[index] = replace(candidate, value=value)


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
    estimates: dict[int, _Estimate] = {}
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
            endog, checked, spec, None, COLD_MAXITER, grid.criterion, QUICK_TOLERANCE
        )
        notes.extend(f"{spec.label}: {text}" for text in caught)
        if estimate is None or value is None:
            candidates.append(CandidateScore(spec, grid.criterion, None, "failed", error))
            continue
        estimates[len(candidates)] = estimate
        candidates.append(CandidateScore(spec, grid.criterion, value, "ok"))
    _refine_finalists(endog, checked, candidates, estimates)
    best: tuple[SarimaxSpec, _Estimate, float] | None = None
    for index, estimate in estimates.items():
        value = candidates[index].value
        if value is not None and (best is None or value < best[2]):
            best = (candidates[index].spec, estimate, value)
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
