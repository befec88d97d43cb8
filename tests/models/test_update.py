"""The fast paths of the SARIMAX core against statsmodels and against the slow paths.

- The Kalman filter carried on from a saved state (`models.kalman_state`) gives
  statsmodels' own one-step predictions and forecasts.
- `update` (scoring between refits, with the per-process memo) gives what `forecast` and
  `one_step_ahead` give, whether it filters the whole series or only the new periods.
- Estimation on the differenced series has the levels model's likelihood; warm refits
  and the quickly screened order grid give the forecasts and choices of full fits.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from models.kalman_state import advance, project, state_after
from models.sarimax import (
    Forecast,
    OneStepAhead,
    OrderGrid,
    SarimaxFit,
    SarimaxSpec,
    fit_spec,
    forecast,
    one_step_ahead,
)
from models.sarimax_fit import FINALIST_MARGIN, select_and_fit
from models.series import DatedSeries, FloatArray
from models.update import FilterMemo, update
from tests.models.simulate import airline_log_level

SPECS = [
    SarimaxSpec((1, 1, 1), (1, 1, 1, 12), exog_names=("rub_change",)),
    SarimaxSpec((0, 1, 1), (0, 1, 1, 12), trend="c"),
    SarimaxSpec((2, 1, 0), (0, 1, 0, 12)),
]


def monthly(values: FloatArray, key: str = "remit.in.total.M") -> DatedSeries:
    periods = (np.datetime64("2010-01", "M") + np.arange(values.shape[0])).astype("datetime64[D]")
    return DatedSeries(key, "M", periods, np.asarray(values, dtype=np.float64))


@pytest.fixture(scope="module")
def data() -> tuple[DatedSeries, FloatArray]:
    rng = np.random.default_rng(20261126)
    rub = rng.normal(0.0, 1.0, 168)
    log_level = airline_log_level(rng, 168, -0.4, -0.6, 0.03) - 0.05 * rub
    return monthly(np.exp(log_level)), rub


def _exog(spec: SarimaxSpec, rub: FloatArray) -> FloatArray | None:
    return rub if spec.exog_names else None


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label + (s.trend or ""))
def test_carried_filter_is_statsmodels_filter(
    spec: SarimaxSpec, data: tuple[DatedSeries, FloatArray]
) -> None:
    series, rub = data
    y, exog = np.log(series.values), _exog(spec, rub)
    params = np.asarray(fit_spec(series, spec, exog=exog).params)
    kwargs = {"order": spec.order, "seasonal_order": spec.seasonal_order, "trend": spec.trend}
    head = SARIMAX(y[:150], exog=None if exog is None else exog[:150], **kwargs).filter(params)
    whole = SARIMAX(y, exog=exog, **kwargs).filter(params)
    state = state_after(head, None if exog is None else exog[:150].reshape(-1, 1))
    assert state is not None and state.nobs == 150

    after, mean, var = advance(state, y[150:], None if exog is None else exog[150:])
    # statsmodels stops updating a converged covariance (a steady state): differences
    # of order 1e-9 in log USD remain, a billionth of a percent.
    np.testing.assert_allclose(mean, whole.filter_results.forecasts[0, 150:], atol=1e-7, rtol=0)
    np.testing.assert_allclose(var, whole.filter_results.forecasts_error_cov[0, 0, 150:], rtol=1e-6)
    assert after.nobs == 168

    future = None if exog is None else np.linspace(-1.0, 1.0, 12).reshape(-1, 1)
    expected = whole.get_forecast(12, exog=future)
    mu, mu_var = project(after, 12, future)
    np.testing.assert_allclose(mu, expected.predicted_mean, atol=1e-7, rtol=0)
    np.testing.assert_allclose(mu_var, expected.var_pred_mean, rtol=1e-6)


def test_time_trend_is_not_carried_and_still_updates(data: tuple[DatedSeries, FloatArray]) -> None:
    series, _ = data
    spec = SarimaxSpec((0, 1, 1), (0, 1, 1, 12), trend="t")
    fit = fit_spec(series.head(160), spec)
    y = np.log(series.values)
    results = SARIMAX(y, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12), trend="t").filter(
        np.asarray(fit.params)
    )
    assert state_after(results, None) is None
    memo = FilterMemo()
    predicted, steps = update(fit, series, 6, memo=memo)
    expected = forecast(fit, series, 6)
    assert predicted.status == "ok"
    np.testing.assert_allclose(
        [p.upper_95 for p in predicted.points], [p.upper_95 for p in expected.points], rtol=1e-10
    )
    np.testing.assert_allclose(steps.mean_log, one_step_ahead(fit, series).mean_log, rtol=1e-10)


def _same(
    got: tuple[Forecast, OneStepAhead],
    fit: SarimaxFit,
    series: DatedSeries,
    exog: FloatArray | None,
) -> None:
    predicted, steps = got
    expected = forecast(fit, series, 12, exog=exog)
    expected_steps = one_step_ahead(fit, series, exog=exog)
    assert predicted.status == "ok"
    for name in ("mean", "lower_80", "upper_95"):
        np.testing.assert_allclose(
            [getattr(p, name) for p in predicted.points],
            [getattr(p, name) for p in expected.points],
            rtol=1e-6,
        )
    assert np.array_equal(steps.periods, expected_steps.periods)
    np.testing.assert_allclose(steps.mean_log, expected_steps.mean_log, atol=1e-7, rtol=0)
    np.testing.assert_allclose(steps.std_log, expected_steps.std_log, rtol=1e-6)


def test_update_filters_only_new_periods_and_matches_the_full_path(
    data: tuple[DatedSeries, FloatArray],
) -> None:
    series, rub = data
    spec = SPECS[0]
    fit = fit_spec(series.head(150), spec, exog=rub[:150])
    memo = FilterMemo()
    for n in (150, 151, 160, 168):  # scored after each arrival
        got = update(fit, series.head(n), 12, exog=rub[:n], memo=memo)
        _same(got, fit, series.head(n), rub[:n])
    assert (memo.refiltered, memo.reused) == (1, 3)

    # A revised past observation is noticed: the whole series is filtered again.
    values = series.values.copy()
    values[100] *= 1.05
    revised = DatedSeries(series.key, "M", series.periods, values)
    _same(update(fit, revised, 12, exog=rub, memo=memo), fit, revised, rub)
    assert memo.refiltered == 2

    # So is a revised regressor, and a new fit.
    moved = rub.copy()
    moved[10] += 0.5
    _same(update(fit, revised, 12, exog=moved, memo=memo), fit, revised, moved)
    refit = fit_spec(series, spec, exog=rub, start_params=fit.params)
    _same(update(refit, series, 12, exog=rub, memo=memo), refit, series, rub)
    assert memo.refiltered == 4


def test_update_reports_a_failure_as_forecast_and_scoring(
    data: tuple[DatedSeries, FloatArray],
) -> None:
    series, rub = data
    fit = fit_spec(series, SPECS[0], exog=rub)
    predicted, steps = update(fit, series, 12, memo=FilterMemo())  # regressors missing
    assert predicted.status == "failed" and "regressors" in (predicted.reason or "")
    assert steps.status == "failed" and steps.periods.size == 0


def test_memo_is_bounded() -> None:
    rng = np.random.default_rng(5)
    memo = FilterMemo(max_series=2)
    spec = SarimaxSpec((0, 1, 1), (0, 1, 1, 12))
    fits = []
    for index in range(3):
        series = monthly(np.exp(airline_log_level(rng, 60, -0.4, -0.6, 0.03)), f"s{index}.M")
        fits.append((fit_spec(series, spec), series))
        update(*fits[-1], 3, memo=memo)
    assert (memo.refiltered, memo.reused) == (3, 0)
    update(*fits[2], 3, memo=memo)  # the two newest are kept
    update(*fits[1], 3, memo=memo)
    assert (memo.refiltered, memo.reused) == (3, 2)
    update(*fits[0], 3, memo=memo)  # the oldest was dropped
    assert (memo.refiltered, memo.reused) == (4, 2)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label + (s.trend or ""))
def test_estimation_has_the_levels_model_likelihood(
    spec: SarimaxSpec, data: tuple[DatedSeries, FloatArray]
) -> None:
    series, rub = data
    exog = _exog(spec, rub)
    fit = fit_spec(series, spec, exog=exog)
    levels = SARIMAX(
        np.log(series.values),
        exog=exog,
        order=spec.order,
        seasonal_order=spec.seasonal_order,
        trend=spec.trend,
    )
    # Fitted on the differenced series, scored by the levels model with diffuse states.
    assert fit.diagnostics["loglike"] == pytest.approx(levels.loglike(fit.params), abs=1e-5)
    assert fit.aicc == pytest.approx(levels.filter(fit.params).aicc, abs=1e-4)


def test_warm_refit_forecasts_are_the_cold_fit_forecasts(
    data: tuple[DatedSeries, FloatArray],
) -> None:
    series, rub = data
    spec = SPECS[0]
    for cut in (156, 162, 167):
        previous = fit_spec(series.head(cut), spec, exog=rub[:cut])
        warm = fit_spec(series, spec, exog=rub, start_params=previous.params)
        cold = fit_spec(series, spec, exog=rub)
        assert warm.ok and cold.ok
        # A warm refit stops early: within 0.1 of the best log-likelihood, that is within
        # sqrt(2 × 0.1) ≈ 0.45 standard errors of the cold fit's parameters.
        assert warm.diagnostics["loglike"] == pytest.approx(cold.diagnostics["loglike"], abs=0.1)
        ahead = np.zeros(12)
        w = forecast(warm, series, 12, exog=rub, future_exog=ahead).points
        c = forecast(cold, series, 12, exog=rub, future_exog=ahead).points
        half_width = np.log([p.upper_95 / p.lower_95 for p in c]) / 2
        gap = np.abs(np.log([p.mean for p in w]) - np.log([p.mean for p in c]))
        # Within a twentieth of the 95% band's half-width at every horizon.
        assert np.all(gap < 0.05 * half_width)


def test_quick_screening_chooses_what_full_fits_choose(
    data: tuple[DatedSeries, FloatArray],
) -> None:
    series, rub = data
    grid = OrderGrid()
    chosen = select_and_fit(series, grid, exog=rub, exog_names=("rub_change",))
    assert chosen.ok and chosen.spec is not None
    y = np.log(series.values)
    full = {}
    for candidate in chosen.candidates:
        spec = candidate.spec
        result = SARIMAX(y, exog=rub, order=spec.order, seasonal_order=spec.seasonal_order).fit(
            disp=False, maxiter=200, cov_type="none"
        )
        full[spec.label] = float(result.aicc)
    best = min(full.values())
    for candidate in chosen.candidates:
        assert candidate.value is not None
        exact = full[candidate.spec.label]
        # Screening stops up to a few tenths early; finalists (within FINALIST_MARGIN of
        # the best) are fitted further: within 0.2 of a full fit's AICc.
        near = exact <= best + FINALIST_MARGIN
        assert candidate.value == pytest.approx(exact, abs=0.2 if near else 1.5)
        assert candidate.value >= exact - 0.01  # never (noticeably) better than the optimum
    assert chosen.spec.label == min(full, key=full.__getitem__)
    assert chosen.aicc == pytest.approx(best, abs=0.2)
