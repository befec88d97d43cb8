"""VAR impact analysis: statsmodels called directly, closed forms of a known VAR(1), and
simulated data with known causal direction and impact."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pytest
from statsmodels.tsa.vector_ar.var_model import VAR

from models.var import (
    VarAnalysis,
    VarConfig,
    VarInput,
    VarParams,
    fit_var,
    log_changes,
    orthogonal_responses,
    unit_remittance_responses,
)

START = np.datetime64("2010-01", "M")
BASE_LEVELS = np.array([2.5e8, 85.0, 75.0])  # USD per month, som per USD, roubles per USD
BURN = 60
FAST = VarConfig(bootstrap_reps=50)
NAMES = ["remittances", "som_usd", "rub_usd"]
GRANGER_PAIRS = [
    ("remittances", "som_usd"),
    ("som_usd", "remittances"),
    ("rub_usd", "remittances"),
    ("rub_usd", "som_usd"),
]


def simulate_levels(
    coefs: np.ndarray,
    sigma_u: np.ndarray,
    n_changes: int,
    seed: int,
    seasonal: Sequence[float] | None = None,
) -> VarInput:
    """Levels whose monthly log changes follow the VAR(p) with lag matrices `coefs`
    (p, 3, 3), Gaussian innovations with covariance `sigma_u` and, for remittances, the
    month effects `seasonal` (12 values, January first)."""
    rng = np.random.default_rng(seed)
    lags = coefs.shape[0]
    total = n_changes + BURN
    periods = (START - BURN + np.arange(total + 1)).astype("datetime64[D]")
    months = np.array([p.month - 1 for p in periods.tolist()])
    shocks = rng.multivariate_normal(np.zeros(3), sigma_u, total)
    season = np.zeros(12) if seasonal is None else np.asarray(seasonal)
    changes = np.zeros((total, 3))
    for t in range(lags, total):
        changes[t] = sum(coefs[i] @ changes[t - 1 - i] for i in range(lags)) + shocks[t]
        changes[t, 0] += season[months[t + 1]]
    kept = changes[BURN:]
    levels = BASE_LEVELS * np.exp(np.vstack([np.zeros(3), np.cumsum(kept, axis=0)]))
    return VarInput(periods[BURN:], levels[:, 0], levels[:, 1], levels[:, 2])


#: Remittance falls raise som/USD (a lagged effect and a negative innovation correlation);
#: roubles per USD feed remittances; the som does not feed back on remittances.
CAUSAL_COEFS = np.array([[[0.3, 0.0, -0.6], [-0.25, 0.2, 0.05], [0.0, 0.0, 0.25]]])
CAUSAL_SIGMA = np.array(
    [[0.05**2, -0.3 * 0.05 * 0.01, 0.0], [-0.3 * 0.05 * 0.01, 0.01**2, 0.0], [0.0, 0.0, 0.03**2]]
)
SEASON = (-0.35, -0.05, 0.12, 0.08, 0.06, 0.05, 0.04, 0.0, -0.02, 0.0, 0.02, 0.05)


def causal_data(n_changes: int = 120, seed: int = 7) -> VarInput:
    return simulate_levels(CAUSAL_COEFS, CAUSAL_SIGMA, n_changes, seed, SEASON)


def direct_design(data: VarInput) -> tuple[np.ndarray, np.ndarray]:
    """The design built by hand: log changes and Feb..Dec dummies of their months."""
    levels = np.column_stack([data.remittances, data.som_usd, data.rub_usd])
    months = np.array([p.month for p in data.periods[1:].tolist()])
    dummies = np.column_stack([(months == m).astype(float) for m in range(2, 13)])
    return np.diff(np.log(levels), axis=0), dummies


def pct(log_change: np.ndarray) -> np.ndarray:
    return np.asarray(100 * np.expm1(log_change))


Fitted = tuple[VarInput, VarAnalysis, Any]  # data, our analysis, statsmodels' VARResults


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    data = causal_data()
    endog, exog = direct_design(data)
    direct = VAR(endog, exog=exog).fit(maxlags=FAST.max_lags, ic=FAST.ic)
    return data, fit_var(data, FAST), direct


def test_design_is_log_changes_with_month_dummies() -> None:
    data = causal_data(n_changes=40)
    design = log_changes(data)
    endog, exog = direct_design(data)
    np.testing.assert_array_equal(design.endog, endog)
    np.testing.assert_array_equal(design.exog, exog)
    assert design.periods[0] == data.periods[1]


def test_same_lags_coefficients_and_tests_as_statsmodels(fitted: Fitted) -> None:
    data, analysis, direct = fitted
    endog, exog = direct_design(data)
    assert analysis.status == "ok", analysis.reason
    assert analysis.ic_choice == VAR(endog, exog=exog).select_order(6).aic >= 1
    assert analysis.lags == direct.k_ar
    assert analysis.nobs == direct.nobs == endog.shape[0] - direct.k_ar
    assert analysis.first_period == date(2010, 2 + direct.k_ar, 1)
    assert analysis.last_period == data.periods[-1].tolist()
    assert analysis.params is not None
    np.testing.assert_allclose(analysis.params.coef_array(), direct.coefs, rtol=1e-12)
    np.testing.assert_allclose(analysis.params.trend_array(), direct.coefs_exog.T, rtol=1e-12)
    np.testing.assert_allclose(analysis.params.sigma_array(), direct.sigma_u, rtol=1e-12)
    for test, (cause, effect) in zip(analysis.granger, GRANGER_PAIRS, strict=True):
        expected = direct.test_causality(NAMES.index(effect), NAMES.index(cause), kind="f")
        assert (test.cause, test.effect) == (cause, effect)
        assert test.pvalue == pytest.approx(expected.pvalue, rel=1e-10)
        assert test.df == tuple(expected.df)
    assert analysis.stable is True
    np.testing.assert_allclose(analysis.root_moduli, sorted(1 / np.abs(direct.roots))[::-1])
    assert analysis.whiteness_pvalue == pytest.approx(
        direct.test_whiteness(nlags=12, adjusted=True).pvalue
    )
    assert analysis.normality_pvalue == pytest.approx(direct.test_normality().pvalue)


def _band(analysis: VarAnalysis, side: str) -> np.ndarray:
    return np.array([getattr(p, side) for p in analysis.irf], dtype=np.float64)


def test_same_responses_bands_and_fevd_as_statsmodels(fitted: Fitted) -> None:
    _, analysis, direct = fitted
    irf = direct.irf(12)
    scale = math.log(0.9) / irf.P[0, 0]
    cumulative = irf.orth_cum_effects[:, 1, 0]
    np.testing.assert_allclose([p.response for p in analysis.irf], pct(cumulative * scale))
    stderr = irf.cum_effect_stderr(orth=True)[:, 1, 0]
    # scale < 0: the upper band of the orthogonal response becomes the lower one.
    asymptotic = [(cumulative + sign * 1.959963984540054 * stderr) * scale for sign in (1, -1)]
    np.testing.assert_allclose(_band(analysis, "lower_asymptotic"), pct(asymptotic[0]))
    np.testing.assert_allclose(_band(analysis, "upper_asymptotic"), pct(asymptotic[1]))
    sims = direct.irf_resim(
        orth=True, repl=50, steps=12, rng=np.random.default_rng(FAST.seed), cum=True
    )
    ratio = sims[:, :, 1, 0] / sims[:, :1, 0, 0] * math.log(0.9)
    quantiles = pct(np.quantile(ratio, [0.025, 0.975], axis=0))
    np.testing.assert_allclose(_band(analysis, "lower"), quantiles[0])
    np.testing.assert_allclose(_band(analysis, "upper"), quantiles[1])
    assert [p.horizon for p in analysis.impact] == [1, 3, 6, 12]
    assert [p.pct for p in analysis.impact] == [analysis.irf[h].response for h in (1, 3, 6, 12)]
    decomp = direct.fevd(12).decomp[1]
    np.testing.assert_allclose([list(p.shares.values()) for p in analysis.fevd], decomp)
    assert [p.horizon for p in analysis.fevd] == list(range(1, 13))


def test_known_var1_closed_form_responses() -> None:
    coefs = np.array([[0.5, 0.1], [-0.3, 0.4]])
    sigma = np.array([[1.0, 0.3], [0.3, 0.5]])
    chol = np.linalg.cholesky(sigma)
    theta = orthogonal_responses(coefs[None], sigma, 8)
    powers = [np.linalg.matrix_power(coefs, h) for h in range(9)]
    np.testing.assert_allclose(theta, [a @ chol for a in powers], rtol=1e-12, atol=1e-15)
    unit = unit_remittance_responses(coefs[None], sigma, 8)
    expected = np.cumsum([a @ sigma[:, 0] / sigma[0, 0] for a in powers], axis=0)
    np.testing.assert_allclose(unit, expected, rtol=1e-12)


def test_known_var1_recovered_from_a_long_sample() -> None:
    data = simulate_levels(CAUSAL_COEFS, CAUSAL_SIGMA, 600, seed=3, seasonal=SEASON)
    analysis = fit_var(data, VarConfig(ic="bic", max_lags=3, bootstrap_reps=20))
    assert analysis.status == "ok" and analysis.params is not None
    assert analysis.lags == 1
    np.testing.assert_allclose(analysis.params.coef_array()[0], CAUSAL_COEFS[0], atol=0.08)
    # The remittance equation's January constant and month dummies are SEASON itself.
    january = analysis.params.intercept[0]
    seasonal = january + np.array(analysis.params.seasonal[0])
    np.testing.assert_allclose([january, *seasonal], SEASON, atol=0.03)
    estimated = orthogonal_responses(analysis.params.coef_array(), analysis.params.sigma_array(), 6)
    true = orthogonal_responses(CAUSAL_COEFS, CAUSAL_SIGMA, 6)
    np.testing.assert_allclose(estimated, true, atol=0.006)


def test_granger_finds_the_known_direction() -> None:
    analysis = fit_var(causal_data(n_changes=240, seed=11), FAST)
    pvalues = {(g.cause, g.effect): g.pvalue for g in analysis.granger}
    assert pvalues[("remittances", "som_usd")] < 1e-6
    assert pvalues[("som_usd", "remittances")] > 0.05
    assert pvalues[("rub_usd", "remittances")] < 0.01


def test_headline_impact_sign_size_and_band() -> None:
    analysis = fit_var(causal_data(n_changes=360, seed=6), FAST)
    true_log = math.log(0.9) * unit_remittance_responses(CAUSAL_COEFS, CAUSAL_SIGMA, 12)[:, 1]
    for point in analysis.impact:
        truth = float(pct(true_log[point.horizon]))
        assert point.pct > 0 and truth > 0  # fewer dollars: more som per dollar
        assert point.pct == pytest.approx(truth, abs=0.6)
        assert point.lower is not None and point.upper is not None
        assert point.lower < truth < point.upper
        assert point.lower_asymptotic is not None and point.upper_asymptotic is not None
        assert point.lower_asymptotic < point.pct < point.upper_asymptotic
    assert analysis.irf[0].response == pytest.approx(float(pct(true_log[0])), abs=0.3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_never_fewer_than_one_lag(seed: int) -> None:
    noise = simulate_levels(np.zeros((1, 3, 3)), np.diag([0.05, 0.01, 0.03]) ** 2, 60, seed)
    analysis = fit_var(noise, VarConfig(ic="bic", bootstrap_reps=20))
    assert analysis.status == "ok"
    assert analysis.ic_choice == 0
    assert analysis.lags == 1
    assert any("BIC chose 0 lags" in w for w in analysis.warnings)
    assert len(analysis.irf) == 13 and len(analysis.granger) == 4


def test_short_sample_lowers_the_largest_lag_order() -> None:
    analysis = fit_var(causal_data(n_changes=40), FAST)
    assert analysis.status == "ok"
    # 40 - p months, 12 deterministic terms and 3p lags leave >= 12 residual df: p <= 4.
    assert 1 <= analysis.lags <= 4
    assert any("max_lags lowered from 6 to 4" in w for w in analysis.warnings)


def _broken(kind: str) -> VarInput:
    data = causal_data(n_changes=60)
    som, remittances = data.som_usd.copy(), data.remittances.copy()
    periods = data.periods
    if kind == "short":
        return VarInput(periods[:30], remittances[:30], som[:30], data.rub_usd[:30])
    if kind == "peg":
        som[:] = 84.5
    elif kind == "nan":
        som[20] = np.nan
    elif kind == "negative":
        remittances[5] = -1.0
    elif kind == "steady_growth":
        som = np.asarray(80 * 1.01 ** np.arange(som.shape[0]), dtype=np.float64)
    elif kind == "gap":
        keep = np.arange(periods.shape[0]) != 30
        return VarInput(periods[keep], remittances[keep], som[keep], data.rub_usd[keep])
    return VarInput(periods, remittances, som, data.rub_usd)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("short", "too short"),
        ("peg", "constant"),
        ("nan", "non-finite"),
        ("negative", "negative"),
        ("steady_growth", "log change is constant"),
        ("gap", "missing"),
    ],
)
def test_unusable_data_gives_a_status_and_reason(kind: str, words: str) -> None:
    analysis = fit_var(_broken(kind), FAST)
    assert analysis.status == "insufficient_data"
    assert analysis.reason is not None and words in analysis.reason
    assert analysis.impact == () and analysis.params is None
    json.dumps(analysis.to_dict(), allow_nan=False)


def test_singular_residuals_fail_without_raising() -> None:
    data = causal_data(n_changes=60)
    months = np.array([p.month for p in data.periods.tolist()])
    seasonal_only = 1e8 * np.exp(np.cumsum(np.array(SEASON)[months - 1]))
    analysis = fit_var(VarInput(data.periods, seasonal_only, data.som_usd, data.rub_usd), FAST)
    assert analysis.status == "failed"
    assert analysis.reason is not None and "singular" in analysis.reason


def test_nothing_printed_and_no_warning_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        fit_var(causal_data(n_changes=40), FAST)
    assert escaped == []
    assert capsys.readouterr() == ("", "")


def test_to_dict_contract(fitted: Fitted) -> None:
    _, analysis, _ = fitted
    payload = json.loads(json.dumps(analysis.to_dict(), allow_nan=False))
    assert set(payload) == {
        "status", "reason", "variables", "lags", "ic_choice", "nobs", "first_period",
        "last_period", "transform", "shock_pct", "alpha", "stable", "root_moduli",
        "whiteness_pvalue", "normality_pvalue", "granger", "impact", "irf", "fevd",
        "params", "warnings",
    }  # fmt: skip
    assert payload["variables"] == ["remittances", "som_usd", "rub_usd"]
    assert set(payload["impact"][0]) == {
        "horizon", "pct", "lower", "upper", "lower_asymptotic", "upper_asymptotic"
    }  # fmt: skip
    assert set(payload["irf"][0]) == {
        "horizon", "response", "lower", "upper", "lower_asymptotic", "upper_asymptotic"
    }  # fmt: skip
    assert set(payload["granger"][0]) == {"cause", "effect", "pvalue", "statistic", "df"}
    assert set(payload["fevd"][0]["shares"]) == {"remittances", "som_usd", "rub_usd"}
    assert payload["first_period"] == str(analysis.first_period)
    assert "Cholesky" in payload["transform"]
    assert VarParams.from_dict(payload["params"]) == analysis.params
