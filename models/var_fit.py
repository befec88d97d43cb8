"""Fit the VAR of remittances, som/USD and roubles/USD and run its impact analysis.

Estimation is statsmodels' `VAR` (OLS, equation by equation) on the design of
models.var_data; this module only chooses the lag order, runs the diagnostics and
collects the results (see models.var for the modelling choices).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
from statsmodels.tsa.vector_ar.util import comp_matrix
from statsmodels.tsa.vector_ar.var_model import VAR

from models.series import period_to_date
from models.var_data import (
    DUMMY_MONTHS,
    REMITTANCES,
    RUB_USD,
    SOM_USD,
    VARIABLES,
    VarConfig,
    VarDesign,
    VarInput,
    data_problem,
    log_changes,
)
from models.var_impact import som_fevd, som_responses
from models.var_result import GrangerResult, VarAnalysis, VarParams

#: Residual degrees of freedom per equation kept free at the largest lag order tried.
MIN_RESIDUAL_DF = 12

#: Granger tests reported, (cause, effect).
GRANGER_PAIRS: tuple[tuple[int, int], ...] = (
    (REMITTANCES, SOM_USD),
    (SOM_USD, REMITTANCES),
    (RUB_USD, REMITTANCES),
    (RUB_USD, SOM_USD),
)


def transform_description(shock_pct: float) -> str:
    """One sentence on the transforms and the identification, for reports."""
    return (
        "Monthly log changes of remittances (USD), som per USD and roubles per USD; a "
        "constant and 11 month dummies in every equation absorb seasonality; Cholesky "
        "identification with remittances ordered first, the remittance shock scaled to "
        f"a {shock_pct:g}% change on impact; responses are cumulative % changes of the "
        "som per USD level."
    )


def largest_lag_order(nobs: int, max_lags: int) -> int:
    """The largest lag order <= max_lags that leaves MIN_RESIDUAL_DF residual degrees of
    freedom per equation when every order is compared on the same `nobs - p` months."""
    regressors = 1 + len(DUMMY_MONTHS)
    order = max_lags
    while order > 1 and nobs - order - (regressors + len(VARIABLES) * order) < MIN_RESIDUAL_DF:
        order -= 1
    return order


def select_lags(model: Any, nobs: int, config: VarConfig) -> tuple[int, int, list[str]]:
    """(IC's choice, lags used >= 1, notes) with statsmodels' `select_order`."""
    notes: list[str] = []
    max_lags = largest_lag_order(nobs, config.max_lags)
    if max_lags < config.max_lags:
        notes.append(
            f"max_lags lowered from {config.max_lags} to {max_lags}: {nobs} monthly changes "
            "leave too few degrees of freedom for more"
        )
    choice = int(model.select_order(max_lags).selected_orders[config.ic])
    lags = max(choice, 1)
    if choice < 1:
        notes.append(
            f"{config.ic.upper()} chose 0 lags; 1 lag used (impulse responses, FEVD and "
            "Granger tests need at least one)"
        )
    return choice, lags, notes


def granger_tests(results: Any) -> tuple[GrangerResult, ...]:
    tests = []
    for cause, effect in GRANGER_PAIRS:
        test = results.test_causality(effect, cause, kind="f")
        tests.append(
            GrangerResult(
                cause=VARIABLES[cause],
                effect=VARIABLES[effect],
                pvalue=float(test.pvalue),
                statistic=float(test.test_statistic),
                df=(int(test.df[0]), int(test.df[1])),
            )
        )
    return tuple(tests)


def root_moduli(coefs: Any) -> tuple[float, ...]:
    """Moduli of the companion matrix eigenvalues, largest first."""
    moduli = np.abs(np.linalg.eigvals(comp_matrix(coefs)))
    return tuple(float(v) for v in sorted(moduli, reverse=True))


def whiteness_lags(lags: int) -> int:
    """Residual autocorrelations tested by the portmanteau test: a year, or 2 x lags."""
    return max(12, 2 * lags)


def _singular(results: Any, endog: Any) -> bool:
    """Non-finite estimates, or residuals (nearly) exactly zero or collinear."""
    sigma_u = results.sigma_u
    if not (np.all(np.isfinite(results.params)) and np.all(np.isfinite(sigma_u))):
        return True
    scale = np.sqrt(np.diag(sigma_u))
    if np.any(scale <= 1e-6 * np.std(endog, axis=0)):
        return True
    return bool(np.linalg.eigvalsh(sigma_u / np.outer(scale, scale))[0] < 1e-10)


def _not_fitted(status: str, reason: str, config: VarConfig) -> VarAnalysis:
    return VarAnalysis(
        status=status,
        reason=reason,
        transform=transform_description(config.shock_pct),
        shock_pct=config.shock_pct,
        alpha=config.alpha,
    )


def _analyse(design: VarDesign, config: VarConfig) -> tuple[VarAnalysis, list[str]]:
    model = VAR(design.endog, exog=design.exog)
    ic_choice, lags, notes = select_lags(model, design.endog.shape[0], config)
    results = model.fit(lags, trend="c")
    if _singular(results, design.endog):
        reason = "the residual covariance is singular: a series is explained exactly"
        return replace(_not_fitted("failed", reason, config), lags=lags, ic_choice=ic_choice), notes
    steps = max(config.horizon, *config.impact_horizons)
    irf, impact, band_notes = som_responses(results, config, steps)
    stable = bool(results.is_stable())
    if not stable:
        notes.append("the VAR is not stable: responses do not die out")
    analysis = replace(
        _not_fitted("ok", "", config),
        reason=None,
        lags=lags,
        ic_choice=ic_choice,
        nobs=int(results.nobs),
        first_period=period_to_date(design.periods[lags]),
        last_period=period_to_date(design.periods[-1]),
        stable=stable,
        root_moduli=root_moduli(results.coefs),
        whiteness_pvalue=float(
            results.test_whiteness(nlags=whiteness_lags(lags), adjusted=True).pvalue
        ),
        normality_pvalue=float(results.test_normality().pvalue),
        granger=granger_tests(results),
        impact=impact,
        irf=irf,
        fevd=som_fevd(results, config.horizon),
        params=VarParams.from_arrays(results.coefs, results.coefs_exog, results.sigma_u),
    )
    return analysis, notes + band_notes


def fit_var(data: VarInput, config: VarConfig) -> VarAnalysis:
    """Fit the VAR and compute tests, responses, FEVD and the headline impact.

    Never raises for bad data: too short, gappy, constant or non-finite input gives
    status "insufficient_data", a numerical failure status "failed", each with a reason.
    statsmodels warnings (deduplicated) and notes on the choices made are in `warnings`.
    """
    reason = data_problem(data)
    if reason is not None:
        return _not_fitted("insufficient_data", reason, config)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            analysis, notes = _analyse(log_changes(data), config)
        except np.linalg.LinAlgError as exc:
            analysis = _not_fitted("failed", f"VAR estimation failed: {exc}", config)
    messages = notes + [f"{w.category.__name__}: {w.message}" for w in caught]
    return replace(analysis, warnings=tuple(dict.fromkeys(messages)))
