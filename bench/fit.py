"""SARIMAX fit benchmark: cold fit, warm refit, Kalman update and forecast, per series.

Simulates N monthly series (airline model in logs, 180 points, one regressor, seeded)
and measures for each, at a fixed order ((1,1,1)(1,1,1,12) by default):

  cold      fit_spec on the 180 points from statsmodels' start values
  warm      fit_spec on 181 points (one new month) from the cold fit's params
  rebuild   SARIMAX(y, exog, **spec).filter(params): what a job does before updating
  append    statsmodels results.append(one new observation, refit=False): the Kalman
            update (extend(), which filters only the new observation, is shown too)
  forecast  forecast() 12 months ahead (rebuild + filter + USD bands)
  update    models.update.update with the new month, its memo holding the previous
            scoring's filter: what the scoring job does between refits (forecast,
            one-step predictions; only the new month filtered)

first sequentially in this process, then over a ProcessPoolExecutor(max_workers=2), then
on a Dask LocalCluster of 2 single-threaded worker processes on loopback, submitted
through the refit job's executor (compute.executor = the scheduler's tcp:// address).
BLAS is pinned to one thread everywhere (OMP/OPENBLAS/MKL_NUM_THREADS=1, set before
numpy is imported here and in each spawned worker; threadpoolctl is not installed and
not needed for that), so that two workers do not compete for the two cores.

Prints seconds per series, fits per second, the warm/cold and update/refit ratios and
the parallel efficiency of each engine (sequential time / (2 × parallel time)), and
returns them from `run(quick)` for the bench harness. Figures, not assertions: run it on
the machine you care about.

    python bench/fit.py --series 200
    python bench/fit.py --series 10 --order airline --no-dask
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ORDERS = {
    "full": ((1, 1, 1), (1, 1, 1, 12)),
    "airline": ((0, 1, 1), (0, 1, 1, 12)),
}
PHASES = ("cold", "warm", "rebuild", "append", "extend", "forecast", "update")
SEED = 20240611


def pin_blas() -> None:
    """One BLAS thread in this process (effective only before numpy is imported)."""
    for name in BLAS_VARIABLES:
        os.environ[name] = "1"


def _worker_ready(pause: float) -> int:
    """Warm-up task: imports done, the worker is running."""
    import models.sarimax  # noqa: F401

    time.sleep(pause)
    return os.getpid()


def simulate(seed: int, index: int, points: int) -> tuple[Any, Any, Any]:
    """`points` + 1 months of an airline process in logs with one regressor (seeded):
    the series (USD levels), its log levels and the regressor (the rouble's change)."""
    import numpy as np

    from models.series import DatedSeries

    rng = np.random.default_rng([seed, index])
    n = points + 1
    noise = rng.normal(0.0, 0.03, n + 13)
    w = noise[13:] - 0.4 * noise[12:-1] - 0.6 * noise[1:-12] + 0.24 * noise[:-13]
    seasonal = np.zeros(n)
    for t in range(n):
        seasonal[t] = (seasonal[t - 12] if t >= 12 else 0.0) + w[t]
    rub = rng.normal(0.0, 1.0, n)
    pattern = 0.15 * np.sin(2 * np.pi * np.arange(12) / 12)
    log_level = 18.0 + np.cumsum(seasonal) + pattern[np.arange(n) % 12] - 0.05 * rub
    periods = (np.datetime64("2010-01", "M") + np.arange(n)).astype("datetime64[D]")
    return DatedSeries(f"bench.{index}.M", "M", periods, np.exp(log_level)), log_level, rub


def measure(index: int, points: int, order_name: str) -> dict[str, float]:
    """Seconds of each phase for series number `index` (seeded, reproducible)."""
    import numpy as np
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from models.sarimax import SarimaxSpec, fit_spec, forecast
    from models.sarimax_fit import COLD_MAXITER
    from models.update import FilterMemo, update

    series, log_level, rub = simulate(SEED, index, points)
    fitted = series.head(points)
    order, seasonal_order = ORDERS[order_name]
    spec = SarimaxSpec(order, seasonal_order, exog_names=("rub_change",))

    figures: dict[str, float] = {}
    started = time.perf_counter()
    cold = fit_spec(fitted, spec, exog=rub[:points], maxiter=COLD_MAXITER)
    figures["cold"] = time.perf_counter() - started
    started = time.perf_counter()
    warm = fit_spec(series, spec, exog=rub, start_params=cold.params)
    figures["warm"] = time.perf_counter() - started

    sarimax = {"order": order, "seasonal_order": seasonal_order}
    started = time.perf_counter()
    results = SARIMAX(log_level[:points], exog=rub[:points], **sarimax).filter(
        np.asarray(cold.params), cov_type="none"
    )
    figures["rebuild"] = time.perf_counter() - started
    started = time.perf_counter()
    results.append(log_level[points:], exog=rub[points:], refit=False)
    figures["append"] = time.perf_counter() - started
    started = time.perf_counter()
    results.extend(log_level[points:], exog=rub[points:])
    figures["extend"] = time.perf_counter() - started
    started = time.perf_counter()
    forecast(warm, series, 12, exog=rub)
    figures["forecast"] = time.perf_counter() - started
    memo = FilterMemo()
    update(cold, fitted, 12, exog=rub[:points], memo=memo)
    started = time.perf_counter()
    update(cold, series, 12, exog=rub, memo=memo)
    figures["update"] = time.perf_counter() - started

    cold_again = fit_spec(series, spec, exog=rub, maxiter=COLD_MAXITER)
    figures["warm_param_gap"] = max(
        abs(a - b) for a, b in zip(warm.params[:-1], cold_again.params[:-1], strict=True)
    )
    figures["ok"] = float(cold.ok and warm.ok)
    figures["warnings"] = float(len(cold.warnings) + len(warm.warnings))
    return figures


def _run_sequential(count: int, points: int, order: str) -> tuple[list[dict[str, float]], float]:
    measure(count, points, order)  # warm-up (imports, first calls), not counted
    started = time.perf_counter()
    rows = [measure(i, points, order) for i in range(count)]
    return rows, time.perf_counter() - started


def _run_parallel(
    count: int, points: int, order: str, workers: int
) -> tuple[list[dict[str, float]], float]:
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=pin_blas
    ) as pool:
        list(pool.map(_worker_ready, [0.5] * workers))  # start and import in every worker
        started = time.perf_counter()
        rows = list(pool.map(measure, range(count), [points] * count, [order] * count, chunksize=1))
        return rows, time.perf_counter() - started


def _report(label: str, rows: list[dict[str, float]], wall: float) -> None:
    print(f"\n{label}: {len(rows)} series in {wall:.2f} s wall")
    print(f"  {'phase':<9} {'mean s':>9} {'median s':>9} {'per second':>11}")
    for phase in PHASES:
        values = [row[phase] for row in rows]
        mean = statistics.fmean(values)
        print(f"  {phase:<9} {mean:9.4f} {statistics.median(values):9.4f} {1 / mean:11.1f}")


def _run_dask(
    count: int, points: int, order: str, workers: int
) -> tuple[list[dict[str, float]], float, float]:
    """The same fits on a Dask LocalCluster (single-threaded worker processes on loopback),
    submitted through the refit job's executor (config compute.executor = its address).

    Returns the rows, the wall time of the fits and the seconds to start and connect.
    """
    from distributed import LocalCluster

    from config.settings import ComputeSettings
    from jobs.dask_executor import DaskExecutor
    from jobs.executor import make_executor

    started = time.perf_counter()
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        executor = make_executor(ComputeSettings(executor=cluster.scheduler_address))
        assert isinstance(executor, DaskExecutor)
        try:
            executor.client.run(_worker_ready, 0.0)  # import in every worker, not counted
            startup = time.perf_counter() - started
            started = time.perf_counter()
            futures = [executor.submit(measure, i, points, order) for i in range(count)]
            rows = [future.result() for future in futures]
            return rows, time.perf_counter() - started, startup
        finally:
            executor.shutdown()


def benchmark(
    count: int, points: int = 180, order_name: str = "full", workers: int = 2, dask: bool = True
) -> dict[str, float]:
    """Run every phase, print the tables and return the figures (seconds, ratios)."""
    pin_blas()  # before numpy is imported (by measure), so the sequential run is pinned too
    order, seasonal = ORDERS[order_name]
    print(
        f"SARIMAX{order}x{seasonal} with one regressor, {count} series of "
        f"{points} months; BLAS threads pinned to 1"
    )
    sequential, sequential_wall = _run_sequential(count, points, order_name)
    _report("sequential", sequential, sequential_wall)
    parallel, parallel_wall = _run_parallel(count, points, order_name, workers)
    _report(f"parallel, local process pool ({workers} workers)", parallel, parallel_wall)

    def total(phase: str) -> float:
        return sum(row[phase] for row in sequential)

    figures = {f"{phase}_seconds_mean": total(phase) / count for phase in PHASES}
    figures |= {
        "series": float(count),
        "sequential_wall_seconds": sequential_wall,
        "local_wall_seconds": parallel_wall,
        "warm_vs_cold_speedup": total("cold") / total("warm"),
        "append_vs_warm_speedup": total("warm") / total("append"),
        "parallel_efficiency_local": sequential_wall / (workers * parallel_wall),
    }
    if dask:
        on_dask, dask_wall, startup = _run_dask(count, points, order_name, workers)
        _report(f"parallel, Dask LocalCluster ({workers} worker processes)", on_dask, dask_wall)
        figures |= {
            "dask_wall_seconds": dask_wall,
            "dask_startup_seconds": startup,
            "parallel_efficiency_dask": sequential_wall / (workers * dask_wall),
        }

    print("\nratios (sequential run)")
    print(f"  warm refit faster than cold fit     {figures['warm_vs_cold_speedup']:8.2f} x")
    print(f"  append (Kalman update) vs warm refit {figures['append_vs_warm_speedup']:7.1f} x")
    print(f"  extend vs warm refit                {total('warm') / total('extend'):8.1f} x")
    print(f"  append vs cold fit                  {total('cold') / total('append'):8.1f} x")
    print(f"  update (scoring job) vs cold fit    {total('cold') / total('update'):8.1f} x")
    fitted = sum(row["ok"] for row in sequential)
    gaps = [row["warm_param_gap"] for row in sequential]
    print(f"  fits ok                             {fitted:8.0f} / {len(sequential)}")
    gap = f"{max(gaps):8.4f} (median {statistics.median(gaps):.4f})"
    print(f"  warm vs cold params, max |gap|      {gap}")
    print(f"  warnings captured                   {sum(r['warnings'] for r in sequential):8.0f}")
    formula = f"sequential / ({workers} x parallel)"
    for engine in ("local", "dask") if dask else ("local",):
        efficiency = figures[f"parallel_efficiency_{engine}"]
        print(f"  parallel efficiency, {engine:<5}         {efficiency:8.2f} ({formula})")
    if dask:
        print(f"  Dask cluster start and connect      {figures['dask_startup_seconds']:8.2f} s")
    return figures


def run(quick: bool = False) -> dict[str, float]:
    """The figures for the bench harness; quick: 20 series (about two minutes on 2 cores)."""
    return benchmark(20 if quick else 200)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=200, help="series to fit (default 200)")
    parser.add_argument("--points", type=int, default=180, help="months per series")
    parser.add_argument("--order", choices=sorted(ORDERS), default="full")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster phase")
    args = parser.parse_args(argv)
    benchmark(args.series, args.points, args.order, args.workers, dask=not args.no_dask)
    return 0


if __name__ == "__main__":
    sys.exit(main())
