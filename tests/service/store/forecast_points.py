"""A stored forecast point for store tests: the mean with 80% and 95% bands around it."""

from __future__ import annotations


def forecast_point(period: str, mean: float) -> dict[str, object]:
    return {
        "period": period,
        "mean": mean,
        "lower_80": mean * 0.9,
        "upper_80": mean * 1.1,
        "lower_95": mean * 0.8,
        "upper_95": mean * 1.2,
    }
