"""Latency of a shock: from a bank report landing in the inbox to the shock on /metrics.

Builds the bundled sample with its models fitted, starts `remitwatch serve` on it with the
default schedule (the inbox watch every 20 s, the scrape cache of 15 s), then moves into
the inbox a report of 23 August to 30 September 2026 copied from the same days of 2025 at
40% of their amounts. It polls /metrics until the total's scored period is September and
its z-score is beyond the critical threshold, and prints the seconds that took. Figures,
not assertions.

    python bench/latency.py
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import polars as pl  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from bench.serve import build_sample, free_port  # noqa: E402

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
SAMPLE_2025 = ROOT / "jobs" / "sample" / "data" / "transfers_2025.parquet"
TOTAL = "remit.in.total.M"


def drop_report(path: Path) -> None:
    """23 August - 30 September 2026: the same days of 2025 at 40% of their amounts."""
    rows = pl.read_parquet(SAMPLE_2025).filter(
        pl.col("report_date").is_between(date(2025, 8, 23), date(2025, 9, 30))
    )
    rows.with_columns(
        pl.col("report_date").dt.offset_by("1y"),
        (pl.col("amount").cast(pl.Float64) * 0.4).round(2).cast(pl.Decimal(20, 2)),
    ).write_csv(path)


def shock_seen(base: str) -> bool:
    """True once the total's scored period is September 2026 and |z| is critical."""
    try:
        text = httpx.get(f"{base}/metrics", timeout=10).text
    except httpx.TransportError:
        return False
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("series") == TOTAL or sample.labels.get("severity") == "critical":
                values[sample.name] = sample.value
    september = datetime(2026, 9, 1, tzinfo=UTC).timestamp()
    return values.get("remitwatch_series_period_timestamp_seconds") == september and abs(
        values.get("remitwatch_shock_zscore", 0.0)
    ) >= values.get("remitwatch_shock_threshold_z", float("inf"))


def wait_until_serving(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("remitwatch serve did not answer within 120 s")


def run(quick: bool = False) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="remitwatch-bench-latency-"))
    try:
        data_dir = work / "var"
        print("building the fitted sample ...", flush=True)
        build_sample(data_dir)
        port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
        environment |= {
            "REMITWATCH_PATHS__DATA_DIR": str(data_dir),
            "REMITWATCH_LOGGING__LEVEL": "WARNING",
        }
        serve = subprocess.Popen(
            [REMITWATCH, "serve", "--port", str(port)], env=environment, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base)
            staged = work / "report.csv"
            drop_report(staged)
            (data_dir / "inbox").mkdir(parents=True, exist_ok=True)
            landed = time.monotonic()
            shutil.move(staged, data_dir / "inbox" / "report-2026-09.csv")
            while not shock_seen(base):
                if time.monotonic() - landed > 300:
                    raise SystemExit("the shock did not reach /metrics within 300 s")
                time.sleep(0.5)
            seconds = time.monotonic() - landed
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"file in the inbox -> shock on /metrics: {seconds:.1f} s", flush=True)
    return {"file_to_shock_metric_seconds": seconds}


if __name__ == "__main__":
    run()
