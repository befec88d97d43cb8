"""Responses of the som per USD to a remittance shock, with bands, and the FEVD.

Identification: recursive (Cholesky of the residual covariance) with remittances
ordered first, so a remittance shock may move the som and rouble rates within the month
but not the other way round. The shock is scaled so that log remittances move by
log(1 + shock_pct/100) on impact (-10% by default); responses of the monthly log
changes are cumulated to log levels and reported as percent changes of the level,
100 * (exp(cumulative log response) - 1).

Bands (1 - alpha):
- Monte Carlo (the main band): statsmodels' `irf_resim` simulates the fitted VAR with
  Gaussian innovations `bootstrap_reps` times (seeded Generator), re-estimates it at the
  same lag order and recomputes the cumulative orthogonalised responses. Each replication
  is rescaled by its own impact on remittances, so every replication is exactly the
  headline shock; the band is the alpha/2 and 1 - alpha/2 quantiles.
- Asymptotic: statsmodels' analytic standard errors of the cumulative orthogonalised
  response (Lütkepohl 3.7.10), +- z, rescaled by the point estimate's factor (the size of
  a one-standard-deviation shock is taken as known).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
from statsmodels.tsa.vector_ar.var_model import ma_rep

from models.series import FloatArray
from models.var_data import REMITTANCES, SOM_USD, VarConfig
from models.var_result import FevdPoint, ImpactPoint, IrfPoint


def orthogonal_responses(coefs: FloatArray, sigma_u: FloatArray, steps: int) -> FloatArray:
    """Theta_h = Phi_h P for h = 0..steps, P the lower Cholesky factor of `sigma_u`:
    [h, responding variable, shock] on the monthly log changes."""
    result: FloatArray = ma_rep(coefs, steps) @ np.linalg.cholesky(sigma_u)
    return result


def unit_remittance_responses(coefs: FloatArray, sigma_u: FloatArray, steps: int) -> FloatArray:
    """Cumulative (log level) responses (steps + 1, k) of every variable to the
    Cholesky remittance shock scaled to move log remittances by 1 on impact."""
    theta = orthogonal_responses(coefs, sigma_u, steps)[:, :, REMITTANCES]
    result: FloatArray = np.cumsum(theta / theta[0, REMITTANCES], axis=0)
    return result


def shock_log_size(shock_pct: float) -> float:
    """The impact on log remittances of a `shock_pct` % change."""
    return math.log1p(shock_pct / 100.0)


def _pct(log_change: FloatArray) -> FloatArray:
    result: FloatArray = 100.0 * np.expm1(log_change)
    return result


def _band(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _pct(np.minimum(a, b)), _pct(np.maximum(a, b))


def _optional(values: FloatArray | None, h: int) -> float | None:
    return None if values is None else float(values[h])


def som_responses(
    results: Any, config: VarConfig, steps: int
) -> tuple[tuple[IrfPoint, ...], tuple[ImpactPoint, ...], list[str]]:
    """The cumulative % response of som per USD at horizons 0..config.horizon and at
    config.impact_horizons, from a fitted statsmodels VARResults; plus notes on bands
    that could not be computed."""
    notes: list[str] = []
    irf = results.irf(steps)
    impact_size = irf.P[REMITTANCES, REMITTANCES]
    scale = shock_log_size(config.shock_pct) / impact_size
    cumulative = irf.orth_cum_effects[:, SOM_USD, REMITTANCES]
    point = _pct(cumulative * scale)

    z = NormalDist().inv_cdf(1 - config.alpha / 2)
    stderr = irf.cum_effect_stderr(orth=True)[:, SOM_USD, REMITTANCES]
    asym_lower, asym_upper = _band(
        (cumulative - z * stderr) * scale, (cumulative + z * stderr) * scale
    )

    mc_lower: FloatArray | None = None
    mc_upper: FloatArray | None = None
    if results.is_stable():
        try:
            sims = results.irf_resim(
                orth=True,
                repl=config.bootstrap_reps,
                steps=steps,
                rng=np.random.default_rng(config.seed),
                cum=True,
            )
        except np.linalg.LinAlgError as exc:
            notes.append(f"Monte Carlo band not computed: {exc}")
        else:
            ratio = sims[:, :, SOM_USD, REMITTANCES] / sims[:, :1, REMITTANCES, REMITTANCES]
            quantiles = np.quantile(
                ratio * shock_log_size(config.shock_pct),
                [config.alpha / 2, 1 - config.alpha / 2],
                axis=0,
            )
            mc_lower, mc_upper = _pct(quantiles[0]), _pct(quantiles[1])
    else:
        notes.append("Monte Carlo band not computed: the VAR is not stable")

    def irf_point(h: int) -> IrfPoint:
        return IrfPoint(
            horizon=h,
            response=float(point[h]),
            lower=_optional(mc_lower, h),
            upper=_optional(mc_upper, h),
            lower_asymptotic=float(asym_lower[h]),
            upper_asymptotic=float(asym_upper[h]),
        )

    def impact_point(h: int) -> ImpactPoint:
        p = irf_point(h)
        return ImpactPoint(h, p.response, p.lower, p.upper, p.lower_asymptotic, p.upper_asymptotic)

    return (
        tuple(irf_point(h) for h in range(config.horizon + 1)),
        tuple(impact_point(h) for h in config.impact_horizons),
        notes,
    )


def som_fevd(results: Any, horizon: int) -> tuple[FevdPoint, ...]:
    """FEVD of the som/USD log change at 1..horizon months ahead (Cholesky order)."""
    decomp = results.fevd(horizon).decomp[SOM_USD]
    return tuple(
        FevdPoint(h + 1, float(row[0]), float(row[1]), float(row[2]))
        for h, row in enumerate(decomp)
    )
