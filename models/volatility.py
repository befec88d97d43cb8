"""FX stability of the som from the daily official rate (som per unit of `currency`).

The input has one rate per calendar day: the NBKR rate in force, carried over weekends
and holidays, so those days have a log change of zero. Volatilities are therefore
annualised with calendar days (sqrt(365)), the convention consistent with calendar-day
changes; annualising trading-day changes with sqrt(252) measures the same thing.
All volatilities are in percent per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from models.series import DateArray, FloatArray, period_to_date

SHORT_WINDOW_DAYS = 30
LONG_WINDOW_DAYS = 90


@dataclass(frozen=True)
class FxStability:
    """Volatility figures of one rate as of its last day; None where the data are too short."""

    currency: str
    as_of: date | None  # the last day with a rate; None only for an empty input
    realised_vol_30d: float | None  # % per year
    realised_vol_90d: float | None  # % per year
    ewma_vol: float | None  # % per year, RiskMetrics EWMA
    largest_move_pct: float | None  # signed daily % change of the rate, last 90 days
    largest_move_date: date | None  # the day the move took effect
    observations: int  # usable (finite, positive) daily rates

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "realised_vol_30d": self.realised_vol_30d,
            "realised_vol_90d": self.realised_vol_90d,
            "ewma_vol": self.ewma_vol,
            "largest_move_pct": self.largest_move_pct,
            "largest_move_date": (
                self.largest_move_date.isoformat() if self.largest_move_date is not None else None
            ),
            "observations": self.observations,
        }


def _usable(periods: DateArray, rate: FloatArray) -> tuple[DateArray, FloatArray]:
    """Days with a finite, positive rate, in date order."""
    if len(periods) != len(rate):
        raise ValueError(f"expected arrays of one length, got {len(periods)} and {len(rate)}")
    days = np.asarray(periods).astype("datetime64[D]")
    values = np.asarray(rate, dtype=np.float64)
    keep = np.isfinite(values) & (values > 0)
    order = np.argsort(days[keep], kind="stable")
    return days[keep][order], values[keep][order]


def _log_changes(days: DateArray, values: FloatArray) -> tuple[DateArray, FloatArray]:
    """Log change of the rate on each day from the previous usable day, dated by that day."""
    changes: FloatArray = np.diff(np.log(values))
    return days[1:], changes


def _annualised(changes: FloatArray, days_per_year: int) -> float:
    # Sample standard deviation (ddof=1) of the daily log changes, in % per year.
    return float(100.0 * math.sqrt(days_per_year) * np.std(changes, ddof=1))


def _realised(
    first: np.datetime64,
    change_days: DateArray,
    changes: FloatArray,
    window_days: int,
    days_per_year: int,
) -> float | None:
    """Volatility over the last `window_days` calendar days; None unless the rates cover them."""
    if changes.size < 2:
        return None
    start = change_days[-1] - window_days  # the day before the window's first change
    if first > start:
        return None
    inside = changes[change_days > start]
    return _annualised(inside, days_per_year) if inside.size >= 2 else None


def ewma_variance(changes: FloatArray, lam: float, seed: int) -> float | None:
    """RiskMetrics EWMA variance of the next daily log change, per day.

    σ²_t = λσ²_{t−1} + (1−λ)r²_{t−1}, seeded with the sample variance (ddof=1) of the
    first `seed` changes as σ² of the change that follows them; the value returned is σ²
    of the day after the last change, so it uses every change. None if fewer than `seed`.
    """
    if not 0 < lam < 1:
        raise ValueError(f"expected 0 < lambda < 1, got {lam}")
    if seed < 2 or changes.size < seed:
        return None
    variance = float(np.var(changes[:seed], ddof=1))
    for change in changes[seed:]:
        variance = lam * variance + (1.0 - lam) * float(change) ** 2
    return variance


def fx_stability(
    periods: DateArray,
    rate: FloatArray,
    *,
    currency: str = "USD",
    lam: float = 0.94,
    days_per_year: int = 365,
    ewma_seed_days: int = SHORT_WINDOW_DAYS,
) -> FxStability:
    """Stability figures of the daily official rate (som per unit) as of its last day.

    Realised volatility is sqrt(days_per_year) × the sample std (ddof=1) of the daily log
    changes dated in the last 30 / 90 calendar days (as_of − 29 … as_of for 30), None
    unless the rates reach back to the start of that window. The EWMA volatility
    (`ewma_variance`, seeded with the first `ewma_seed_days` changes) is annualised the
    same way. The largest move is the signed daily % change of largest size within the
    last 90 days, from whatever rates are there. Non-finite or non-positive rates are
    skipped; a change across a skipped day spans both days.
    """
    if not 0 < lam < 1:
        raise ValueError(f"expected 0 < lambda < 1, got {lam}")
    days, values = _usable(periods, rate)
    if days.size == 0:
        return FxStability(currency, None, None, None, None, None, None, 0)
    change_days, changes = _log_changes(days, values)
    largest_pct: float | None = None
    largest_day: date | None = None
    recent = change_days > days[-1] - LONG_WINDOW_DAYS
    if np.any(recent):
        moves = 100.0 * np.expm1(changes[recent])
        at = int(np.argmax(np.abs(moves)))  # the first of equal moves
        largest_pct = float(moves[at])
        # A rate that never moved has no day of its largest move.
        largest_day = period_to_date(change_days[recent][at]) if moves[at] != 0 else None
    variance = ewma_variance(changes, lam, ewma_seed_days)
    return FxStability(
        currency=currency,
        as_of=period_to_date(days[-1]),
        realised_vol_30d=_realised(days[0], change_days, changes, SHORT_WINDOW_DAYS, days_per_year),
        realised_vol_90d=_realised(days[0], change_days, changes, LONG_WINDOW_DAYS, days_per_year),
        ewma_vol=(None if variance is None else 100.0 * math.sqrt(days_per_year * variance)),
        largest_move_pct=largest_pct,
        largest_move_date=largest_day,
        observations=int(days.size),
    )


def rolling_volatility(
    periods: DateArray, rate: FloatArray, window: int, days_per_year: int = 365
) -> tuple[DateArray, FloatArray]:
    """Realised volatility (% per year) over each run of `window` daily log changes.

    Dated by the last day of the run; for calendar-day input the last value equals
    `fx_stability`'s realised volatility over `window` days. Empty when too short.
    """
    if window < 2:
        raise ValueError(f"expected a window of at least 2 changes, got {window}")
    days, values = _usable(periods, rate)
    if days.size < window + 1:
        empty_days: DateArray = np.array([], dtype="datetime64[D]")
        empty: FloatArray = np.array([], dtype=np.float64)
        return empty_days, empty
    change_days, changes = _log_changes(days, values)
    runs = np.lib.stride_tricks.sliding_window_view(changes, window)
    volatility: FloatArray = 100.0 * math.sqrt(days_per_year) * np.std(runs, axis=1, ddof=1)
    ends: DateArray = change_days[window - 1 :]
    return ends, volatility
