"""The VAR analysis result: tests, impulse responses, variance shares and parameters.

Every number is a Python float (NaN and inf become None in `to_dict`); periods are
`datetime.date` (ISO strings in `to_dict`). Responses are cumulative percent changes of
the som per USD after the headline remittance shock (see models.var).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from models.series import FloatArray
from models.var_data import DUMMY_MONTHS, VARIABLES


def json_float(value: float | None) -> float | None:
    """A float for JSON: None for None, NaN and infinities."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _nested(array: FloatArray) -> list[Any]:
    return [_nested(part) for part in array] if array.ndim > 1 else [float(v) for v in array]


@dataclass(frozen=True)
class GrangerResult:
    """F-test of H0 "`cause` does not Granger-cause `effect`" (all lags of `cause`)."""

    cause: str
    effect: str
    pvalue: float
    statistic: float
    df: tuple[int, int]  # numerator, denominator degrees of freedom

    def to_dict(self) -> dict[str, object]:
        return {
            "cause": self.cause,
            "effect": self.effect,
            "pvalue": json_float(self.pvalue),
            "statistic": json_float(self.statistic),
            "df": list(self.df),
        }


@dataclass(frozen=True)
class ImpactPoint:
    """Cumulative % change of som per USD `horizon` months after the shock month.

    `lower`/`upper`: Monte Carlo band (the main one); `*_asymptotic`: analytic band.
    """

    horizon: int
    pct: float
    lower: float | None
    upper: float | None
    lower_asymptotic: float | None
    upper_asymptotic: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon": self.horizon,
            "pct": json_float(self.pct),
            "lower": json_float(self.lower),
            "upper": json_float(self.upper),
            "lower_asymptotic": json_float(self.lower_asymptotic),
            "upper_asymptotic": json_float(self.upper_asymptotic),
        }


@dataclass(frozen=True)
class IrfPoint:
    """Cumulative % response of som per USD at `horizon` (0 = the shock month)."""

    horizon: int
    response: float
    lower: float | None
    upper: float | None
    lower_asymptotic: float | None
    upper_asymptotic: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "horizon": self.horizon,
            "response": json_float(self.response),
            "lower": json_float(self.lower),
            "upper": json_float(self.upper),
            "lower_asymptotic": json_float(self.lower_asymptotic),
            "upper_asymptotic": json_float(self.upper_asymptotic),
        }


@dataclass(frozen=True)
class FevdPoint:
    """Shares (0..1, summing to 1) of the `horizon`-month-ahead forecast error variance
    of the som/USD log change due to each variable's orthogonalised shock."""

    horizon: int
    remittances: float
    som_usd: float
    rub_usd: float

    @property
    def shares(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in VARIABLES}

    def to_dict(self) -> dict[str, object]:
        return {"horizon": self.horizon, "shares": self.shares}


@dataclass(frozen=True)
class VarParams:
    """Enough to rebuild the fitted VAR without its data (for scenarios).

    On monthly log changes: `coefs[i][r][c]` is the effect of variable c at lag i+1 on
    variable r; `intercept[r]` the January constant; `seasonal[r][m]` the extra change in
    month DUMMY_MONTHS[m]; `sigma_u` the residual covariance (OLS, degrees-of-freedom
    corrected).
    """

    variables: tuple[str, ...]
    lags: int
    coefs: tuple[tuple[tuple[float, ...], ...], ...]
    intercept: tuple[float, ...]
    seasonal: tuple[tuple[float, ...], ...]
    sigma_u: tuple[tuple[float, ...], ...]
    dummy_months: tuple[int, ...] = DUMMY_MONTHS

    @classmethod
    def from_arrays(
        cls, coefs: FloatArray, coefs_exog: FloatArray, sigma_u: FloatArray
    ) -> VarParams:
        """From statsmodels' `coefs` (p, k, k), `coefs_exog` (k, 12) and `sigma_u`."""

        def rows(matrix: FloatArray) -> tuple[tuple[float, ...], ...]:
            return tuple(tuple(float(v) for v in row) for row in matrix)

        return cls(
            variables=VARIABLES,
            lags=int(coefs.shape[0]),
            coefs=tuple(rows(lag) for lag in coefs),
            intercept=tuple(float(v) for v in coefs_exog[:, 0]),
            seasonal=rows(coefs_exog[:, 1:]),
            sigma_u=rows(sigma_u),
        )

    def coef_array(self) -> FloatArray:
        """Lag matrices (p, k, k)."""
        return np.array(self.coefs, dtype=np.float64)

    def trend_array(self) -> FloatArray:
        """Deterministic coefficients (12, k): the constant, then the month dummies."""
        return np.column_stack([self.intercept, self.seasonal]).T.astype(np.float64)

    def sigma_array(self) -> FloatArray:
        return np.array(self.sigma_u, dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        return {
            "variables": list(self.variables),
            "lags": self.lags,
            "coefs": _nested(self.coef_array()),
            "intercept": list(self.intercept),
            "seasonal": [list(row) for row in self.seasonal],
            "dummy_months": list(self.dummy_months),
            "sigma_u": [list(row) for row in self.sigma_u],
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> VarParams:
        """Inverse of `to_dict` (e.g. after a JSON round trip through the store)."""
        coefs = np.asarray(payload["coefs"], dtype=np.float64)
        trend = np.column_stack([payload["intercept"], payload["seasonal"]])
        params = cls.from_arrays(coefs, trend, np.asarray(payload["sigma_u"], np.float64))
        if tuple(payload["variables"]) != params.variables:
            raise ValueError(f"expected variables {list(VARIABLES)}, got {payload['variables']}")
        if tuple(payload["dummy_months"]) != params.dummy_months:
            raise ValueError(f"expected dummy months {list(DUMMY_MONTHS)}")
        return params


@dataclass(frozen=True)
class VarAnalysis:
    """The fitted VAR and its impact analysis; `status` "ok", else `reason` says why not.

    `lags` is the lag order used (>= 1), `ic_choice` the information criterion's own pick
    (may be 0); `nobs`, `first_period` and `last_period` describe the estimation sample
    (months of the dependent observations); `root_moduli` are the moduli of the companion
    matrix eigenvalues, largest first (all < 1 when stable). `whiteness_pvalue` is the
    adjusted portmanteau test of residual autocorrelation up to max(12, 2 x lags) months,
    `normality_pvalue` the multivariate Jarque-Bera test (statsmodels' `test_whiteness`
    and `test_normality`). `impact` and `irf` are in % of the som per USD level.
    """

    status: str
    reason: str | None
    variables: tuple[str, ...] = VARIABLES
    lags: int = 0
    ic_choice: int | None = None
    nobs: int = 0
    first_period: date | None = None
    last_period: date | None = None
    stable: bool | None = None
    root_moduli: tuple[float, ...] = ()
    whiteness_pvalue: float | None = None
    normality_pvalue: float | None = None
    granger: tuple[GrangerResult, ...] = ()
    impact: tuple[ImpactPoint, ...] = ()
    irf: tuple[IrfPoint, ...] = ()
    fevd: tuple[FevdPoint, ...] = ()
    params: VarParams | None = None
    transform: str = ""
    shock_pct: float = -10.0
    alpha: float = 0.05
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "variables": list(self.variables),
            "lags": self.lags,
            "ic_choice": self.ic_choice,
            "nobs": self.nobs,
            "first_period": None if self.first_period is None else self.first_period.isoformat(),
            "last_period": None if self.last_period is None else self.last_period.isoformat(),
            "transform": self.transform,
            "shock_pct": self.shock_pct,
            "alpha": self.alpha,
            "stable": self.stable,
            "root_moduli": [json_float(v) for v in self.root_moduli],
            "whiteness_pvalue": json_float(self.whiteness_pvalue),
            "normality_pvalue": json_float(self.normality_pvalue),
            "granger": [g.to_dict() for g in self.granger],
            "impact": [p.to_dict() for p in self.impact],
            "irf": [p.to_dict() for p in self.irf],
            "fevd": [p.to_dict() for p in self.fevd],
            "params": None if self.params is None else self.params.to_dict(),
            "warnings": list(self.warnings),
        }
