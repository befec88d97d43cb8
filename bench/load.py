"""Load benchmark: `remitwatch serve` held at 200 API requests a second and one /metrics
scrape a second while its scheduled jobs run, for five minutes, on loopback.

Builds the bundled sample with its models fitted (about half a minute) and starts
`remitwatch serve` (the API, with the scheduler in a child process) on it, with a read
token for the
analysts and an admin token, no per-client rate limit (one generator is one client),
the inbox watched every 5 s and requests polled every 2 s. While the load runs, a new
day's transfer report lands in the inbox every 20 s (ingest, then scoring) and a job
is requested through `POST /api/v1/jobs/{job}/requests` every 30 s (score, refit,
ingest_transfers in turn).

The load is open-loop: API requests start at a fixed rate whatever the answers take,
spread over the read routes analysts use (series list, observations as JSON and CSV,
forecasts, shocks, impact, backtests, job runs); /metrics is scraped once a second, one
scrape at a time, as Prometheus does. At most 100 API requests are in flight: one due
beyond that is not sent and counted as an error (shed), so a server that cannot hold the
rate shows as errors, not as a queue inside the generator. It records requests sent,
errors by kind (shed, non-2xx, transport), the achieved send rate and how late the
generator started its requests (it says when it lagged), median / p99 / max latency per
route, the RSS of the API process and of the scheduler process every second (VmRSS of
/proc/<pid>/status; the fit workers are not counted) with the medians of the first and
last minute (the first and last third when the run is shorter than three minutes) and
their ratio, for each and for both together (the goal), and the job runs recorded during
the load. The requests go through bench.lean_http on uvloop. Server and generator share
the machine's cores. Figures, not assertions.

    python bench/load.py                 # 300 s
    python bench/load.py --seconds 60
    python bench/load.py --seconds 60 --rate 50    # a lighter load
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import polars as pl  # noqa: E402
import uvloop  # noqa: E402

from bench.http_load import (  # noqa: E402
    Tally,
    cpu_seconds,
    one_by_one,
    paced,
    quantile_ms,
    sample_rss,
    scheduler_pid,
    spans,
    timed_get,
)
from bench.latency import SAMPLE_2025, wait_until_serving  # noqa: E402
from bench.lean_http import LeanClient  # noqa: E402
from bench.serve import REMITWATCH, build_sample, free_port  # noqa: E402
from service.store import Store  # noqa: E402
from tests.fitted_sample import SAMPLE_MODEL_TOML  # noqa: E402

API_PER_SECOND = 200.0
SCRAPE_SECONDS = 1.0
DROP_SECONDS = 20.0
REQUEST_SECONDS = 30.0
#: Requests in flight at most (one connection each); beyond it requests are shed.
MAX_OUTSTANDING = 100
REQUESTED_JOBS = ("score", "refit", "ingest_transfers")
#: The first day after the bundled sample; each dropped report is one later day.
FIRST_NEW_DAY = date(2026, 8, 23)
#: Share of the API requests each route gets.
ROUTE_WEIGHTS = {
    "series": 10,
    "observations": 30,
    "observations_csv": 15,
    "forecast": 15,
    "shocks": 10,
    "impact": 5,
    "backtests": 5,
    "job_runs": 10,
}


def route_paths(series: list[str], modelled: list[str]) -> dict[str, list[str]]:
    api = "/api/v1"
    return {
        "series": [f"{api}/series?limit=1000"],
        "observations": [f"{api}/series/{key}/observations?limit=1000" for key in series],
        "observations_csv": [
            f"{api}/series/{key}/observations?format=csv&limit=1000" for key in series
        ],
        "forecast": [f"{api}/series/{key}/forecast" for key in modelled],
        "shocks": [f"{api}/shocks?limit=100"],
        "impact": [f"{api}/impact"],
        "backtests": [f"{api}/backtests"],
        "job_runs": [f"{api}/jobs/runs?limit=50"],
    }


def route_picker(paths: dict[str, list[str]]) -> Callable[[], tuple[str, str]]:
    """Draws (route, path): a route by ROUTE_WEIGHTS, then one of its paths at random."""
    routes, weights = list(ROUTE_WEIGHTS), list(ROUTE_WEIGHTS.values())

    def pick() -> tuple[str, str]:
        route = random.choices(routes, weights)[0]
        return route, random.choice(paths[route])

    return pick


async def drive_jobs(
    client: httpx.AsyncClient, admin: str, drop: Callable[[int], None], seconds: float, tally: Tally
) -> int:
    """A new day's report in the inbox every DROP_SECONDS, a job request every
    REQUEST_SECONDS; returns the number of reports dropped."""
    began = time.perf_counter()
    dropped = requested = 0
    headers = {"Authorization": f"Bearer {admin}"}
    while time.perf_counter() < began + seconds:
        elapsed = time.perf_counter() - began
        if elapsed >= dropped * DROP_SECONDS:
            await asyncio.to_thread(drop, dropped)
            dropped += 1
        if elapsed >= (requested + 0.5) * REQUEST_SECONDS:
            job = REQUESTED_JOBS[requested % len(REQUESTED_JOBS)]
            try:
                response = await client.post(f"/api/v1/jobs/{job}/requests", headers=headers)
                if response.status_code != 202:
                    tally.errors[f"job request: HTTP {response.status_code}"] += 1
            except httpx.TransportError as exc:
                tally.errors[f"job request: {type(exc).__name__}"] += 1
            requested += 1
        await asyncio.sleep(0.5)
    return dropped


@dataclass
class Measured:
    api: Tally
    metrics: Tally
    rate: float  # API requests due per second
    sending_seconds: float
    elapsed_seconds: float  # until the last answer
    rss: list[tuple[float, float]]
    scheduler_rss: list[tuple[float, float]]
    reports_dropped: int
    server_cpu: float
    scheduler_cpu: float
    generator_cpu: float


async def measure(
    base: str,
    pid: int,
    paths: dict[str, list[str]],
    tokens: tuple[str, str],
    drop: Callable[[int], None],
    seconds: float,
    rate: float,
) -> Measured:
    read, admin = tokens
    api, metrics = Tally(), Tally()
    rss: list[tuple[float, float]] = []
    scheduler_rss: list[tuple[float, float]] = []
    scheduler = scheduler_pid(pid)
    headers = {"Authorization": f"Bearer {read}"}
    async with (
        LeanClient(base, headers, max_connections=MAX_OUTSTANDING) as client,
        httpx.AsyncClient(base_url=base, timeout=30) as jobs_client,
    ):
        for route in ROUTE_WEIGHTS:  # warm: the first answer of each path is not counted
            for path in paths[route]:
                await timed_get(client, route, path, Tally())
        await timed_get(client, "metrics", "/metrics", Tally())
        server_cpu, generator_cpu = cpu_seconds(pid), time.process_time()
        scheduler_cpu = cpu_seconds(scheduler)
        began = time.perf_counter()
        sending, _, _, _, dropped = await asyncio.gather(
            paced(client, route_picker(paths), rate, seconds, MAX_OUTSTANDING, api),
            one_by_one(base, "metrics", "/metrics", SCRAPE_SECONDS, seconds, metrics),
            sample_rss(pid, seconds, rss),
            sample_rss(scheduler, seconds, scheduler_rss),
            drive_jobs(jobs_client, admin, drop, seconds, api),
        )
        elapsed = time.perf_counter() - began
        server_cpu = (cpu_seconds(pid) - server_cpu) / elapsed
        scheduler_cpu = (cpu_seconds(scheduler) - scheduler_cpu) / elapsed
        generator_cpu = (time.process_time() - generator_cpu) / elapsed
    return Measured(
        api,
        metrics,
        rate,
        sending,
        elapsed,
        rss,
        scheduler_rss,
        dropped,
        server_cpu,
        scheduler_cpu,
        generator_cpu,
    )


def report_writer(inbox: Path, staging: Path) -> Callable[[int], None]:
    """A function writing the report of day FIRST_NEW_DAY + n into the inbox: the same
    day of 2025 moved a year on (written aside, then renamed in, as a bank upload is)."""
    year_before = pl.read_parquet(SAMPLE_2025).filter(pl.col("report_date") >= date(2025, 8, 23))

    def drop(n: int) -> None:
        day = FIRST_NEW_DAY + timedelta(days=n)
        rows = year_before.filter(pl.col("report_date") == day.replace(year=2025))
        staged = staging / f"transfers-{day}.csv"
        rows.with_columns(pl.col("report_date").dt.offset_by("1y")).write_csv(staged)
        os.replace(staged, inbox / staged.name)

    return drop


def start_serve(
    work: Path, data_dir: Path, tokens: tuple[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    entries = ", ".join(
        f'{{ name = "{name}", sha256 = "{hashlib.sha256(token.encode()).hexdigest()}", '
        f'scope = "{name}" }}'
        for name, token in zip(("read", "admin"), tokens, strict=True)
    )
    config = work / "remitwatch.toml"
    config.write_text(f"{SAMPLE_MODEL_TOML}\n[api]\ntokens = [{entries}]\n")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment |= {
        "REMITWATCH_PATHS__DATA_DIR": str(data_dir),
        "REMITWATCH_LOGGING__LEVEL": "WARNING",
        "REMITWATCH_API__RATE_LIMIT_PER_SECOND": "0",
        "REMITWATCH_SCHEDULER__WATCH_INBOX__EVERY_SECONDS": "5",
        "REMITWATCH_SCHEDULER__REQUEST_POLL_SECONDS": "2",
        "REMITWATCH_COMPUTE__WORKERS": "2",  # the default: fits in two worker processes
    }
    process = subprocess.Popen(
        [REMITWATCH, "--config", str(config), "serve", "--port", str(port)],
        env=environment,
        stderr=(work / "serve.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base)
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM; jobs in flight (a refit) finish first, so allow them time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=180)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def job_runs_since(data_dir: Path, since: datetime) -> Counter[str]:
    store = Store.open(f"sqlite:///{data_dir / 'remitwatch.db'}")
    try:
        runs = store.recent_runs(limit=10_000)
    finally:
        store.close()
    found: Counter[str] = Counter()
    for job_run in runs:
        started = job_run.started_at
        if (started if started.tzinfo else started.replace(tzinfo=UTC)) >= since:
            found[f"{job_run.job} {job_run.status}"] += 1
    return found


def rss_figures(samples: list[tuple[float, float]], seconds: float) -> tuple[float, float, float]:
    """Median RSS (MB) of the first and the last minute (third, for runs under 3 minutes)
    and the largest sample."""
    window = min(60.0, seconds / 3)
    first = [mb for at, mb in samples if at < window]
    last = [mb for at, mb in samples if at >= seconds - window]
    return statistics.median(first), statistics.median(last), max(mb for _, mb in samples)


def by_minute(samples: list[tuple[float, float]]) -> list[float]:
    """Median RSS (MB) of each whole or part minute, in order: a plateau or a slope."""
    minutes: dict[int, list[float]] = {}
    for at, mb in samples:
        minutes.setdefault(int(at // 60), []).append(mb)
    return [statistics.median(minutes[m]) for m in sorted(minutes)]


def print_table(measured: Measured) -> None:
    print(f"{'route':>17} {'answered':>9} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    rows = [*measured.api.latencies.items(), *measured.metrics.latencies.items()]
    for route, values in sorted(rows, key=lambda row: -len(row[1])):
        print(
            f"{route:>17} {len(values):>9} {quantile_ms(values, 0.5):>10.1f} "
            f"{quantile_ms(values, 0.99):>8.1f} {quantile_ms(values, 1.0):>8.1f}"
        )
    errors = measured.api.errors + measured.metrics.errors
    for kind, count in sorted(errors.items()):
        print(f"  error {kind}: {count}")


def run(
    quick: bool = False, seconds: float | None = None, rate: float = API_PER_SECOND
) -> dict[str, float]:
    """Hold the load for `seconds` (300; 30 when `quick`); {"load_<figure>": ...}."""
    seconds = seconds or (30.0 if quick else 300.0)
    tokens = (secrets.token_urlsafe(24), secrets.token_urlsafe(24))
    work = Path(tempfile.mkdtemp(prefix="remitwatch-bench-load-"))
    try:
        data_dir = work / "var"
        print("building the fitted sample ...", flush=True)
        build_sample(data_dir)
        store = Store.open(f"sqlite:///{data_dir / 'remitwatch.db'}")
        series = [summary.spec.key for summary in store.list_series()]
        modelled = sorted({r.series_key for r in store.model_runs(limit=1000) if r.kind != "var"})
        store.close()
        (data_dir / "inbox").mkdir(parents=True, exist_ok=True)
        (work / "staging").mkdir()
        drop = report_writer(data_dir / "inbox", work / "staging")
        process, base = start_serve(work, data_dir, tokens)
        try:
            print(
                f"{len(series)} series ({len(modelled)} modelled); {rate:.0f} API "
                f"requests/s and 1 scrape/s for {seconds:.0f} s on {os.cpu_count()} cores "
                "shared by server and generator ...",
                flush=True,
            )
            since = datetime.now(UTC)
            measured = uvloop.run(
                measure(
                    base, process.pid, route_paths(series, modelled), tokens, drop, seconds, rate
                )
            )
        finally:
            stop(process)
        runs = job_runs_since(data_dir, since)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summarise(measured, runs, seconds)


def summarise(measured: Measured, runs: Counter[str], seconds: float) -> dict[str, float]:
    print_table(measured)
    due, shed = len(measured.api.send_lags), measured.api.shed()
    due_rate = due / measured.sending_seconds
    send_rate = (due - shed) / measured.sending_seconds
    lag_p99 = quantile_ms(measured.api.send_lags, 0.99)
    print(
        f"generator: {due} API requests due at {due_rate:.1f}/s (goal {measured.rate:.0f}), "
        f"{due - shed} sent ({send_rate:.1f}/s), {shed} shed with {MAX_OUTSTANDING} in flight; "
        f"start lag p99 {lag_p99:.1f} ms, max {quantile_ms(measured.api.send_lags, 1.0):.1f} ms; "
        f"CPU {measured.generator_cpu:.2f} cores; server CPU: API {measured.server_cpu:.2f} "
        f"cores, scheduler {measured.scheduler_cpu:.2f} (of {os.cpu_count()}, without the fit "
        "workers)"
    )
    if shed:
        print(
            "shed at (s into the run): "
            + ", ".join(f"{a:.1f}-{b:.1f} ({n})" for a, b, n in spans(measured.api.shed_at))
        )
    if due_rate < 0.98 * measured.rate or lag_p99 > 100:
        worst = measured.api.send_lags.index(max(measured.api.send_lags)) / measured.rate
        print(
            "generator LAGGED: it did not start its requests on time (the worst due "
            f"{worst:.0f} s into the run); latencies understate"
        )
    both = [
        (at, api_mb + scheduler_mb)
        for (at, api_mb), (_, scheduler_mb) in zip(
            measured.rss, measured.scheduler_rss, strict=False
        )
    ]
    figures = {
        name: rss_figures(samples, seconds)
        for name, samples in (
            ("API", measured.rss),
            ("scheduler", measured.scheduler_rss),
            ("both", both),
        )
    }
    for name, (start_mb, end_mb, peak_mb) in figures.items():
        print(
            f"RSS of {name}: first {start_mb:.0f} MB, last {end_mb:.0f} MB "
            f"(x{end_mb / start_mb:.2f}), peak {peak_mb:.0f} MB"
        )
    for name, samples in (("API", measured.rss), ("scheduler", measured.scheduler_rss)):
        minutes = " ".join(f"{mb:.0f}" for mb in by_minute(samples))
        print(f"RSS of {name} by minute (MB): {minutes}")
    print(f"{measured.reports_dropped} reports dropped in the inbox")
    start_mb, end_mb, peak_mb = figures["both"]
    api_start, api_end, api_peak = figures["API"]
    print(
        "job runs during the load: "
        + (", ".join(f"{k} x{n}" for k, n in sorted(runs.items())) or "none")
    )
    api = measured.api.all_latencies()
    scrapes = measured.metrics.all_latencies()
    failed = sum(n for kind, n in runs.items() if not kind.endswith(" ok"))
    return {
        "load_seconds": seconds,
        "load_api_requests": float(due - shed),
        "load_api_shed": float(shed),
        "load_api_rps": round(send_rate, 1),
        "load_api_answered_rps": round(len(api) / measured.elapsed_seconds, 1),
        "load_generator_lag_p99_ms": round(lag_p99, 1),
        "load_api_median_ms": round(quantile_ms(api, 0.5), 1),
        "load_api_p99_ms": round(quantile_ms(api, 0.99), 1),
        "load_api_max_ms": round(quantile_ms(api, 1.0), 1),
        "load_metrics_scrapes": float(len(scrapes)),
        "load_metrics_median_ms": round(quantile_ms(scrapes, 0.5), 1),
        "load_metrics_p99_ms": round(quantile_ms(scrapes, 0.99), 1),
        "load_metrics_max_ms": round(quantile_ms(scrapes, 1.0), 1),
        "load_errors": float(
            sum(measured.api.errors.values()) + sum(measured.metrics.errors.values())
        ),
        "load_rss_mb_start": round(start_mb, 1),
        "load_rss_mb_end": round(end_mb, 1),
        "load_rss_mb_peak": round(peak_mb, 1),
        "load_rss_growth": round(end_mb / start_mb, 3),
        "load_api_rss_mb_start": round(api_start, 1),
        "load_api_rss_mb_end": round(api_end, 1),
        "load_api_rss_mb_peak": round(api_peak, 1),
        "load_api_rss_growth": round(api_end / api_start, 3),
        "load_job_runs": float(sum(runs.values())),
        "load_job_runs_failed": float(failed),
        "load_server_cpu_cores": round(measured.server_cpu, 2),
        "load_scheduler_cpu_cores": round(measured.scheduler_cpu, 2),
        "load_generator_cpu_cores": round(measured.generator_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=API_PER_SECOND, help="API requests/s")
    args = parser.parse_args()
    print(run(seconds=args.seconds, rate=args.rate))


if __name__ == "__main__":
    main()
