"""HTTP benchmark: /metrics scrape latency with 10, 100 and 1,000 monitored series, and
API observation queries per second, against a real `remitwatch api` on loopback.

Builds the bundled sample with its models fitted once (about half a minute), then for
each size clones the total's observations, model run, forecast, shock events and
backtest under extra monthly series keys, so that every series has the full set of
figures a real modelled series has. For each size it starts `remitwatch api` (uvicorn,
one process) on a free loopback port and measures with an asyncio httpx load generator:

  healthz    GET /healthz: the server's floor (baseline for the ratios)
  scrape     GET /metrics with metrics.cache_seconds = 0: every scrape reads the store
  query      GET /api/v1/series/{key}/observations for random series, 8 at a time
  cached     GET /metrics with the default cache (15 s): what Prometheus usually sees
  loaded     GET /metrics, 10 a second, while a second generator sends 50 observation
             queries a second (paced, not closed-loop); cache_seconds = 5 so that several
             snapshot refreshes fall inside the measurement (harsher than the default)
  lquery     the observation queries of that mixed load

Prints median and p99 latency, requests per second and the ratio to /healthz; `run()`
returns them as a dict (`metrics_p99_ms_1000_series` is the loaded /metrics p99).
Figures, not assertions; the machine is shared, so they are noisy.

    python bench/serve.py
    python bench/serve.py --sizes 10 100 --seconds 5
    python bench/serve.py --quick      # 1,000 series only, short runs (< 2 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import polars as pl  # noqa: E402

from jobs.executor import InlineExecutor  # noqa: E402
from jobs.ingest_sample import ingest_sample  # noqa: E402
from jobs.refit import run_models  # noqa: E402
from service.store import SeriesSpec, Store  # noqa: E402
from tests.fitted_sample import sample_settings  # noqa: E402

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
TOTAL = "remit.in.total.M"


@dataclass(frozen=True)
class Figures:
    name: str
    latencies: list[float]
    seconds: float
    errors: int = 0  # requests whose connection failed (counted, not timed)

    @property
    def median_ms(self) -> float:
        return 1000 * statistics.median(self.latencies)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


def build_sample(target: Path) -> None:
    settings = sample_settings(target)
    store = Store.open(settings.database_url)
    store.upgrade()
    ingest_sample(store, settings)
    run_models(store, settings, mode="select", executor=InlineExecutor())
    store.close()


def clone_series(store: Store, count: int) -> list[str]:
    """Add `count` copies of the total (scaled), each with the total's model figures."""
    run = store.latest_model_run(TOTAL)
    forecast = store.latest_forecast(TOTAL)
    events = store.shock_events(series_key=TOTAL, limit=10_000)
    backtest = next(b for b in store.latest_backtests() if b["series"] == TOTAL)
    assert run is not None and forecast is not None
    observed = store.series_as_of(TOTAL).select("period", "value")
    keys = [f"remit.in.country.Z{i:04d}.M" for i in range(count)]
    specs = [
        SeriesSpec(key, "remittance", "M", "USD", {"country": key.split(".")[3]}, "bench copy")
        for key in keys
    ]
    frames = [
        observed.with_columns(key=pl.lit(key), value=pl.col("value") * (0.5 + i / count))
        for i, key in enumerate(keys)
    ]
    now = datetime.now(UTC)
    store.write_series(specs, pl.concat(frames).select("key", "period", "value"), now)
    for key in keys:
        run_id = store.record_model_run(
            series_key=key,
            kind=run.kind,
            status=run.status,
            reason=run.reason,
            spec=run.spec,
            params=run.params,
            result={**run.result, "series": key},
            last_period=run.last_period,
            data_as_of=run.data_as_of,
            fitted_at=now,
            seconds=run.seconds,
        )
        store.save_scoring(
            series_key=key,
            model_run_id=run_id,
            forecast={**forecast, "series": key},
            events=[{**event, "series": key} for event in events],
            backtest={**backtest, "series": key},
            at=now,
        )
    return keys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(
    data_dir: Path, cache_seconds: float, max_series: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment |= {
        "REMITWATCH_PATHS__DATA_DIR": str(data_dir),
        "REMITWATCH_METRICS__CACHE_SECONDS": str(cache_seconds),
        "REMITWATCH_METRICS__MAX_SERIES": str(max_series),
        "REMITWATCH_LOGGING__LEVEL": "WARNING",
        # Capacity is measured: one load generator is one client, so no per-client limit.
        "REMITWATCH_API__RATE_LIMIT_PER_SECOND": "0",
    }
    process = subprocess.Popen(
        [REMITWATCH, "api", "--port", str(port)], env=environment, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("remitwatch api did not start within 60 s")


async def load(name: str, base: str, paths: list[str], seconds: float, concurrency: int) -> Figures:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(random.choice(paths))
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return Figures(name, latencies, time.perf_counter() - began)


async def paced(
    name: str, client: httpx.AsyncClient, paths: list[str], per_second: float, seconds: float
) -> Figures:
    """Requests started at a fixed rate whatever the answers take (an open-loop load)."""
    latencies: list[float] = []

    errors = 0

    async def one(path: str) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.TransportError:  # e.g. a keep-alive connection the server just closed
            errors += 1
            return
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    tasks = []
    for index in range(int(per_second * seconds)):
        await asyncio.sleep(max(0.0, began + index / per_second - time.perf_counter()))
        tasks.append(asyncio.create_task(one(random.choice(paths))))
    await asyncio.gather(*tasks)
    return Figures(name, latencies, time.perf_counter() - began, errors)


async def mixed(base: str, observations: list[str], seconds: float) -> list[Figures]:
    """/metrics 10 times a second (one at a time) beside 50 observation queries a second."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        (await client.get("/metrics")).raise_for_status()  # the first read is synchronous
        scrapes, queries = await asyncio.gather(
            load_one_by_one("loaded", client, "/metrics", 10.0, seconds),
            paced("lquery", client, observations, 50.0, seconds),
        )
    return [scrapes, queries]


async def load_one_by_one(
    name: str, client: httpx.AsyncClient, path: str, per_second: float, seconds: float
) -> Figures:
    """`path` at most `per_second` times a second, never two at once (as a scraper)."""
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    while (started := time.perf_counter()) < began + seconds:
        try:
            response = await client.get(path)
        except httpx.TransportError:  # e.g. a keep-alive connection the server just closed
            errors += 1
            continue
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(max(0.0, started + 1 / per_second - time.perf_counter()))
    return Figures(name, latencies, time.perf_counter() - began, errors)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def measure(
    data_dir: Path, keys: list[str], seconds: float, loaded_seconds: float
) -> list[Figures]:
    observations = [f"/api/v1/series/{key}/observations?limit=1000" for key in keys]
    results = []
    process, base = start_api(data_dir, cache_seconds=0, max_series=len(keys))
    try:
        results.append(asyncio.run(load("healthz", base, ["/healthz"], seconds, 1)))
        results.append(asyncio.run(load("scrape", base, ["/metrics"], seconds, 1)))
        results.append(asyncio.run(load("query", base, observations, seconds, 8)))
    finally:
        stop(process)
    process, base = start_api(data_dir, cache_seconds=15, max_series=len(keys))
    try:
        asyncio.run(load("warm", base, ["/metrics"], 0.1, 1))  # the first, synchronous read
        results.append(asyncio.run(load("cached", base, ["/metrics"], seconds, 1)))
    finally:
        stop(process)
    process, base = start_api(data_dir, cache_seconds=5, max_series=len(keys))
    try:
        results.extend(asyncio.run(mixed(base, observations, loaded_seconds)))
    finally:
        stop(process)
    return results


def run(
    quick: bool = False, sizes: tuple[int, ...] | None = None, seconds: float | None = None
) -> dict[str, float]:
    """Measure every size; {"<what>_<median|p99>_ms_<n>_series": ..., ...}. `quick`: the
    1,000-series store only, with short runs (under two minutes in all)."""
    sizes = sizes or ((1000,) if quick else (10, 100, 1000))
    seconds = seconds or (3.0 if quick else 6.0)
    loaded_seconds = 12.0 if quick else max(seconds, 20.0)
    found: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="remitwatch-bench-serve-"))
    try:
        print("building the fitted sample ...", flush=True)
        build_sample(work / "sample")
        header = ("series", "what", "median ms", "p99 ms", "req/s", "x healthz")
        print("{:>7} {:>8} {:>10} {:>8} {:>8} {:>10}".format(*header))
        for size in sizes:
            data_dir = work / f"size-{size}"
            shutil.copytree(work / "sample", data_dir)
            store = Store.open(f"sqlite:///{data_dir / 'remitwatch.db'}")
            modelled = [r.series_key for r in store.model_runs(limit=1000) if r.kind != "var"]
            extra = max(0, size - len(set(modelled)))
            keys = sorted(set(modelled)) + clone_series(store, extra)
            store.close()
            figures = measure(data_dir, keys, seconds, loaded_seconds)
            floor = figures[0].median_ms
            for f in figures:
                print(
                    f"{len(keys):>7} {f.name:>8} {f.median_ms:>10.2f} {f.p99_ms:>8.2f} "
                    f"{f.per_second:>8.1f} {f.median_ms / floor:>10.1f}",
                    flush=True,
                )
                found[f"{f.name}_median_ms_{size}_series"] = round(f.median_ms, 2)
                found[f"{f.name}_p99_ms_{size}_series"] = round(f.p99_ms, 2)
                found[f"{f.name}_per_second_{size}_series"] = round(f.per_second, 1)
                if f.errors:
                    print(f"        {f.name}: {f.errors} connection errors", flush=True)
                    found[f"{f.name}_errors_{size}_series"] = float(f.errors)
            if size == 1000:
                found["metrics_p99_ms_1000_series"] = found["loaded_p99_ms_1000_series"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--seconds", type=float, default=None, help="per measurement")
    parser.add_argument("--quick", action="store_true", help="1,000 series, short runs")
    args = parser.parse_args()
    sizes = tuple(args.sizes) if args.sizes else None
    print(run(quick=args.quick, sizes=sizes, seconds=args.seconds))


if __name__ == "__main__":
    main()
