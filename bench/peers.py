"""remitwatch's SARIMAX path against statsforecast (Nixtla), the fast peer, per series.

Simulates monthly series (airline model in logs, 180 points plus one new month, one
regressor: the rouble's monthly change; seeded) and times on each, in this process:

  cold       our fit_spec of (1,1,1)(1,1,1,12)+exog from statsmodels' start values
  warm       our fit_spec on 181 points from the cold fit's params (the weekly refit)
  update     score the new month with the stored params (no estimation): models.update
             as the scheduler's scoring job runs it, its memo holding the filter of the
             previous scoring, so only the new month is filtered; forecast 12 months
  update_full  the same with an empty memo (the first scoring in a process, or after a
             revision): statsmodels filters the whole series
  select     our order selection over the default grid (15 candidates, AICc)
  sf_fixed   statsforecast ARIMA(1,1,1)(1,1,1,12)+exog on the same 181 points
  sf_auto    statsforecast AutoARIMA(season_length=12)+exog on the same 181 points

and compares the 12-month forecasts of `warm` and `sf_fixed`: the largest gap between
the two means, as a share of our 95% band's half-width (log scale). Prints the medians
and the ratios the issue sets goals for. Figures, not assertions.

    python bench/peers.py --series 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from statsforecast.models import ARIMA, AutoARIMA  # noqa: E402

from bench.fit import simulate  # noqa: E402
from models.sarimax import SarimaxSpec, fit_spec, forecast  # noqa: E402
from models.sarimax_fit import COLD_MAXITER, select_and_fit  # noqa: E402
from models.sarimax_spec import OrderGrid  # noqa: E402
from models.update import FilterMemo, update  # noqa: E402

SEED = 20260101
POINTS = 180
ORDER, SEASONAL = (1, 1, 1), (1, 1, 1, 12)


def timed(work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    return time.perf_counter() - started, result


def measure(index: int) -> dict[str, float]:
    series, log_level, rub = simulate(SEED, index, POINTS)
    spec = SarimaxSpec(ORDER, SEASONAL, exog_names=("rub_change",))
    history = series.head(POINTS)
    figures: dict[str, float] = {}
    figures["cold"], cold = timed(
        lambda: fit_spec(history, spec, exog=rub[:POINTS], maxiter=COLD_MAXITER)
    )
    figures["warm"], warm = timed(
        lambda: fit_spec(series, spec, exog=rub, start_params=cold.params)  # type: ignore[attr-defined]
    )

    memo = FilterMemo()
    update(cold, history, 12, exog=rub[:POINTS], memo=memo)  # type: ignore[arg-type]
    figures["update"], _ = timed(lambda: update(cold, series, 12, exog=rub, memo=memo))  # type: ignore[arg-type]
    figures["update_full"], _ = timed(
        lambda: update(cold, series, 12, exog=rub, memo=FilterMemo())  # type: ignore[arg-type]
    )
    figures["select"], _ = timed(
        lambda: select_and_fit(series, OrderGrid(), exog=rub, exog_names=("rub_change",))
    )
    exog = rub.reshape(-1, 1)
    fixed = ARIMA(order=ORDER, season_length=12, seasonal_order=SEASONAL[:3])
    figures["sf_fixed"], _ = timed(lambda: fixed.fit(log_level, X=exog))
    auto = AutoARIMA(season_length=12)
    figures["sf_auto"], _ = timed(lambda: auto.fit(log_level, X=exog))

    future = np.zeros((12, 1))
    ours = forecast(warm, series, 12, exog=rub, future_exog=future[:, 0])  # type: ignore[arg-type]
    theirs = np.asarray(fixed.predict(h=12, X=future)["mean"])
    lower = np.log(np.array([p.lower_95 for p in ours.points]))
    upper = np.log(np.array([p.upper_95 for p in ours.points]))
    centre, half_width = (lower + upper) / 2, (upper - lower) / 2
    figures["forecast_gap_of_band"] = float(np.max(np.abs(centre - theirs) / half_width))
    return figures


def run(quick: bool = False, series: int | None = None) -> dict[str, float]:
    count = series or (4 if quick else 16)
    measure(10_000)  # warm-up: imports, compiled code paths
    rows = [measure(index) for index in range(count)]
    median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    for key, value in median.items():
        print(f"  {key:<22} {value:10.4f}" + ("" if key.startswith("forecast") else " s"))
    figures = {
        "refit_warm_vs_statsforecast_ratio": median["warm"] / median["sf_fixed"],
        "autoselect_speedup_vs_autoarima": median["sf_auto"] / median["select"],
        "update_vs_cold_fit_speedup": median["cold"] / median["update"],
        "update_full_filter_vs_cold_fit_speedup": median["cold"] / median["update_full"],
        "update_seconds": median["update"],
        "update_full_filter_seconds": median["update_full"],
        "cold_fit_seconds": median["cold"],
        "warm_refit_seconds": median["warm"],
        "statsforecast_fixed_seconds": median["sf_fixed"],
        "select_seconds": median["select"],
        "statsforecast_autoarima_seconds": median["sf_auto"],
        "forecast_gap_of_band_median": median["forecast_gap_of_band"],
    }
    for key in (
        "refit_warm_vs_statsforecast_ratio",
        "autoselect_speedup_vs_autoarima",
        "update_vs_cold_fit_speedup",
    ):
        print(f"  {key:<36} {figures[key]:8.2f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=16)
    run(series=parser.parse_args().series)


if __name__ == "__main__":
    main()
