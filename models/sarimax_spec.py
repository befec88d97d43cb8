"""What a SARIMAX model of a remittance series is, and what a fit of one returns.

A spec names the orders, trend, regressors and the transform (log of the USD level);
with the fitted `params` it is all that is stored: forecasts are rebuilt from the two
(see `models.forecast`), results objects are never pickled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Criterion = Literal["aicc", "bic"]


def json_float(value: float | None) -> float | None:
    """A plain Python float for JSON, or None for a missing, NaN or infinite value."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int_tuple(values: object, length: int, name: str) -> tuple[int, ...]:
    if not isinstance(values, list | tuple) or len(values) != length:
        raise ValueError(f"{name} must be a list of {length} integers, got {values!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ValueError(f"{name} must hold non-negative integers, got {values!r}")
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class SarimaxSpec:
    """Orders (p, d, q), seasonal orders (P, D, Q, s), trend and regressors of one model.

    `log=True`: the model is of log(USD level); forecasts are transformed back to USD.
    """

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend: str | None = None
    exog_names: tuple[str, ...] = ()
    log: bool = True

    @property
    def burn_in(self) -> int:
        """Observations consumed by differencing (d + D*s): no meaningful prediction there."""
        return self.order[1] + self.seasonal_order[1] * self.seasonal_order[3]

    @property
    def label(self) -> str:
        """Short text such as `(0,1,1)(0,1,1,12)` for reasons and warnings."""
        p, d, q = self.order
        big_p, big_d, big_q, s = self.seasonal_order
        return f"({p},{d},{q})({big_p},{big_d},{big_q},{s})"

    def to_dict(self) -> dict[str, object]:
        return {
            "order": list(self.order),
            "seasonal_order": list(self.seasonal_order),
            "trend": self.trend,
            "exog": list(self.exog_names),
            "transform": "log" if self.log else "none",
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SarimaxSpec:
        """The inverse of `to_dict` (as read back from the database's JSON)."""
        order = _int_tuple(data.get("order"), 3, "order")
        seasonal = _int_tuple(data.get("seasonal_order"), 4, "seasonal_order")
        trend = data.get("trend")
        if trend is not None and not isinstance(trend, str):
            raise ValueError(f"trend must be a string or null, got {trend!r}")
        exog = data.get("exog", [])
        if not isinstance(exog, list | tuple) or not all(isinstance(n, str) for n in exog):
            raise ValueError(f"exog must be a list of names, got {exog!r}")
        transform = data.get("transform", "log")
        if transform not in ("log", "none"):
            raise ValueError(f'transform must be "log" or "none", got {transform!r}')
        return cls(
            order=(order[0], order[1], order[2]),
            seasonal_order=(seasonal[0], seasonal[1], seasonal[2], seasonal[3]),
            trend=trend,
            exog_names=tuple(str(n) for n in exog),
            log=transform == "log",
        )


@dataclass(frozen=True)
class OrderGrid:
    """The candidate orders searched by `select_and_fit`, in this (fixed) order.

    `max_seconds` bounds the time of the whole grid: a candidate is started only while
    the elapsed time is below it (one fit may overrun it); the rest are "skipped".
    """

    orders: tuple[tuple[int, int, int], ...] = (
        (0, 1, 1),
        (1, 1, 0),
        (1, 1, 1),
        (2, 1, 0),
        (0, 1, 2),
    )
    seasonal_orders: tuple[tuple[int, int, int], ...] = ((0, 1, 1), (1, 1, 0), (0, 1, 0))
    criterion: Criterion = "aicc"
    max_seconds: float = 60.0
    min_observations: int = 36


@dataclass(frozen=True)
class CandidateScore:
    """One grid point: its criterion value when it was fitted, else why not."""

    spec: SarimaxSpec
    criterion: Criterion
    value: float | None
    status: str  # "ok" | "failed" | "skipped"
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "spec": self.spec.to_dict(),
            "criterion": self.criterion,
            "value": json_float(self.value),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SarimaxFit:
    """A fitted (or failed) SARIMAX model of one series.

    `params` are on the model's scale (log USD for a log spec) and always end with
    `sigma2`, the innovation variance, so that `SARIMAX(y, exog, **spec).filter(params)`
    rebuilds the model exactly. `nobs` and `last_period` describe the series fitted.
    """

    series: str
    status: str  # "ok" | "failed" | "insufficient_data"
    reason: str | None
    spec: SarimaxSpec | None
    params: tuple[float, ...]
    param_names: tuple[str, ...]
    aicc: float | None
    bic: float | None
    nobs: int
    last_period: date | None
    warnings: tuple[str, ...] = ()
    candidates: tuple[CandidateScore, ...] = ()
    diagnostics: dict[str, float | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "status": self.status,
            "reason": self.reason,
            "spec": self.spec.to_dict() if self.spec is not None else None,
            "params": [json_float(p) for p in self.params],
            "param_names": list(self.param_names),
            "aicc": json_float(self.aicc),
            "bic": json_float(self.bic),
            "nobs": self.nobs,
            "last_period": self.last_period.isoformat() if self.last_period else None,
            "warnings": list(self.warnings),
            "candidates": [c.to_dict() for c in self.candidates],
            "diagnostics": {k: json_float(v) for k, v in self.diagnostics.items()},
        }
