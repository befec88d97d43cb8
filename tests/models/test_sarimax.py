"""SARIMAX fitting and forecasting against statsmodels called directly and known truths."""

from __future__ import annotations

import itertools
import json
import warnings
from dataclasses import replace

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from models.sarimax import (
    OrderGrid,
    SarimaxSpec,
    fit_spec,
    forecast,
    one_step_ahead,
    select_and_fit,
)
from models.series import DatedSeries, FloatArray
from tests.models.simulate import airline_log_level

AIRLINE = SarimaxSpec(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
Z_95 = 1.959963984540054


def monthly(values: FloatArray, key: str = "remit.in.total.M") -> DatedSeries:
    periods = (np.datetime64("2008-01", "M") + np.arange(values.shape[0])).astype("datetime64[D]")
    return DatedSeries(key, "M", periods, np.asarray(values, dtype=np.float64))


@pytest.fixture(scope="module")
def airline_series() -> DatedSeries:
    rng = np.random.default_rng(20240611)
    return monthly(np.exp(airline_log_level(rng, 150, -0.4, -0.6, 0.04)))


def test_spec_round_trips_through_json() -> None:
    spec = SarimaxSpec((1, 1, 1), (0, 1, 1, 12), trend="c", exog_names=("rub_change",))
    stored = json.loads(json.dumps(spec.to_dict()))
    assert stored == {
        "order": [1, 1, 1],
        "seasonal_order": [0, 1, 1, 12],
        "trend": "c",
        "exog": ["rub_change"],
        "transform": "log",
    }
    assert SarimaxSpec.from_dict(stored) == spec
    with pytest.raises(ValueError, match="seasonal_order"):
        SarimaxSpec.from_dict({"order": [0, 1, 1], "seasonal_order": [0, 1, 1]})


def test_fit_and_forecast_match_statsmodels_called_directly(airline_series: DatedSeries) -> None:
    fit = fit_spec(airline_series, AIRLINE)
    assert fit.status == "ok" and fit.param_names == ("ma.L1", "ma.S.L12", "sigma2")
    log_y = np.log(airline_series.values)
    direct = SARIMAX(log_y, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False)
    # Same optimum reached by two optimiser paths (concentrated scale or not): the
    # coefficients agree far inside their standard errors (about 0.07).
    np.testing.assert_allclose(fit.params[:2], direct.params[:2], atol=2e-3)
    np.testing.assert_allclose(fit.params[2], direct.params[2], rtol=1e-2)
    assert fit.aicc == pytest.approx(direct.aicc, abs=1e-2)

    ours = forecast(fit, airline_series, 12)
    frame = direct.get_forecast(12).summary_frame(alpha=0.05)
    band = np.array([[p.lower_95, p.upper_95] for p in ours.points])
    np.testing.assert_allclose(band[:, 0], np.exp(frame["mean_ci_lower"]), rtol=2e-3)
    np.testing.assert_allclose(band[:, 1], np.exp(frame["mean_ci_upper"]), rtol=2e-3)

    # With our params, statsmodels' own rebuild gives the very same numbers.
    rebuilt = SARIMAX(log_y, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).filter(fit.params)
    prediction = rebuilt.get_forecast(12)
    mu, var = prediction.predicted_mean, prediction.var_pred_mean
    np.testing.assert_allclose([p.mean for p in ours.points], np.exp(mu + var / 2), rtol=1e-10)
    np.testing.assert_allclose(band[:, 1], np.exp(mu + Z_95 * np.sqrt(var)), rtol=1e-10)
    upper_80 = np.exp(mu + 1.2815515655446004 * np.sqrt(var))
    np.testing.assert_allclose([p.upper_80 for p in ours.points], upper_80, rtol=1e-10)
    assert [p.period.isoformat() for p in ours.points][:2] == ["2020-07-01", "2020-08-01"]


def test_recovers_known_airline_parameters() -> None:
    rng = np.random.default_rng(7)
    series = monthly(np.exp(airline_log_level(rng, 240, -0.4, -0.6, 0.03)))
    fit = fit_spec(series, AIRLINE, maxiter=100)
    theta, seasonal_theta, sigma2 = fit.params
    # Asymptotic standard errors with 227 effective observations: sqrt((1-θ²)/n) = 0.061
    # for θ, sqrt((1-Θ²)/n) = 0.053 for Θ, σ²·sqrt(2/n) = 9.4% for σ². Allow three.
    assert theta == pytest.approx(-0.4, abs=3 * 0.061)
    assert seasonal_theta == pytest.approx(-0.6, abs=3 * 0.053)
    assert sigma2 == pytest.approx(0.03**2, rel=3 * 0.094)


def test_regressor_coefficient_and_carried_forward_projection() -> None:
    rng = np.random.default_rng(11)
    rub = rng.normal(0.0, 1.0, 150)
    series = monthly(np.exp(airline_log_level(rng, 150, -0.4, -0.6, 0.03) - 0.05 * rub))
    spec = SarimaxSpec((0, 1, 1), (0, 1, 1, 12), exog_names=("rub_change",))
    fit = fit_spec(series, spec, exog=rub)
    assert fit.param_names[0] == "rub_change"
    assert fit.params[0] == pytest.approx(-0.05, abs=0.01)  # SE ≈ 0.03/sqrt(2·137) ≈ 0.002

    ours = forecast(fit, series, 6, exog=rub)
    direct = SARIMAX(np.log(series.values), exog=rub, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    prediction = direct.filter(fit.params).get_forecast(6, exog=np.repeat(rub[-1], 6))
    mu, var = prediction.predicted_mean, prediction.var_pred_mean
    np.testing.assert_allclose([p.mean for p in ours.points], np.exp(mu + var / 2), rtol=1e-10)
    missing = forecast(fit, series, 6)
    assert missing.status == "failed" and "regressors" in (missing.reason or "")


SMALL_GRID = OrderGrid(
    orders=((0, 1, 1), (1, 1, 0), (1, 1, 1)),
    seasonal_orders=((0, 1, 1), (0, 1, 0)),
)


def test_selection_is_deterministic_and_reports_every_candidate(
    airline_series: DatedSeries,
) -> None:
    first = select_and_fit(airline_series, SMALL_GRID)
    second = select_and_fit(airline_series, SMALL_GRID)
    assert first.status == "ok" and first.spec == second.spec
    assert [c.value for c in first.candidates] == [c.value for c in second.candidates]
    labels = [c.spec.label for c in first.candidates]
    assert labels == [
        "(0,1,1)(0,1,1,12)",
        "(0,1,1)(0,1,0,12)",
        "(1,1,0)(0,1,1,12)",
        "(1,1,0)(0,1,0,12)",
        "(1,1,1)(0,1,1,12)",
        "(1,1,1)(0,1,0,12)",
    ]
    values = [c.value for c in first.candidates if c.value is not None]
    assert first.aicc == pytest.approx(min(values))
    assert first.spec is not None and first.spec.seasonal_order == (0, 1, 1, 12)
    json.dumps(first.to_dict())


def test_time_bound_on_a_fake_clock_skips_the_rest(airline_series: DatedSeries) -> None:
    ticks = itertools.count(0.0, 10.0)  # every read of the clock is 10 s later
    bounded = replace(SMALL_GRID, max_seconds=25.0)
    fit = select_and_fit(airline_series, bounded, clock=lambda: next(ticks))
    # Read at 0 (start), 10 and 20 (two candidates start), 30: over the bound.
    assert [c.status for c in fit.candidates] == ["ok", "ok"] + ["skipped"] * 4
    assert fit.status == "ok" and fit.spec is not None and fit.spec.order == (0, 1, 1)
    assert "time bound" in (fit.candidates[-1].reason or "")

    nothing = replace(SMALL_GRID, max_seconds=0.0)
    none_fitted = select_and_fit(airline_series, nothing, clock=lambda: 0.0)
    assert none_fitted.status == "failed" and "no candidate" in (none_fitted.reason or "")
    assert {c.status for c in none_fitted.candidates} == {"skipped"}


def test_warm_refit_reaches_the_cold_fit(airline_series: DatedSeries) -> None:
    shorter = airline_series.head(len(airline_series) - 1)
    previous = fit_spec(shorter, AIRLINE)
    warm = fit_spec(airline_series, AIRLINE, start_params=previous.params)
    cold = fit_spec(airline_series, AIRLINE)
    assert warm.status == cold.status == "ok"
    # Both stop where the gradient is below statsmodels' tolerance: within 0.005 of each
    # other, a tenth of a standard error, and the same likelihood to 1e-3.
    np.testing.assert_allclose(warm.params[:2], cold.params[:2], atol=5e-3)
    assert warm.diagnostics["loglike"] == pytest.approx(cold.diagnostics["loglike"], abs=1e-3)
    assert warm.candidates[0].spec == AIRLINE and len(warm.candidates) == 1


def test_one_step_ahead_on_a_longer_series_is_the_kalman_update(
    airline_series: DatedSeries,
) -> None:
    fitted = airline_series.head(138)
    fit = fit_spec(fitted, AIRLINE)
    steps = one_step_ahead(fit, airline_series)
    log_y = np.log(airline_series.values)
    model = SARIMAX(log_y[:138], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    appended = model.filter(fit.params).append(log_y[138:])
    prediction = appended.get_prediction()
    burn = 13  # d + D*s: diffuse, not scored
    np.testing.assert_array_equal(steps.periods, airline_series.periods[burn:])
    np.testing.assert_allclose(steps.mean_log, prediction.predicted_mean[burn:], rtol=1e-10)
    np.testing.assert_allclose(steps.std_log, np.sqrt(prediction.var_pred_mean[burn:]), rtol=1e-8)
    np.testing.assert_allclose(steps.expected, np.exp(steps.mean_log), rtol=1e-12)
    np.testing.assert_allclose(steps.upper_95, np.exp(steps.mean_log + Z_95 * steps.std_log))
    assert np.all(steps.std_log < 0.1)

    new = one_step_ahead(fit, airline_series, since=fitted.last_period)
    assert len(new.periods) == 12 and new.periods[0] == airline_series.periods[138]
    np.testing.assert_allclose(new.zscores, steps.zscores[-12:])


def _broken(kind: str) -> DatedSeries:
    values = np.exp(airline_log_level(np.random.default_rng(3), 60, -0.4, -0.6, 0.03))
    series = monthly(values)
    if kind == "short":
        return series.head(20)
    if kind == "constant":
        return monthly(np.full(60, 5.0e6))
    if kind == "zero":
        return monthly(np.zeros(60))
    if kind == "negative":
        return monthly(np.where(np.arange(60) == 30, -1.0, values))
    if kind == "nan":
        return monthly(np.where(np.arange(60) == 30, np.nan, values))
    keep = np.arange(60) != 30  # "gap": one month missing from the grid
    return DatedSeries(series.key, "M", series.periods[keep], values[keep])


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("short", "insufficient_data", "too short"),
        ("constant", "failed", "constant"),
        ("zero", "failed", "zero"),
        ("negative", "failed", "negative"),
        ("nan", "failed", "non-finite"),
        ("gap", "failed", "missing"),
    ],
)
def test_unusable_series_give_a_status_and_reason(
    kind: str, status: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    series = _broken(kind)
    for fit in (select_and_fit(series, SMALL_GRID), fit_spec(series, AIRLINE)):
        assert fit.status == status
        assert fit.reason is not None and words in fit.reason and series.key in fit.reason
        assert fit.params == () and forecast(fit, series, 3).status == "failed"
        assert one_step_ahead(fit, series).status == "failed"
        json.dumps(fit.to_dict())
    assert capsys.readouterr() == ("", "")


def test_bad_regressors_fail_with_a_reason(airline_series: DatedSeries) -> None:
    spec = SarimaxSpec((0, 1, 1), (0, 1, 1, 12), exog_names=("rub_change",))
    rub = np.ones(len(airline_series))
    rub[5] = np.nan
    fit = fit_spec(airline_series, spec, exog=rub)
    assert fit.status == "failed" and "not finite" in (fit.reason or "")
    short = fit_spec(airline_series, spec, exog=np.ones(10))
    assert short.status == "failed" and "rows" in (short.reason or "")


def test_convergence_warnings_are_captured_not_printed(
    airline_series: DatedSeries, capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        fit = fit_spec(airline_series, SarimaxSpec((1, 1, 1), (1, 1, 1, 12)), maxiter=2)
    assert fit.status == "ok"
    assert any(w.startswith("ConvergenceWarning") for w in fit.warnings)
    assert leaked == []
    assert capsys.readouterr() == ("", "")


def test_forecast_contract(airline_series: DatedSeries) -> None:
    fit = fit_spec(airline_series, AIRLINE)
    result = forecast(fit, airline_series, 2).to_dict()
    assert list(result) == ["series", "model", "origin", "points", "status", "reason"]
    assert result["origin"] == "2020-06-01" and result["status"] == "ok"
    assert result["model"] == AIRLINE.to_dict()
    points = result["points"]
    assert isinstance(points, list)
    assert list(points[0]) == ["period", "mean", "lower_80", "upper_80", "lower_95", "upper_95"]
    first = points[0]
    assert first["lower_95"] < first["lower_80"] < first["mean"] < first["upper_80"]
    assert first["upper_80"] < first["upper_95"]
    json.dumps(result)
