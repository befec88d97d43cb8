"""Scenario projections: statsmodels' own forecast, the IRF they must reproduce, and a
simulation of the forecast error they must match."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace

import numpy as np
import pytest
from statsmodels.tsa.vector_ar.util import varsim
from statsmodels.tsa.vector_ar.var_model import VAR

from models.scenario import (
    ScenarioPath,
    ScenarioProjection,
    project_scenario,
    project_stored_scenario,
)
from models.var import VarAnalysis, VarConfig, VarInput, VarParams, fit_var
from tests.models.test_var import causal_data, direct_design

Z95 = 1.959963984540054


Fitted = tuple[VarInput, VarAnalysis]


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    data = causal_data(n_changes=150, seed=21)
    analysis = fit_var(data, VarConfig(bootstrap_reps=20))
    assert analysis.status == "ok", analysis.reason
    return data, analysis


def _project(fitted: Fitted, *changes: float) -> ScenarioProjection:
    data, analysis = fitted
    projection = project_scenario(analysis, data, ScenarioPath(tuple(changes)), horizon=12)
    assert projection.status == "ok", projection.reason
    return projection


def test_zero_path_is_the_baseline(fitted: Fitted) -> None:
    projection = _project(fitted)
    for point in projection.points:
        assert point.projected == point.baseline
        assert point.deviation_pct == 0
        assert point.lower_95 < point.baseline < point.upper_95


def test_baseline_is_the_statsmodels_var_forecast(fitted: Fitted) -> None:
    data, analysis = fitted
    endog, exog = direct_design(data)
    direct = VAR(endog, exog=exog).fit(analysis.lags)
    future_months = [(data.periods[-1].tolist().month + h) % 12 + 1 for h in range(12)]
    future = np.column_stack([[float(m == d) for m in future_months] for d in range(2, 13)])
    changes = direct.forecast(endog[-analysis.lags :], 12, exog_future=future)
    expected = data.som_usd[-1] * np.exp(np.cumsum(changes[:, 1]))
    projection = _project(fitted, 0.0)
    np.testing.assert_allclose([p.baseline for p in projection.points], expected, rtol=1e-12)
    assert projection.origin == data.periods[-1].tolist()
    assert projection.points[0].period.month == future_months[0]


def test_a_single_impulse_reproduces_the_impulse_response(fitted: Fitted) -> None:
    data, analysis = fitted
    endog, exog = direct_design(data)
    irf = VAR(endog, exog=exog).fit(analysis.lags).irf(11)
    remittances = irf.orth_cum_effects[:, 0, 0] / irf.P[0, 0] * math.log(0.9)
    projection = _project(fitted, *(100 * np.expm1(remittances)))
    expected = [p.response for p in analysis.irf[:12]]
    np.testing.assert_allclose([p.deviation_pct for p in projection.points], expected)


def test_remittance_fall_raises_the_som_per_dollar(fitted: Fitted) -> None:
    projection = _project(fitted, -20.0, -20.0, -20.0)
    assert all(p.deviation_pct > 0 for p in projection.points[:3])
    assert all(p.projected > p.baseline for p in projection.points[:3])


def test_bands_match_the_forecast_error_and_widen(fitted: Fitted) -> None:
    _, analysis = fitted
    assert analysis.params is not None
    sigma = analysis.params.sigma_array()
    projection = _project(fitted, -10.0)
    first = projection.points[0]
    assert math.log(first.upper_95 / first.projected) == pytest.approx(
        Z95 * math.sqrt(sigma[1, 1]), rel=1e-12
    )
    log_widths = [math.log(p.upper_95 / p.lower_95) for p in projection.points]
    assert all(b > a for a, b in itertools.pairwise(log_widths))
    # The 12-month band against simulated paths of the fitted VAR.
    paths = varsim(
        analysis.params.coef_array(),
        None,
        sigma,
        steps=12 + analysis.lags,
        initial_values=np.zeros((analysis.lags, 3)),
        rng=np.random.default_rng(4),
        nsimulations=4000,
    )
    simulated_sd = paths[:, analysis.lags :, 1].sum(axis=1).std()
    assert log_widths[-1] / (2 * Z95) == pytest.approx(simulated_sd, rel=0.04)


def test_params_round_trip_through_json_gives_the_same_projection(fitted: Fitted) -> None:
    data, analysis = fitted
    assert analysis.params is not None
    stored = json.loads(json.dumps(analysis.params.to_dict()))
    path = ScenarioPath((-20.0, -20.0, -20.0))
    again = project_scenario(VarParams.from_dict(stored), data, path)
    assert again == project_scenario(analysis, data, path)


def test_a_stored_result_with_its_input_gives_the_same_projection(fitted: Fitted) -> None:
    data, analysis = fitted
    stored = json.loads(json.dumps({**analysis.to_dict(), "input": data.to_dict()}))
    again = VarInput.from_dict(stored["input"])
    assert np.array_equal(again.periods, data.periods)
    assert np.array_equal(again.levels(), data.levels())
    path = ScenarioPath((-20.0, -20.0, -20.0))
    assert project_stored_scenario(stored, path) == project_scenario(analysis, data, path)


def test_a_stored_result_without_params_is_unavailable(fitted: Fitted) -> None:
    data, _ = fitted
    stored = {"status": "insufficient_data", "reason": "too short", "input": data.to_dict()}
    projection = project_stored_scenario(stored, ScenarioPath((-20.0,)))
    assert projection.status == "unavailable"
    assert projection.reason is not None and "too short" in projection.reason


@pytest.mark.parametrize(
    ("changes", "horizon", "words"),
    [((-10.0,) * 13, 12, "more than the horizon"), ((-100.0,), 12, "above -100")],
)
def test_invalid_paths(
    fitted: Fitted, changes: tuple[float, ...], horizon: int, words: str
) -> None:
    data, analysis = fitted
    projection = project_scenario(analysis, data, ScenarioPath(changes), horizon)
    assert projection.status == "invalid_scenario"
    assert projection.reason is not None and words in projection.reason


def test_unusable_analysis_or_data(fitted: Fitted) -> None:
    data, analysis = fitted
    failed = replace(analysis, status="insufficient_data", reason="som_usd: too short")
    projection = project_scenario(failed, data, ScenarioPath((-10.0,)))
    assert projection.status == "unavailable" and "too short" in (projection.reason or "")
    som = data.som_usd.copy()
    som[-1] = np.nan
    gappy = VarInput(data.periods, data.remittances, som, data.rub_usd)
    projection = project_scenario(analysis, gappy, ScenarioPath((-10.0,)))
    assert projection.status == "insufficient_data"
    json.dumps(projection.to_dict(), allow_nan=False)


def test_to_dict_contract(fitted: Fitted) -> None:
    payload = json.loads(json.dumps(_project(fitted, -20.0, -20.0).to_dict(), allow_nan=False))
    assert set(payload) == {"origin", "changes_pct", "points", "status", "reason"}
    assert payload["changes_pct"] == [-20.0, -20.0]
    assert set(payload["points"][0]) == {
        "period", "baseline", "projected", "lower", "upper", "deviation_pct"
    }  # fmt: skip
    assert len(payload["points"]) == 12
