"""Shock scoring: observations against their one-step-ahead forecasts, events with hysteresis.

Forecasts come from a model of the log level (SARIMAX), so an observation in USD is
scored on the log scale: z = (log(observed) − mean_log) / std_log. An episode of large
|z| is one `ShockEvent` (one alert), not one per period: it opens at |z| ≥ warning_z and
stays open until the first period with |z| below close_z.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np

from models.series import DateArray, FloatArray, period_to_date

#: Two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959964

Severity = Literal["warning", "critical"]


def _plain(value: float) -> float | None:
    """A JSON-ready float: NaN and ±inf become None."""
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ShockRule:
    """Thresholds on |z| and the side of the forecast that counts ("down": falls only)."""

    warning_z: float = 2.5
    critical_z: float = 3.5
    close_z: float = 1.5
    direction: Literal["both", "down", "up"] = "both"

    def __post_init__(self) -> None:
        if not 0 <= self.close_z <= self.warning_z <= self.critical_z:
            raise ValueError(
                f"expected 0 <= close_z <= warning_z <= critical_z, got close_z={self.close_z},"
                f" warning_z={self.warning_z}, critical_z={self.critical_z}"
            )

    def counts(self, zscore: float) -> bool:
        """Whether a deviation of this sign is watched (False for NaN)."""
        if not math.isfinite(zscore):
            return False
        if self.direction == "down":
            return zscore < 0
        if self.direction == "up":
            return zscore > 0
        return True

    def severity(self, zscore: float) -> Severity | None:
        """The severity of one period's z-score on its own, None below warning_z."""
        if not self.counts(zscore):
            return None
        size = abs(zscore)
        if size >= self.critical_z:
            return "critical"
        if size >= self.warning_z:
            return "warning"
        return None


@dataclass(frozen=True)
class ScoredPeriod:
    """One observation against its forecast: USD levels, z on the log scale (NaN if unscorable)."""

    period: date
    observed: float
    expected: float
    lower_95: float
    upper_95: float
    zscore: float
    severity: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period.isoformat(),
            "observed": _plain(self.observed),
            "expected": _plain(self.expected),
            "lower_95": _plain(self.lower_95),
            "upper_95": _plain(self.upper_95),
            "zscore": _plain(self.zscore),
            "severity": self.severity,
        }


def periods_below_band(scored: Sequence[ScoredPeriod]) -> int:
    """How many of the most recent periods in a row were below their 95% band.

    0 when the last period was inside or above it (or could not be scored). Sustained
    shortfalls that each stay short of a shock still add up here.
    """
    count = 0
    for period in reversed(scored):
        if not period.observed < period.lower_95:  # NaN compares False: the run ends
            break
        count += 1
    return count


def score(
    periods: DateArray,
    observed: FloatArray,
    mean_log: FloatArray,
    std_log: FloatArray,
    rule: ShockRule,
) -> tuple[ScoredPeriod, ...]:
    """Score each observation (USD) against its one-step-ahead forecast of the log level.

    `expected` is exp(mean_log) (the median in USD) and the 95% band is
    exp(mean_log ± 1.959964·std_log). An observation that cannot be scored (zero or
    negative, non-finite, or a forecast std that is zero or non-finite) gets z NaN and
    no severity.
    """
    size = len(periods)
    if not len(observed) == len(mean_log) == len(std_log) == size:
        raise ValueError(
            f"expected arrays of one length, got periods {size}, observed {len(observed)},"
            f" mean_log {len(mean_log)}, std_log {len(std_log)}"
        )
    level = np.asarray(observed, dtype=np.float64)
    mean = np.asarray(mean_log, dtype=np.float64)
    std = np.asarray(std_log, dtype=np.float64)
    with np.errstate(all="ignore"):
        scorable = np.isfinite(level) & (level > 0) & np.isfinite(std) & (std > 0)
        zscores = np.where(scorable, (np.log(np.where(scorable, level, 1.0)) - mean) / std, np.nan)
        zscores = np.where(np.isfinite(zscores), zscores, np.nan)
        expected = np.exp(mean)
        lower = np.exp(mean - Z_95 * std)
        upper = np.exp(mean + Z_95 * std)
    return tuple(
        ScoredPeriod(
            period=period_to_date(periods[i]),
            observed=float(level[i]),
            expected=float(expected[i]),
            lower_95=float(lower[i]),
            upper_95=float(upper[i]),
            zscore=float(zscores[i]),
            severity=rule.severity(float(zscores[i])),
        )
        for i in range(size)
    )


@dataclass(frozen=True)
class Contributor:
    """A component (a country, a transfer system) at the event's peak period, in USD."""

    name: str
    dimension: str
    observed: float
    expected: float
    gap: float  # observed − expected
    share_of_gap: float | None  # gap / the series' gap at the peak; None if that gap is 0

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "dimension": self.dimension,
            "observed": _plain(self.observed),
            "expected": _plain(self.expected),
            "gap": _plain(self.gap),
            "share_of_gap": None if self.share_of_gap is None else _plain(self.share_of_gap),
        }


@dataclass(frozen=True)
class ShockEvent:
    """One shock episode of a series; the USD figures and z are those of the peak period."""

    series: str
    start: date
    end: date | None  # the last period inside the event; None while open
    period: date  # the peak: the largest |z|
    observed: float
    expected: float
    lower_95: float
    upper_95: float
    zscore: float
    severity: str  # the worst reached: "warning" | "critical"
    status: str  # "open" | "closed"
    periods: int  # from start to the last period inside, inclusive
    contributors: tuple[Contributor, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "period": self.period.isoformat(),
            "observed": _plain(self.observed),
            "expected": _plain(self.expected),
            "lower_95": _plain(self.lower_95),
            "upper_95": _plain(self.upper_95),
            "zscore": _plain(self.zscore),
            "severity": self.severity,
            "status": self.status,
            "periods": self.periods,
            "contributors": [contributor.to_dict() for contributor in self.contributors],
        }


def _event(
    series: str, inside: Sequence[ScoredPeriod], span: int, rule: ShockRule, *, closed: bool
) -> ShockEvent:
    peak = max(inside, key=lambda scored: abs(scored.zscore))  # first of equal peaks
    critical = any(abs(scored.zscore) >= rule.critical_z for scored in inside)
    return ShockEvent(
        series=series,
        start=inside[0].period,
        end=inside[-1].period if closed else None,
        period=peak.period,
        observed=peak.observed,
        expected=peak.expected,
        lower_95=peak.lower_95,
        upper_95=peak.upper_95,
        zscore=peak.zscore,
        severity="critical" if critical else "warning",
        status="closed" if closed else "open",
        periods=span,
    )


def detect_events(
    series: str, scored: Sequence[ScoredPeriod], rule: ShockRule
) -> tuple[ShockEvent, ...]:
    """Group scored periods (in time order) into shock events with hysteresis.

    An event opens at |z| ≥ warning_z on a counted side and stays open while z stays on
    that side with |z| ≥ close_z; the first period below close_z (or of the other sign)
    closes it and is not part of it. A period of the other sign may open the next event.
    A period with NaN z (unscorable) neither extends nor closes an open event: a data gap
    does not split one episode in two. An event still inside at the end is "open".
    """
    events: list[ShockEvent] = []
    inside: list[ScoredPeriod] = []  # the periods that kept the current event open
    first = last = 0  # indices of its first and last inside periods
    for index, current in enumerate(scored):
        z = current.zscore
        if not math.isfinite(z):
            continue
        if inside:
            if z * inside[0].zscore > 0 and abs(z) >= rule.close_z:
                inside.append(current)
                last = index
                continue
            events.append(_event(series, inside, last - first + 1, rule, closed=True))
            inside = []
        if rule.severity(z) is not None:
            inside = [current]
            first = last = index
    if inside:
        events.append(_event(series, inside, last - first + 1, rule, closed=False))
    return tuple(events)


def attribute(
    event: ShockEvent,
    components: Mapping[tuple[str, str], tuple[float, float]],
    top: int = 5,
) -> ShockEvent:
    """The event with the components that explain its gap at the peak period.

    `components` maps (dimension, name), e.g. ("country", "RU"), to (observed, expected)
    USD at the event's peak period. Contributors are ordered by their gap in the event's
    direction (the largest fall first for a fall), keeping at most `top` per dimension, so
    that countries and transfer systems, two cuts of the same money, each keep their
    leaders. `share_of_gap` is the component's gap over the series' gap (observed −
    expected of the event), so the shares of one complete cut sum to about 1. Components
    with non-finite figures are left out.
    """
    sign = 1.0 if event.zscore >= 0 else -1.0
    total_gap = event.observed - event.expected
    ranked = sorted(
        (
            Contributor(
                name=name,
                dimension=dimension,
                observed=float(observed),
                expected=float(expected),
                gap=float(observed - expected),
                share_of_gap=(
                    float((observed - expected) / total_gap)
                    if total_gap != 0 and math.isfinite(total_gap)
                    else None
                ),
            )
            for (dimension, name), (observed, expected) in components.items()
            if math.isfinite(observed) and math.isfinite(expected)
        ),
        key=lambda contributor: (-sign * contributor.gap, contributor.dimension, contributor.name),
    )
    kept: list[Contributor] = []
    per_dimension: dict[str, int] = {}
    for contributor in ranked:
        count = per_dimension.get(contributor.dimension, 0)
        if count < top:
            kept.append(contributor)
            per_dimension[contributor.dimension] = count + 1
    return replace(event, contributors=tuple(kept))
