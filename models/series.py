"""The input every model takes: one regular, dated series of floats.

Pure: no I/O, no clock. Periods are numpy datetime64[D] (the day, the Monday of an
ISO week, or the first day of a month); values are float64 in the series' unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

Frequency = Literal["D", "W", "M"]

#: Seasonal period by frequency: a year of months, a year of ISO weeks, a week of days.
DEFAULT_SEASON: dict[str, int] = {"M": 12, "W": 52, "D": 7}

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]


class SeriesProblem(ValueError):
    """The series cannot be modelled; the message says why (too short, constant, gaps...)."""


@dataclass(frozen=True)
class DatedSeries:
    """A regular series: `periods` strictly increasing on the grid of `frequency`."""

    key: str
    frequency: Frequency
    periods: DateArray
    values: FloatArray

    @classmethod
    def from_frame(cls, key: str, frequency: Frequency, frame: pl.DataFrame) -> DatedSeries:
        """From a frame with columns `period` (Date) and `value` (float), sorted by period."""
        ordered = frame.sort("period")
        return cls(
            key=key,
            frequency=frequency,
            periods=ordered["period"].to_numpy().astype("datetime64[D]"),
            values=ordered["value"].cast(pl.Float64).to_numpy().astype(np.float64),
        )

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def last_period(self) -> date:
        return period_to_date(self.periods[-1])

    def head(self, n: int) -> DatedSeries:
        """The first `n` observations (for rolling-origin evaluation)."""
        return DatedSeries(self.key, self.frequency, self.periods[:n], self.values[:n])

    def until(self, last: date) -> DatedSeries:
        """Observations up to and including `last`."""
        keep = self.periods <= np.datetime64(last, "D")
        return DatedSeries(self.key, self.frequency, self.periods[keep], self.values[keep])


def period_to_date(period: np.datetime64) -> date:
    value = period.astype("datetime64[D]").item()
    assert isinstance(value, date)
    return value


def next_periods(last: np.datetime64, frequency: Frequency, horizon: int) -> DateArray:
    """The `horizon` periods after `last` on the grid of `frequency`."""
    if frequency == "M":
        month = last.astype("datetime64[M]")
        periods: DateArray = (month + np.arange(1, horizon + 1)).astype("datetime64[D]")
        return periods
    step = 7 if frequency == "W" else 1
    days: DateArray = last.astype("datetime64[D]") + np.arange(1, horizon + 1) * step
    return days


def expected_periods(first: np.datetime64, last: np.datetime64, frequency: Frequency) -> DateArray:
    """Every period of the grid from `first` to `last` inclusive."""
    if frequency == "M":
        months = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)
        return months.astype("datetime64[D]")
    step = np.timedelta64(7 if frequency == "W" else 1, "D")
    return np.arange(first, last + step, step).astype("datetime64[D]")


def problem(series: DatedSeries, min_length: int) -> str | None:
    """Why the series cannot be modelled, or None when it can.

    Too short (fewer than `min_length` observations), gaps in the period grid, missing
    or non-finite values, all zero, constant, or negative values (a log model needs
    positive levels) each give a reason that names the series.
    """
    n = len(series)
    name = series.key
    if n < min_length:
        return f"{name}: too short: {n} observations, at least {min_length} needed"
    if not np.all(np.isfinite(series.values)):
        missing = int(np.sum(~np.isfinite(series.values)))
        return f"{name}: {missing} missing or non-finite values"
    grid = expected_periods(series.periods[0], series.periods[-1], series.frequency)
    if grid.shape[0] != n or not np.array_equal(grid, series.periods):
        gaps = grid.shape[0] - n
        return (
            f"{name}: {gaps} periods missing between {series.periods[0]} and {series.periods[-1]}"
        )
    if np.all(series.values == 0):
        return f"{name}: all values are zero"
    if np.ptp(series.values) == 0:
        return f"{name}: constant at {series.values[0]:g}"
    if np.any(series.values <= 0):
        return f"{name}: {int(np.sum(series.values <= 0))} values are zero or negative"
    return None
