"""Scoring between refits: a fitted model's forecast and one-step predictions after new
observations, without re-estimation, and without refiltering what was filtered before.

`FilterMemo` keeps, per series, the last Kalman filter of the fitted model: the one-step
predictive moments of every period filtered and the state after the last one. When the
same fit is asked for the same series grown by new periods (the earlier periods and
regressors unchanged, bit for bit), only the new periods are filtered (`advance`) and the
forecast is projected from the state; otherwise (a new fit, a revised observation, a
first call in this process) the whole series is filtered by statsmodels and remembered.
Either way the numbers are those of `forecast` and `one_step_ahead` (tests hold them to
each other).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import numpy as np

from models.forecast import (
    Forecast,
    OneStepAhead,
    empty_one_step,
    forecast_points,
    one_step_result,
    unusable,
)
from models.kalman_state import KalmanState, advance, project, state_after
from models.sarimax_model import (
    NUMERICAL_ERRORS,
    captured_warnings,
    exog_matrix,
    filtered,
    future_exog_matrix,
    model_endog,
)
from models.sarimax_spec import SarimaxFit, SarimaxSpec
from models.series import DateArray, DatedSeries, FloatArray

#: Series remembered per process (least recently used dropped first); about 25 kB each
#: for a monthly (1,1,1)(1,1,1,12) model of 15 years.
MEMO_SERIES = 5000


@dataclass(frozen=True)
class _Filtered:
    spec: SarimaxSpec
    params: tuple[float, ...]
    periods: DateArray
    endog: FloatArray  # model scale
    exog: FloatArray | None
    mean: FloatArray  # one-step predictive mean of every period (model scale)
    var: FloatArray  # and its variance
    state: KalmanState  # after the last period


def _same_prefix(old: FloatArray | DateArray, new: FloatArray | DateArray) -> bool:
    n = old.shape[0]
    return new.shape[0] >= n and bool(np.array_equal(old, new[:n], equal_nan=False))


class FilterMemo:
    """The last filter of each series' fitted model in this process (thread-safe)."""

    def __init__(self, max_series: int = MEMO_SERIES) -> None:
        self._max = max_series
        self._entries: OrderedDict[str, _Filtered] = OrderedDict()
        self._lock = threading.Lock()
        self.reused = 0  # calls answered by filtering only new periods
        self.refiltered = 0  # calls that filtered the whole series

    def _get(self, key: str) -> _Filtered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key: str, entry: _Filtered) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def filter(
        self, fit: SarimaxFit, spec: SarimaxSpec, series: DatedSeries, exog: FloatArray | None
    ) -> tuple[FloatArray, FloatArray, KalmanState | None]:
        """One-step moments (mean, variance) of every period and the state after the last
        (None when the model cannot be carried on: it is then refiltered every time)."""
        endog = model_endog(series, spec)
        matrix = exog_matrix(exog, len(series), spec.exog_names)
        entry = self._get(series.key)
        if (
            entry is not None
            and entry.spec == spec
            and entry.params == fit.params
            and _same_prefix(entry.periods, series.periods)
            and _same_prefix(entry.endog, endog)
            and (entry.exog is None) == (matrix is None)
            and (entry.exog is None or matrix is None or _same_prefix(entry.exog, matrix))
        ):
            n = entry.endog.shape[0]
            state, mean, var = advance(
                entry.state, endog[n:], None if matrix is None else matrix[n:]
            )
            mean, var = np.concatenate([entry.mean, mean]), np.concatenate([entry.var, var])
            self.reused += 1
        else:
            results = filtered(series, spec, fit.params, exog)
            mean = np.array(results.filter_results.forecasts[0], dtype=np.float64)
            var = np.array(results.filter_results.forecasts_error_cov[0, 0], dtype=np.float64)
            carried = state_after(results, matrix)
            self.refiltered += 1
            if carried is None:
                return mean, var, None
            state = carried
        remembered = _Filtered(spec, fit.params, series.periods, endog, matrix, mean, var, state)
        self._put(series.key, remembered)
        return mean, var, state


#: The memo of the scoring job in this process (the scheduler scores in-process).
PROCESS_MEMO = FilterMemo()


def update(
    fit: SarimaxFit,
    series: DatedSeries,
    horizon: int,
    *,
    exog: FloatArray | None = None,
    future_exog: FloatArray | None = None,
    since: date | None = None,
    memo: FilterMemo = PROCESS_MEMO,
) -> tuple[Forecast, OneStepAhead]:
    """`forecast(fit, series, horizon, …)` and `one_step_ahead(fit, series, …)` at once,
    filtering through `memo` (only new periods when it holds the series' last filter)."""
    origin = series.last_period if len(series) else fit.last_period
    reason = unusable(fit, series)
    if reason is not None or fit.spec is None:
        failed = Forecast(fit.series, fit.spec, origin, (), "failed", reason)
        return failed, empty_one_step(fit.series, reason or "no spec")
    spec = fit.spec
    with captured_warnings() as caught:
        try:
            mean, var, state = memo.filter(fit, spec, series, exog)
            ahead = future_exog_matrix(exog, future_exog, horizon, spec)
            if state is None:
                prediction = filtered(series, spec, fit.params, exog).get_forecast(
                    horizon, exog=ahead
                )
                mu = np.asarray(prediction.predicted_mean, dtype=np.float64)
                mu_var = np.asarray(prediction.var_pred_mean, dtype=np.float64)
            else:
                mu, mu_var = project(state, horizon, ahead)
            points = forecast_points(series, spec, mu, np.sqrt(mu_var))
        except NUMERICAL_ERRORS as exc:  # InputProblem is a ValueError
            reason = f"{fit.series}: update failed: {type(exc).__name__}: {exc}"
    notes = tuple(caught)
    if reason is not None:
        failed = Forecast(fit.series, spec, origin, (), "failed", reason, notes)
        return failed, empty_one_step(fit.series, reason, notes)
    predicted = Forecast(fit.series, spec, origin, points, "ok", None, notes)
    steps = one_step_result(fit.series, spec, series, mean, np.sqrt(var), since, notes)
    return predicted, steps
