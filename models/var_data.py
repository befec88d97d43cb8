"""The VAR's input, its settings and its stationary design matrix.

Three monthly series enter the VAR: total remittance inflows (USD per month), the som
per US dollar and the roubles per US dollar (monthly averages of official rates). The
model is fitted to their monthly log changes (first differences of natural logs), with
a constant and 11 month dummies (February..December; January is the base month) as
deterministic regressors in every equation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

import numpy as np

from models.series import DateArray, DatedSeries, FloatArray, problem

#: The VAR's variables, in Cholesky order: remittances first (see models.var).
VARIABLES: tuple[str, ...] = ("remittances", "som_usd", "rub_usd")
REMITTANCES, SOM_USD, RUB_USD = 0, 1, 2

#: Months with a dummy (January is absorbed by the constant).
DUMMY_MONTHS: tuple[int, ...] = tuple(range(2, 13))

#: Fewest monthly log changes the VAR is fitted on (3 years).
MIN_CHANGES = 36


@dataclass(frozen=True)
class VarInput:
    """Aligned monthly levels on a gap-free grid of months.

    `periods` are the first days of the months (datetime64[D]); `remittances` is the
    monthly inflow total in USD; `som_usd` the som per USD and `rub_usd` the roubles per
    USD, both monthly averages of official rates.
    """

    periods: DateArray
    remittances: FloatArray
    som_usd: FloatArray
    rub_usd: FloatArray

    def __post_init__(self) -> None:
        n = self.periods.shape[0]
        shapes = {name: getattr(self, name).shape for name in VARIABLES}
        if self.periods.ndim != 1 or any(shape != (n,) for shape in shapes.values()):
            raise ValueError(f"expected 1-D arrays of {n} months each, got {shapes}")

    @classmethod
    def from_series(
        cls, remittances: DatedSeries, som_usd: DatedSeries, rub_usd: DatedSeries
    ) -> VarInput:
        """The months the three monthly series have in common."""
        parts = (remittances, som_usd, rub_usd)
        if any(part.frequency != "M" for part in parts):
            raise ValueError("the VAR takes monthly series only")
        common = reduce(np.intersect1d, [part.periods for part in parts])
        values = [part.values[np.isin(part.periods, common)] for part in parts]
        return cls(common.astype("datetime64[D]"), *values)

    def series(self) -> tuple[DatedSeries, ...]:
        """The three levels as DatedSeries named after VARIABLES."""
        return tuple(
            DatedSeries(name, "M", self.periods, np.asarray(getattr(self, name), np.float64))
            for name in VARIABLES
        )

    def levels(self) -> FloatArray:
        """Levels as an (n, 3) array, columns in VARIABLES order."""
        return np.column_stack([self.remittances, self.som_usd, self.rub_usd]).astype(np.float64)

    def to_dict(self) -> dict[str, object]:
        """ISO month starts and the three levels as lists (JSON-ready)."""
        return {
            "periods": [str(day) for day in self.periods.astype("datetime64[D]")],
            **{name: [float(v) for v in getattr(self, name)] for name in VARIABLES},
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> VarInput:
        """Inverse of `to_dict`."""
        return cls(
            np.asarray(payload["periods"], dtype="datetime64[D]"),
            *(np.asarray(payload[name], dtype=np.float64) for name in VARIABLES),
        )


@dataclass(frozen=True)
class VarConfig:
    """Lag selection, horizons, the headline shock and the band settings."""

    max_lags: int = 6
    ic: Literal["aic", "bic"] = "aic"
    horizon: int = 12  # IRF/FEVD horizon in months
    impact_horizons: tuple[int, ...] = (1, 3, 6, 12)
    shock_pct: float = -10.0  # the headline: a 10% fall in remittances
    bootstrap_reps: int = 500  # Monte Carlo replications for the main bands
    seed: int = 20240101
    alpha: float = 0.05  # 95% bands

    def __post_init__(self) -> None:
        if self.max_lags < 1 or self.horizon < 1 or self.bootstrap_reps < 2:
            raise ValueError("expected max_lags >= 1, horizon >= 1 and bootstrap_reps >= 2")
        if not self.impact_horizons or min(self.impact_horizons) < 0:
            raise ValueError("expected impact_horizons of months >= 0")
        if not 0 < self.alpha < 1:
            raise ValueError(f"expected 0 < alpha < 1, got {self.alpha}")
        if self.shock_pct <= -100 or self.shock_pct == 0:
            raise ValueError(f"expected a non-zero shock_pct above -100, got {self.shock_pct}")


@dataclass(frozen=True)
class VarDesign:
    """What the VAR is fitted on.

    `endog` (n, 3): monthly log changes in VARIABLES order, `periods` (n,) the later
    month of each change, `exog` (n, 11): 0/1 dummies for the months in DUMMY_MONTHS.
    """

    periods: DateArray
    endog: FloatArray
    exog: FloatArray


def month_dummies(periods: DateArray) -> FloatArray:
    """0/1 dummies (len(periods), 11) for February..December."""
    months = periods.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dummies: FloatArray = (months[:, None] == np.array(DUMMY_MONTHS)[None, :]).astype(np.float64)
    return dummies


def log_changes(data: VarInput) -> VarDesign:
    """Monthly log changes of the three levels and the month dummies of their months."""
    periods = data.periods[1:].astype("datetime64[D]")
    return VarDesign(periods, np.diff(np.log(data.levels()), axis=0), month_dummies(periods))


def data_problem(data: VarInput) -> str | None:
    """Why the VAR cannot be fitted on `data` (too short, gaps, non-finite, constant,
    non-positive levels, or a log change that never varies), or None."""
    for series in data.series():
        reason = problem(series, MIN_CHANGES + 1)
        if reason is not None:
            return reason
    changes = log_changes(data).endog
    for name, column in zip(VARIABLES, changes.T, strict=True):
        if np.allclose(column, column[0], rtol=1e-9, atol=1e-12):
            return f"{name}: the monthly log change is constant at {column[0]:g}"
    return None
