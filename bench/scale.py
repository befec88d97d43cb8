"""Scale in simulation: a multi-corridor world refitted on the local pool and on Dask.

Builds a world of 50 sending countries x 20 transfer systems (1,000 corridors) with ten
years of daily inflows (seasonal, trending, with noise and a 2020-style trough; seeded),
aggregated to monthly series: 1,000 corridors, 50 countries, 20 systems and the total.

Refit: a sample of the corridors gets a full refit with order selection (the default
grid of 15 orders, AICc: what `remitwatch fit` does for a new series) through
remitwatch's executors:

  sequential  one process (the baseline for the efficiencies)
  local       make_executor(compute.executor = "local", workers = 2)
  dask        make_executor(compute.executor = <a LocalCluster's tcp:// address>),
              2 worker processes of one thread each, on loopback

Scoring: every series of the world (1,071) is fitted at the airline order
((0,1,1)(0,1,1,12)) on all months but the last (on the local pool), scored once, then
scored again when the last month arrives, in one process as the scheduler's scoring job
does (`run_series` in "update" mode: forecast, one-step predictions, shock scoring and
events, no store). The first scoring filters every series whole; the second only the
new month.

Reports wall times, parallel efficiency, series per core-hour and what those mean for
the whole world and for 10k and 100k series (deploy/scaling.md turns them into a
capacity plan). Figures, not assertions.

    python bench/scale.py --sample 200
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from config.settings import ComputeSettings  # noqa: E402
from jobs.executor import make_executor  # noqa: E402
from models.sarimax import SarimaxFit  # noqa: E402
from models.series import DatedSeries  # noqa: E402

COUNTRIES, SYSTEMS, YEARS = 50, 20, 10
SEED = 20260201
CORES = 2


def world_monthly() -> np.ndarray:
    """Monthly USD inflows of every corridor: shape (countries * systems, 12 * YEARS)."""
    rng = np.random.default_rng(SEED)
    days = np.arange(np.datetime64("2016-01-01"), np.datetime64(f"{2016 + YEARS}-01-01"))
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    years = (days - days[0]).astype(int) / 365.25
    season = 1 + 0.25 * np.sin(2 * np.pi * (day_of_year - 100) / 365.25)
    trough = np.where(
        (days >= np.datetime64("2020-04-01")) & (days < np.datetime64("2020-06-01")), 0.55, 1.0
    )
    country = rng.pareto(1.2, COUNTRIES) + 0.05
    system = rng.dirichlet(np.ones(SYSTEMS))
    growth = rng.normal(0.04, 0.03, COUNTRIES * SYSTEMS)
    scale = np.outer(country, system).ravel() * 2e6
    daily = (
        scale[:, None]
        * season[None, :]
        * trough[None, :]
        * np.exp(growth[:, None] * years[None, :])
        * rng.lognormal(0.0, 0.15, (COUNTRIES * SYSTEMS, days.size))
    )
    months = days.astype("datetime64[M]")
    edges = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    return np.add.reduceat(daily, edges, axis=1)


def _series(values: np.ndarray, key: str = "corridor.M") -> DatedSeries:
    periods = (np.datetime64("2016-01", "M") + np.arange(values.size)).astype("datetime64[D]")
    return DatedSeries(key, "M", periods, values)


def select_corridor(values: np.ndarray) -> float:
    """Seconds of a full refit with order selection of one monthly series (log level)."""
    from models.sarimax import OrderGrid, select_and_fit

    started = time.perf_counter()
    fit = select_and_fit(_series(values), OrderGrid())
    if not fit.ok:
        raise RuntimeError(fit.reason)
    return time.perf_counter() - started


def fit_airline(values: np.ndarray) -> SarimaxFit:
    from models.sarimax import SarimaxSpec, fit_spec

    return fit_spec(_series(values), SarimaxSpec((0, 1, 1), (0, 1, 1, 12)))


def timed_map(executor: Executor, rows: list[np.ndarray]) -> float:
    started = time.perf_counter()
    list(executor.map(select_corridor, rows))
    return time.perf_counter() - started


def _refit(rows: list[np.ndarray]) -> dict[str, float]:
    from distributed import LocalCluster

    count = len(rows)
    select_corridor(rows[0])  # warm-up: imports
    sequential = sum(select_corridor(row) for row in rows)
    local = make_executor(ComputeSettings(executor="local", workers=CORES))
    try:
        timed_map(local, rows[:CORES])  # start the workers
        local_wall = timed_map(local, rows)
    finally:
        local.shutdown()
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=CORES,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask = make_executor(ComputeSettings(executor=cluster.scheduler_address))
        try:
            timed_map(dask, rows[:CORES])
            dask_wall = timed_map(dask, rows)
        finally:
            dask.shutdown()
    return {
        "scale_seconds_per_series": sequential / count,
        "scale_local_wall_seconds": local_wall,
        "scale_dask_wall_seconds": dask_wall,
        "scale_efficiency_local": sequential / (CORES * local_wall),
        "scale_efficiency_dask": sequential / (CORES * dask_wall),
        "scale_series_per_core_hour_local": count / (local_wall * CORES) * 3600,
        "scale_series_per_core_hour_dask": count / (dask_wall * CORES) * 3600,
    }


def world_series(monthly: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Every monthly series of the world: corridors, countries, systems and the total."""
    cube = monthly.reshape(COUNTRIES, SYSTEMS, -1)
    named = [(f"corridor.{i}.M", row) for i, row in enumerate(monthly)]
    named += [(f"country.{c}.M", cube[c].sum(axis=0)) for c in range(COUNTRIES)]
    named += [(f"system.{s}.M", cube[:, s].sum(axis=0)) for s in range(SYSTEMS)]
    return [*named, ("total.M", monthly.sum(axis=0))]


def _score_all(
    fits: list[SarimaxFit], named: list[tuple[str, np.ndarray]], months: int
) -> tuple[float, int]:
    """Seconds to score every series on its first `months` months; shock events found."""
    from jobs.series_model import SeriesTask, run_series
    from models.sarimax import OrderGrid
    from models.shocks import ShockRule

    started = time.perf_counter()
    events = 0
    for fit, (key, values) in zip(fits, named, strict=True):
        task = SeriesTask(
            series=_series(values[:months], key),
            grid=OrderGrid(),
            season=12,
            rule=ShockRule(),
            horizon=12,
            mode="update",
            previous=replace(fit, series=key),
        )
        outcome = run_series(task)
        if outcome.forecast is None or outcome.forecast.status != "ok":
            raise RuntimeError(f"{key}: scoring failed")
        events += len(outcome.events)
    return time.perf_counter() - started, events


def _scoring(monthly: np.ndarray) -> dict[str, float]:
    named = world_series(monthly)
    months = monthly.shape[1]
    local = make_executor(ComputeSettings(executor="local", workers=CORES))
    try:
        started = time.perf_counter()
        fits = list(local.map(fit_airline, [values[: months - 1] for _, values in named]))
        fit_wall = time.perf_counter() - started
    finally:
        local.shutdown()
    first, _ = _score_all(fits, named, months - 1)
    second, events = _score_all(fits, named, months)
    count = len(named)
    print(f"  fitted {count} series at the airline order in {fit_wall:.1f} s on {CORES} workers")
    return {
        "score_world_series": float(count),
        "score_world_first_seconds": first,
        "score_world_new_month_seconds": second,
        "score_1000_series_seconds": second * 1000 / count,
        "score_world_fit_wall_seconds": fit_wall,
        "score_world_events": float(events),
    }


def run(quick: bool = False, sample: int | None = None) -> dict[str, float]:
    monthly = world_monthly()
    count = sample or (24 if quick else 120)
    rows = [
        monthly[i] for i in np.random.default_rng(SEED).choice(len(monthly), count, replace=False)
    ]
    total_series = COUNTRIES * SYSTEMS + COUNTRIES + SYSTEMS + 1
    print(f"world: {len(monthly)} corridors x {monthly.shape[1]} months; refitting {count}")
    figures = _refit(rows) | {"scale_world_series": float(total_series)}
    figures |= _scoring(monthly)
    for key, value in figures.items():
        print(f"  {key:<36} {value:12.3f}")
    per_core_hour = figures["scale_series_per_core_hour_dask"]
    for series in (total_series, 10_000, 100_000):
        core_hours = series / per_core_hour
        print(
            f"  {series:>7} series: {core_hours:8.1f} core-hours of refit with selection; "
            f"{int(np.ceil(core_hours / 2))} cores for a 2-hour refit window"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=120, help="corridors refitted with selection")
    run(sample=parser.parse_args().sample)


if __name__ == "__main__":
    main()
