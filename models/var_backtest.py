"""Rolling-origin backtest of the VAR's one-month-ahead som per USD forecast.

At each of the last `origins` months the VAR is refitted on the data up to that
month and forecasts the next month's som/USD (the scenario module's baseline, with
its Gaussian band). The benchmark for an exchange rate is no change (the random
walk, i.e. seasonal naive with period 1); MASE scales the absolute errors by the
in-sample mean absolute monthly change up to the origin (Hyndman's MASE, m = 1).
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist

import numpy as np

from models.backtest import BacktestScore
from models.scenario import baseline_log_som, log_som_stderr
from models.var_data import VarConfig, VarInput
from models.var_fit import fit_var

SERIES = "var.som_usd"
_Z80 = NormalDist().inv_cdf(0.90)
_Z95 = NormalDist().inv_cdf(0.975)


def _head(data: VarInput, n: int) -> VarInput:
    return VarInput(data.periods[:n], data.remittances[:n], data.som_usd[:n], data.rub_usd[:n])


def _empty(status: str, reason: str) -> BacktestScore:
    return BacktestScore(
        SERIES,
        status,
        reason,
        None,
        None,
        None,
        None,
        0,
        1,
        None,
        np.array([], dtype="datetime64[D]"),
        np.array([], dtype=np.float64),
    )


def rolling_origin_var(data: VarInput, config: VarConfig, origins: int = 24) -> BacktestScore:
    """One-step som/USD forecasts of a VAR refitted at each origin, against no change."""
    n = data.periods.shape[0]
    cheap = replace(config, bootstrap_reps=2)  # the forecast needs no impulse-response bands
    errors, naive_errors, scales, z, periods = [], [], [], [], []
    hits_80 = hits_95 = 0
    for end in range(max(n - origins, 1), n):
        history = _head(data, end)
        analysis = fit_var(history, cheap)
        if analysis.status != "ok" or analysis.params is None:
            continue
        log_mean = float(baseline_log_som(analysis.params, history, 1)[0])
        log_sd = float(log_som_stderr(analysis.params, 1)[0])
        actual, last = float(data.som_usd[end]), float(history.som_usd[-1])
        errors.append(abs(actual - math.exp(log_mean)))
        naive_errors.append(abs(actual - last))
        scales.append(float(np.mean(np.abs(np.diff(history.som_usd)))))
        score = (math.log(actual) - log_mean) / log_sd if log_sd > 0 else math.nan
        z.append(score)
        hits_80 += abs(score) <= _Z80
        hits_95 += abs(score) <= _Z95
        periods.append(data.periods[end])
    if not errors:
        return _empty("insufficient_data", "the VAR could not be fitted at any origin")
    scale = np.asarray(scales)
    if not np.all(scale > 0):
        return _empty("failed", "som/USD did not move before an origin: MASE is undefined")
    mase = float(np.mean(np.asarray(errors) / scale))
    naive_mase = float(np.mean(np.asarray(naive_errors) / scale))
    count = len(errors)
    return BacktestScore(
        series=SERIES,
        status="ok",
        reason=None,
        mase=mase,
        naive_mase=naive_mase,
        coverage_80=hits_80 / count,
        coverage_95=hits_95 / count,
        n_forecasts=count,
        horizon=1,
        beats_seasonal_naive=mase < naive_mase,
        periods=np.asarray(periods, dtype="datetime64[D]"),
        zscores=np.asarray(z, dtype=np.float64),
    )
