"""Building statsmodels' SARIMAX from a spec: the glue shared by fitting and forecasting.

The endogenous variable is log(USD level) for a log spec (USD otherwise). Regressors
are a float matrix with one row per period of the series and one column per name.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX

from models.sarimax_spec import SarimaxSpec
from models.series import DatedSeries, FloatArray

#: Numerical failures of an estimation or a filter (LinAlgError is a ValueError).
NUMERICAL_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    FloatingPointError,
    OverflowError,
    ZeroDivisionError,
)


class InputProblem(ValueError):
    """Regressors or series that do not fit the spec; the message says why."""


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """Record every warning raised inside the block (none is printed).

    The list is filled when the block ends, as "Category: message" strings.
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for item in caught:
        text = f"{item.category.__name__}: {item.message}"
        if text not in messages:
            messages.append(text)


def default_exog_names(count: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(count))


def exog_matrix(exog: FloatArray | None, rows: int, names: tuple[str, ...]) -> FloatArray | None:
    """Regressors as a (rows, len(names)) float matrix, or None for a model without any.

    Raises InputProblem when the shape does not match or a value is not finite.
    """
    if exog is None:
        if names:
            raise InputProblem(f"the model has regressors {list(names)} but none were given")
        return None
    matrix = np.asarray(exog, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        raise InputProblem(f"regressors have shape {matrix.shape}, expected {rows} rows")
    if names and matrix.shape[1] != len(names):
        raise InputProblem(
            f"regressors have {matrix.shape[1]} columns for {len(names)} names {list(names)}"
        )
    if not np.all(np.isfinite(matrix)):
        raise InputProblem(f"{int(np.sum(~np.isfinite(matrix)))} regressor values are not finite")
    return matrix


def model_endog(series: DatedSeries, spec: SarimaxSpec) -> FloatArray:
    """The variable modelled: log(USD level) for a log spec, else the level itself."""
    values = np.asarray(series.values, dtype=np.float64)
    return np.log(values) if spec.log else values


def build_model(
    endog: FloatArray,
    exog: FloatArray | None,
    spec: SarimaxSpec,
    *,
    concentrate_scale: bool,
    simple_differencing: bool = False,
) -> Any:
    """statsmodels SARIMAX for the spec.

    By default the levels are in the state (exact diffuse start of the differenced
    states): what forecasts and one-step predictions of levels need. With
    `simple_differencing` the series and regressors are differenced first and only the
    ARMA part is in the state (14 states instead of 27 for (1,1,1)(1,1,1,12)): the same
    log-likelihood at the same params (the diffuse periods carry no likelihood), at about
    a third of the cost, so estimation uses it.
    """
    return SARIMAX(
        endog,
        exog=exog,
        order=spec.order,
        seasonal_order=spec.seasonal_order,
        trend=spec.trend,
        simple_differencing=simple_differencing,
        concentrate_scale=concentrate_scale,
    )


def filtered(
    series: DatedSeries, spec: SarimaxSpec, params: tuple[float, ...], exog: FloatArray | None
) -> Any:
    """The Kalman filter of the whole series at fixed `params` (no re-estimation).

    `params` are the stored ones (ending with sigma2). Raises InputProblem for
    regressors that do not fit; statsmodels' numerical errors pass through.
    """
    matrix = exog_matrix(exog, len(series), spec.exog_names)
    model = build_model(model_endog(series, spec), matrix, spec, concentrate_scale=False)
    if len(params) != len(model.param_names):
        raise InputProblem(
            f"{len(params)} parameters for a model with {len(model.param_names)} "
            f"({', '.join(model.param_names)})"
        )
    return model.filter(np.asarray(params, dtype=np.float64), cov_type="none")


def future_exog_matrix(
    exog: FloatArray | None, future_exog: FloatArray | None, horizon: int, spec: SarimaxSpec
) -> FloatArray | None:
    """Regressors for the `horizon` periods ahead.

    When the model has regressors and no future values are given, the last observed row
    is carried forward (a "no further change" projection).
    """
    if not spec.exog_names:
        return None
    if future_exog is not None:
        return exog_matrix(future_exog, horizon, spec.exog_names)
    if exog is None:
        raise InputProblem(f"the model has regressors {list(spec.exog_names)} but none were given")
    matrix = np.asarray(exog, dtype=np.float64)
    last = matrix.reshape(matrix.shape[0], -1)[-1]
    return np.tile(last, (horizon, 1))
