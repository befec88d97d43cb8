"""Rolling-origin evaluation of a SARIMAX spec against the seasonal-naive forecast.

At each of the last `origins` origins the model sees the series up to the origin only
and forecasts `horizon` periods; the forecasts are compared with what happened, in USD.

- MASE (Hyndman): mean of |actual − forecast| / scale over every forecast point, where
  the scale of an origin is the in-sample mean absolute error of the one-season naive
  forecast (|y_t − y_{t−s}|) over the data up to that origin. The model's point forecast
  is its published `mean` (the log-normal mean).
- `naive_mase`: the same for the seasonal-naive forecast itself, on the same points, so
  "beats seasonal naive" compares like with like.
- Coverage: the share of actuals inside the 80% and 95% bands.
- z-scores: one per origin, the first actual against its one-step forecast, log scale.

Regressors, when the spec has any, take their realised values over the forecast periods
(ex-post evaluation, as the shock scoring sees them), not the carried-forward projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.forecast import Z_80, Z_95, log_forecast, usd_mean, usd_quantile
from models.sarimax_fit import fit_spec
from models.sarimax_model import NUMERICAL_ERRORS, captured_warnings
from models.sarimax_spec import SarimaxSpec, json_float
from models.series import DEFAULT_SEASON, DateArray, DatedSeries, FloatArray, problem


@dataclass(frozen=True)
class BacktestScore:
    """Out-of-sample accuracy of one series' model (errors in USD, z-scores log scale)."""

    series: str
    status: str  # "ok" | "failed" | "insufficient_data"
    reason: str | None
    mase: float | None
    naive_mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    n_forecasts: int
    horizon: int
    beats_seasonal_naive: bool | None
    periods: DateArray
    zscores: FloatArray
    false_alarms_per_year: float | None = None  # filled in by the caller

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "mase": json_float(self.mase),
            "naive_mase": json_float(self.naive_mase),
            "coverage_80": json_float(self.coverage_80),
            "coverage_95": json_float(self.coverage_95),
            "false_alarms_per_year": json_float(self.false_alarms_per_year),
            "beats_seasonal_naive": self.beats_seasonal_naive,
            "n_forecasts": self.n_forecasts,
            "horizon": self.horizon,
            "status": self.status,
            "reason": self.reason,
        }


def seasonal_naive(values: FloatArray, season: int, horizon: int) -> FloatArray:
    """Forecasts of the `horizon` periods after `values`: the value one season earlier
    (y[T+h] = y[T+h−s·k], k the fewest seasons that land inside the data)."""
    if values.shape[0] < season:
        raise ValueError(f"{values.shape[0]} values, fewer than one season of {season}")
    steps = np.arange(horizon)
    picked: FloatArray = np.asarray(values, dtype=np.float64)[
        values.shape[0] - season + steps % season
    ]
    return picked


def _naive_scale(values: FloatArray, season: int) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast (USD)."""
    return float(np.mean(np.abs(values[season:] - values[:-season])))


def _empty(series: DatedSeries, status: str, reason: str, horizon: int) -> BacktestScore:
    return BacktestScore(
        series=series.key,
        status=status,
        reason=reason,
        mase=None,
        naive_mase=None,
        coverage_80=None,
        coverage_95=None,
        n_forecasts=0,
        horizon=horizon,
        beats_seasonal_naive=None,
        periods=np.empty(0, dtype="datetime64[D]"),
        zscores=np.empty(0, dtype=np.float64),
    )


@dataclass
class _Tally:
    """Scaled absolute errors, band hits and one-step z-scores accumulated over origins."""

    errors: list[float] = field(default_factory=list)
    naive_errors: list[float] = field(default_factory=list)
    inside_80: list[bool] = field(default_factory=list)
    inside_95: list[bool] = field(default_factory=list)
    periods: list[np.datetime64] = field(default_factory=list)
    zscores: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(
        self,
        period: np.datetime64,
        actual: FloatArray,
        moments: tuple[FloatArray, FloatArray],
        naive: FloatArray,
        scale: float,
        log: bool,
    ) -> None:
        mu, std = moments
        self.errors.extend(np.abs(actual - usd_mean(mu, std, log)) / scale)
        self.naive_errors.extend(np.abs(actual - naive) / scale)
        for z, hits in ((Z_80, self.inside_80), (Z_95, self.inside_95)):
            low, high = usd_quantile(mu, std, -z, log), usd_quantile(mu, std, z, log)
            hits.extend(bool(h) for h in (low <= actual) & (actual <= high))
        first = float(np.log(actual[0]) if log else actual[0])
        self.periods.append(period)
        self.zscores.append((first - float(mu[0])) / float(std[0]))

    def score(self, series: DatedSeries, horizon: int) -> BacktestScore:
        mase, naive_mase = float(np.mean(self.errors)), float(np.mean(self.naive_errors))
        failed = self.failures
        return BacktestScore(
            series=series.key,
            status="ok",
            reason=f"{len(failed)} origins failed, first: {failed[0]}" if failed else None,
            mase=mase,
            naive_mase=naive_mase,
            coverage_80=float(np.mean(self.inside_80)),
            coverage_95=float(np.mean(self.inside_95)),
            n_forecasts=len(self.errors),
            horizon=horizon,
            beats_seasonal_naive=mase < naive_mase,
            periods=np.array(self.periods, dtype="datetime64[D]"),
            zscores=np.array(self.zscores, dtype=np.float64),
        )


def _origin_params(
    train: DatedSeries,
    spec: SarimaxSpec,
    params: tuple[float, ...],
    exog: FloatArray | None,
    refit: bool,
) -> tuple[float, ...]:
    """The params at one origin: the given ones, or a warm refit on the data so far
    (the given ones again if that refit fails)."""
    if not refit:
        return params
    refitted = fit_spec(train, spec, exog=exog, start_params=params)
    return refitted.params if refitted.ok else params


def rolling_origin(
    series: DatedSeries,
    spec: SarimaxSpec,
    params: Sequence[float],
    *,
    origins: int = 24,
    horizon: int = 1,
    refit: bool = False,
    exog: FloatArray | None = None,
    season: int | None = None,
) -> BacktestScore:
    """Evaluate `spec` at the last `origins` origins with `horizon`-step forecasts.

    `params` are a fit's stored params (ending with sigma2). `refit=False` re-filters
    them on the data up to each origin (cheap); `refit=True` re-estimates at each
    origin, warm-started from the previous origin's params. `season` (of the
    seasonal-naive benchmark) defaults to the spec's, else to DEFAULT_SEASON.
    The first origin needs at least two seasons of data (and the differencing burn-in).
    """
    period = season or spec.seasonal_order[3] or DEFAULT_SEASON[series.frequency]
    first_train = max(2 * period + 2, spec.burn_in + 2)
    needed = first_train + origins + horizon - 1
    reason = problem(series, needed)
    if reason is not None:
        status = "insufficient_data" if len(series) < needed else "failed"
        return _empty(series, status, f"backtest: {reason}", horizon)
    matrix = None if exog is None else np.asarray(exog, dtype=np.float64)
    current = tuple(float(p) for p in params)
    tally = _Tally()
    for end in range(len(series) - horizon - origins + 1, len(series) - horizon + 1):
        train = series.head(end)
        known = None if matrix is None else matrix[:end]
        ahead = None if matrix is None else matrix[end : end + horizon]
        with captured_warnings():  # per-origin warnings are not kept
            try:
                current = _origin_params(train, spec, current, known, refit)
                moments = log_forecast(spec, current, train, horizon, exog=known, future_exog=ahead)
            except NUMERICAL_ERRORS as exc:
                tally.failures.append(f"{series.periods[end - 1]}: {type(exc).__name__}: {exc}")
                continue
        actual = np.asarray(series.values[end : end + horizon], dtype=np.float64)
        naive = seasonal_naive(train.values, period, horizon)
        scale = _naive_scale(train.values, period)
        if not scale > 0:
            tally.failures.append(f"{series.periods[end - 1]}: seasonal-naive scale is zero")
            continue
        tally.add(series.periods[end], actual, moments, naive, scale, spec.log)
    if not tally.errors:
        first = tally.failures[0] if tally.failures else "no origin"
        return _empty(series, "failed", f"backtest: no origin could be forecast: {first}", horizon)
    return tally.score(series, horizon)
