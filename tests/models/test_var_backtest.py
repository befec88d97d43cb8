"""The VAR's rolling-origin backtest against the no-change forecast of som/USD."""

from __future__ import annotations

import math

import numpy as np

from models.scenario import baseline_log_som
from models.var_backtest import rolling_origin_var
from models.var_data import VarConfig, VarInput
from models.var_fit import fit_var
from tests.models.test_var import CAUSAL_SIGMA, causal_data, simulate_levels


def test_errors_by_hand_at_the_last_origin() -> None:
    data = causal_data(n_changes=120, seed=11)
    config = VarConfig(bootstrap_reps=2)
    score = rolling_origin_var(data, config, origins=1)
    assert score.status == "ok" and score.n_forecasts == 1
    history = VarInput(
        data.periods[:-1], data.remittances[:-1], data.som_usd[:-1], data.rub_usd[:-1]
    )
    params = fit_var(history, config).params
    assert params is not None
    forecast = math.exp(float(baseline_log_som(params, history, 1)[0]))
    scale = float(np.mean(np.abs(np.diff(history.som_usd))))
    assert score.mase is not None and score.naive_mase is not None
    assert math.isclose(score.mase, abs(data.som_usd[-1] - forecast) / scale, rel_tol=1e-9)
    assert math.isclose(
        score.naive_mase, abs(data.som_usd[-1] - data.som_usd[-2]) / scale, rel_tol=1e-9
    )


def test_a_predictable_som_beats_no_change_and_bands_cover() -> None:
    # som/USD changes with strong momentum (0.6 on its own lag): forecastable, so the VAR
    # must beat "no change"; with the true model Gaussian, 95% bands cover most months.
    coefs = np.array([[[0.3, 0.0, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 0.2]]])
    data = simulate_levels(coefs, CAUSAL_SIGMA, 160, seed=3)
    score = rolling_origin_var(data, VarConfig(bootstrap_reps=2), origins=30)
    assert score.status == "ok" and score.n_forecasts == 30
    assert score.beats_seasonal_naive is True
    assert score.coverage_95 is not None and score.coverage_95 >= 0.8
    assert score.zscores.shape == (30,) and score.periods.shape == (30,)
    assert set(score.to_dict()) >= {"series", "mase", "coverage_80", "beats_seasonal_naive"}


def test_too_short_is_reported_not_raised() -> None:
    data = causal_data(n_changes=20, seed=1)
    score = rolling_origin_var(data, VarConfig(bootstrap_reps=2), origins=5)
    assert score.status == "insufficient_data" and score.reason
