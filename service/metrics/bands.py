"""The one-step-ahead band of a scored period, rebuilt from what scoring stored.

Scoring stores, for the last period it scored, the median exp(μ) and the 95% band
exp(μ ± z95·σ) of the log-normal one-step-ahead prediction (models.shocks.score). μ and
σ follow exactly, and from them the mean and the 80% band, as models.forecast computes
them for forecast points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from statistics import NormalDist
from typing import Any

from models.shocks import Z_95
from service.store.snapshot_records import BandFigures

#: Two-sided 80% quantile of the standard normal, as models.forecast.Z_80 (not imported
#: from there: that module loads statsmodels, which the API process does not need).
Z_80 = NormalDist().inv_cdf(0.90)


def _positive(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value) and value > 0:
        return float(value)
    return None


def scored_band(scored: Mapping[str, Any]) -> BandFigures | None:
    """The band (USD) of a stored scored period ({"period", "expected", "lower_95",
    "upper_95", ...}); None when a figure is missing or not a proper band."""
    median = _positive(scored.get("expected"))
    lower = _positive(scored.get("lower_95"))
    upper = _positive(scored.get("upper_95"))
    period = scored.get("period")
    if median is None or lower is None or upper is None or not isinstance(period, str):
        return None
    if not lower <= median <= upper:
        return None
    mu = math.log(median)
    sigma = (math.log(upper) - math.log(lower)) / (2.0 * Z_95)
    return BandFigures(
        period=date.fromisoformat(period),
        mean=math.exp(mu + sigma**2 / 2.0),
        lower_80=math.exp(mu - Z_80 * sigma),
        upper_80=math.exp(mu + Z_80 * sigma),
        lower_95=lower,
        upper_95=upper,
    )
