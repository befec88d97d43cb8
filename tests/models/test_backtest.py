"""Rolling-origin backtests: a hand computation, known processes, nominal coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.backtest import rolling_origin, seasonal_naive
from models.sarimax import OrderGrid, SarimaxSpec, select_and_fit
from models.series import DatedSeries, FloatArray
from tests.models.simulate import airline_log_level

AIRLINE = SarimaxSpec(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
Z_80, Z_95 = 1.2815515655446004, 1.959963984540054


def monthly(values: FloatArray, key: str = "remit.in.country.RU.M") -> DatedSeries:
    periods = (np.datetime64("2006-01", "M") + np.arange(values.shape[0])).astype("datetime64[D]")
    return DatedSeries(key, "M", periods, np.asarray(values, dtype=np.float64))


def seasonal_random_walk(rng: np.random.Generator, n: int, sigma: float) -> FloatArray:
    """log(USD level) with log y_t = log y_{t-12} + e_t: seasonal naive is the optimum."""
    log_level = np.empty(n)
    log_level[:12] = 12.0 + 0.15 * np.sin(2 * np.pi * np.arange(12) / 12)
    for t in range(12, n):
        log_level[t] = log_level[t - 12] + rng.normal(0.0, sigma)
    return log_level


def test_seasonal_naive_repeats_the_last_season() -> None:
    values = np.arange(1.0, 9.0)  # 1..8, season 4: last season is 5, 6, 7, 8
    np.testing.assert_array_equal(seasonal_naive(values, 4, 6), [5, 6, 7, 8, 5, 6])
    with pytest.raises(ValueError, match="season"):
        seasonal_naive(values[:3], 4, 1)


def test_mase_coverage_and_zscores_by_hand() -> None:
    # (0,0,0)(0,1,0,4) in logs is a seasonal random walk: once the first season has been
    # seen, its h-step forecast (h ≤ 4) is log y[t-4] with variance σ² exactly, so every
    # figure can be computed by hand.
    values = np.array(
        [100, 120, 90, 110, 104, 118, 95, 108, 101, 125, 93, 112, 99, 130, 80, 111], float
    )
    series = monthly(values)
    spec = SarimaxSpec(order=(0, 0, 0), seasonal_order=(0, 1, 0, 4))
    sigma2 = 0.0016  # σ = 0.04
    score = rolling_origin(series, spec, (sigma2,), origins=3, horizon=2, season=4)

    errors, naive_errors, in_80, in_95, zscores = [], [], [], [], []
    for end in (12, 13, 14):  # origins: the last three with two actuals after them
        train = values[:end]
        scale = np.mean(np.abs(train[4:] - train[:-4]))
        for h in (1, 2):
            actual, naive = values[end + h - 1], values[end + h - 1 - 4]
            mean = naive * np.exp(sigma2 / 2)  # log-normal mean
            errors.append(abs(actual - mean) / scale)
            naive_errors.append(abs(actual - naive) / scale)
            ratio = abs(np.log(actual / naive)) / 0.04
            in_80.append(ratio <= Z_80)
            in_95.append(ratio <= Z_95)
        zscores.append(np.log(values[end] / values[end - 4]) / 0.04)

    assert score.status == "ok" and score.n_forecasts == 6 and score.horizon == 2
    assert score.mase == pytest.approx(np.mean(errors), rel=1e-9)
    assert score.naive_mase == pytest.approx(np.mean(naive_errors), rel=1e-9)
    assert score.coverage_80 == pytest.approx(np.mean(in_80))
    assert score.coverage_95 == pytest.approx(np.mean(in_95))
    assert score.beats_seasonal_naive == (np.mean(errors) < np.mean(naive_errors))
    # The filter's variance carries ~1e-8 of the diffuse start: same z to 1e-6.
    np.testing.assert_allclose(score.zscores, zscores, rtol=1e-6)
    np.testing.assert_array_equal(score.periods, series.periods[12:15])
    # The example is not degenerate: some actuals fall outside the bands.
    assert score.coverage_80 is not None and 0 < score.coverage_80 < 1


GRID = OrderGrid(orders=((0, 1, 1), (1, 1, 0)), seasonal_orders=((0, 1, 1), (1, 1, 0)))


def test_model_does_not_beat_seasonal_naive_much_on_a_seasonal_random_walk() -> None:
    rng = np.random.default_rng(5)
    series = monthly(np.exp(seasonal_random_walk(rng, 180, 0.05)))
    fit = select_and_fit(series.head(120), GRID)
    assert fit.status == "ok" and fit.spec is not None
    score = rolling_origin(series, fit.spec, fit.params, origins=60)
    assert score.mase is not None and score.naive_mase is not None
    # Seasonal naive is the optimal forecast here: the model can only match it. Over 20
    # seeds the ratio of MASEs ranged 0.965 to 1.14.
    assert score.mase > 0.93 * score.naive_mase


def test_model_beats_seasonal_naive_on_a_smooth_seasonal_arima() -> None:
    rng = np.random.default_rng(8)
    # θ = +0.3: monthly changes persist, so a year-old value misses a year of drift.
    series = monthly(np.exp(airline_log_level(rng, 180, 0.3, -0.6, 0.02)))
    fit = select_and_fit(series.head(120), GRID)
    assert fit.status == "ok" and fit.spec is not None
    score = rolling_origin(series, fit.spec, fit.params, origins=60)
    assert score.beats_seasonal_naive is True
    assert score.mase is not None and score.naive_mase is not None
    # Over 20 seeds the ratio of MASEs ranged 0.04 to 0.47 (the errors of neighbouring
    # origins share most of their drift, hence the spread).
    assert score.mase < 0.6 * score.naive_mase
    three = rolling_origin(series, fit.spec, fit.params, origins=24, horizon=3)
    assert three.n_forecasts == 72 and three.zscores.shape == (24,)
    assert three.beats_seasonal_naive is True


def test_coverage_is_close_to_nominal_with_the_true_parameters() -> None:
    rng = np.random.default_rng(2024)
    series = monthly(np.exp(airline_log_level(rng, 240, -0.4, -0.6, 0.03)))
    score = rolling_origin(series, AIRLINE, (-0.4, -0.6, 0.03**2), origins=200)
    # With the true parameters the one-step predictive distribution is exact, so each
    # actual falls in the band independently with the nominal probability. Binomial
    # standard errors over 200 origins: 0.028 (80%) and 0.015 (95%); allow about 3.2.
    assert score.coverage_80 == pytest.approx(0.80, abs=0.09)
    assert score.coverage_95 == pytest.approx(0.95, abs=0.05)
    # One-step z-scores are then standard normal: sd of the sd estimate ≈ 0.05.
    assert float(np.std(score.zscores)) == pytest.approx(1.0, abs=0.15)
    assert float(np.mean(score.zscores)) == pytest.approx(0.0, abs=0.22)


def test_refit_at_each_origin_agrees_with_refiltering() -> None:
    rng = np.random.default_rng(9)
    series = monthly(np.exp(airline_log_level(rng, 120, -0.4, -0.6, 0.03)))
    fit = select_and_fit(series, OrderGrid(orders=((0, 1, 1),), seasonal_orders=((0, 1, 1),)))
    assert fit.spec is not None
    fixed = rolling_origin(series, fit.spec, fit.params, origins=4)
    refitted = rolling_origin(series, fit.spec, fit.params, origins=4, refit=True)
    assert refitted.status == "ok" and refitted.n_forecasts == 4
    assert refitted.mase == pytest.approx(fixed.mase, rel=0.2)


def test_regressors_take_their_realised_values() -> None:
    rng = np.random.default_rng(10)
    rub = rng.normal(0.0, 1.0, 120)
    series = monthly(np.exp(airline_log_level(rng, 120, -0.4, -0.6, 0.01) - 0.2 * rub))
    spec = SarimaxSpec((0, 1, 1), (0, 1, 1, 12), exog_names=("rub_change",))
    params = (-0.2, -0.4, -0.6, 0.01**2)
    score = rolling_origin(series, spec, params, origins=60, exog=rub)
    # Realised regressors explain the large moves: z-scores stay standard normal.
    assert score.status == "ok" and float(np.std(score.zscores)) == pytest.approx(1.0, abs=0.25)


def test_too_short_or_broken_series_are_reported() -> None:
    short = rolling_origin(monthly(np.full(30, 1.0e6) + np.arange(30)), AIRLINE, (-0.4, -0.6, 1e-3))
    assert short.status == "insufficient_data" and "too short" in (short.reason or "")
    values = np.exp(airline_log_level(np.random.default_rng(1), 80, -0.4, -0.6, 0.03))
    values[40] = np.nan
    broken = rolling_origin(monthly(values), AIRLINE, (-0.4, -0.6, 1e-3))
    assert broken.status == "failed" and broken.mase is None and broken.n_forecasts == 0
    result = broken.to_dict()
    assert list(result) == [
        "series",
        "mase",
        "naive_mase",
        "coverage_80",
        "coverage_95",
        "false_alarms_per_year",
        "beats_seasonal_naive",
        "n_forecasts",
        "horizon",
        "status",
        "reason",
    ]
    json.dumps(result)
