"""The Kalman filter carried on from a saved state: new periods and forecasts of a fitted
SARIMAX without rebuilding statsmodels' model.

statsmodels filters a whole series in a few milliseconds, most of it building the model
and its results objects. Between refits the parameters are fixed, so the system
matrices are too: after one full filter (`state_after`) the predicted state and its
covariance for the next period are all the filter needs to take new observations
(`advance`) and to forecast (`project`), with a handful of small matrix products each.
The recursions are statsmodels' conventional filter for one observed variable; tests
hold them to statsmodels' own numbers.

Only time-invariant systems are carried (regressors enter through their coefficients):
a model with a time trend gets None from `state_after` and is filtered in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.series import FloatArray


@dataclass(frozen=True)
class KalmanState:
    """A time-invariant SARIMAX system at fixed params, and the predicted state of the next
    period given every observation filtered so far (`nobs` of them)."""

    design: FloatArray  # Z, (k,)
    transition: FloatArray  # T, (k, k)
    state_intercept: FloatArray  # c, (k,)
    disturbance_cov: FloatArray  # R Q R', (k, k)
    obs_intercept: float  # constant part of d
    obs_var: float  # H (0 without measurement error)
    exog_coef: FloatArray  # beta: d_t = obs_intercept + x_t · beta, (m,)
    state: FloatArray  # a_{t|t-1}, (k,)
    state_cov: FloatArray  # P_{t|t-1}, (k, k)
    nobs: int


def _invariant(matrix: Any) -> FloatArray | None:
    """The matrix without its last (time) axis when it is the same at every period."""
    array = np.asarray(matrix, dtype=np.float64)
    first = array[..., 0]
    if not np.all(array == first[..., None]):
        return None
    return first


def state_after(results: Any, exog: FloatArray | None) -> KalmanState | None:
    """The state after the last period of a statsmodels SARIMAX filter `results` (levels
    model, one observed variable), or None when its system varies in time other than by
    the regressors (a time trend) and so cannot be carried on here."""
    model = results.model
    ssm = model.ssm
    names = ("design", "transition", "selection", "state_cov", "obs_cov", "state_intercept")
    parts = [_invariant(getattr(ssm, name)) for name in names]
    if any(part is None for part in parts):
        return None
    design, transition, selection, state_cov, obs_cov, state_intercept = (
        np.asarray(part) for part in parts
    )
    obs_intercept = np.asarray(ssm.obs_intercept, dtype=np.float64)[0]
    beta = np.zeros(0)
    if model.k_exog:
        if exog is None:
            return None
        start = model.k_trend
        beta = np.asarray(results.params[start : start + model.k_exog], dtype=np.float64)
        expected = np.asarray(exog, dtype=np.float64).reshape(obs_intercept.shape[0], -1) @ beta
        if not np.allclose(obs_intercept, expected, rtol=1e-12, atol=1e-12):
            return None
        constant = 0.0
    else:
        invariant = _invariant(obs_intercept[None, :])
        if invariant is None:
            return None
        constant = float(invariant[0])
    filtered = results.filter_results
    return KalmanState(
        design=design[0].copy(),
        transition=transition.copy(),
        state_intercept=state_intercept.copy(),
        disturbance_cov=selection @ state_cov @ selection.T,
        obs_intercept=constant,
        obs_var=float(obs_cov[0, 0]),
        exog_coef=beta,
        state=np.array(filtered.predicted_state[:, -1]),
        state_cov=np.array(filtered.predicted_state_cov[:, :, -1]),
        nobs=int(results.nobs),
    )


def _intercept(state: KalmanState, row: FloatArray | None) -> float:
    if state.exog_coef.shape[0] == 0:
        return state.obs_intercept
    if row is None:
        raise ValueError("the model has regressors but none were given")
    return state.obs_intercept + float(np.dot(row, state.exog_coef))


def _predict(state: KalmanState, a: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    a_next = state.transition @ a + state.state_intercept
    p_next = state.transition @ p @ state.transition.T + state.disturbance_cov
    return a_next, (p_next + p_next.T) / 2


def advance(
    state: KalmanState, values: FloatArray, exog: FloatArray | None
) -> tuple[KalmanState, FloatArray, FloatArray]:
    """Filter the new `values` (model scale; NaN = missing) with their regressor rows.

    Returns the state after them and each value's one-step predictive mean and variance.
    """
    z = state.design
    a, p = state.state, state.state_cov
    count = values.shape[0]
    means, variances = np.empty(count), np.empty(count)
    rows = None if exog is None else np.asarray(exog, dtype=np.float64).reshape(count, -1)
    for t in range(count):
        mean = float(z @ a) + _intercept(state, None if rows is None else rows[t])
        pz = p @ z
        variance = float(z @ pz) + state.obs_var
        means[t], variances[t] = mean, variance
        if np.isfinite(values[t]) and variance > 0:
            gain = pz / variance
            a = a + gain * (values[t] - mean)
            p = p - np.outer(gain, pz)
        a, p = _predict(state, a, p)
    after = KalmanState(
        state.design,
        state.transition,
        state.state_intercept,
        state.disturbance_cov,
        state.obs_intercept,
        state.obs_var,
        state.exog_coef,
        a,
        p,
        state.nobs + count,
    )
    return after, means, variances


def project(
    state: KalmanState, horizon: int, exog: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """Predictive mean and variance of the next `horizon` periods (model scale)."""
    missing = np.full(horizon, np.nan)
    _, means, variances = advance(state, missing, exog)
    return means, variances
