"""Run every benchmark and write bench/results/latest.json with the figures and the goals.

Each benchmark module exposes `run(quick) -> dict[str, float]` (named figures measured in
that run). This script calls them in turn, prints each figure beside its goal, and writes
them all, with the machine and the time, to bench/results/latest.json. A goal that a
benchmark did not measure is listed as missing. Figures, not assertions: the exit code is
0 whatever they are, unless a benchmark crashed.

    python bench/run.py            # everything (`make bench`)
    python bench/run.py --quick    # smaller sizes, to try the harness
    python bench/run.py --only bench.peers bench.fit   # these again, merged into the file

With --only, the figures of the benchmarks run replace theirs in latest.json and the
others are kept; `measured_at_per_benchmark` says when each benchmark last ran (each
benchmark's ratios are always measured within one run of it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "latest.json"
#: The benchmarks, in the order they run.
MODULES = (
    "bench.peers",
    "bench.fit",
    "bench.scale",
    "bench.ingest",
    "bench.serve",
    "bench.latency",
    "bench.load",
)
#: Named goals: (comparison, threshold). "<=" and "<" mean lower is better.
GOALS: dict[str, tuple[str, float]] = {
    "refit_warm_vs_statsforecast_ratio": ("<=", 1.0),
    "autoselect_speedup_vs_autoarima": (">=", 5.0),
    "update_vs_cold_fit_speedup": (">=", 100.0),
    "score_1000_series_seconds": ("<", 30.0),
    "parallel_efficiency_local": (">=", 0.85),
    "parallel_efficiency_dask": (">=", 0.85),
    "ingest_postgres_vs_read_ratio": (">=", 0.25),
    "ingest_sqlite_vs_read_ratio": (">=", 0.1),
    "ingest_peak_rss_growth_1m_to_10m": ("<=", 1.2),
    "metrics_p99_ms_1000_series": ("<", 100.0),
    "file_to_shock_metric_seconds": ("<", 60.0),
    "load_errors": ("<=", 0.0),
    "load_rss_growth": ("<=", 1.2),
}


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "missing"
    comparison, threshold = GOALS[name]
    met = {
        "<=": value <= threshold,
        "<": value < threshold,
        ">=": value >= threshold,
    }[comparison]
    return "met" if met else "missed"


def _previous() -> dict[str, Any]:
    """The last results file, or nothing (then --only writes just what it ran)."""
    try:
        loaded: dict[str, Any] = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}
    return loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="e.g. bench.serve")
    args = parser.parse_args()
    previous = _previous() if args.only else {}
    figures: dict[str, float] = dict(previous.get("figures", {}))
    seconds: dict[str, float] = dict(previous.get("seconds_per_benchmark", {}))
    stamp = str(previous.get("measured_at", ""))
    when: dict[str, str] = dict.fromkeys(seconds, stamp)
    when |= previous.get("measured_at_per_benchmark", {})
    produced: dict[str, list[str]] = dict(previous.get("figures_per_benchmark", {}))
    crashed: list[str] = []
    for name in args.only or MODULES:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            measured = importlib.import_module(name).run(quick=args.quick)
            figures.update(measured)
            produced[name] = sorted(measured)
        except Exception:
            traceback.print_exc()
            crashed.append(name)
        seconds[name] = round(time.perf_counter() - started, 1)
        when[name] = datetime.now(UTC).isoformat(timespec="seconds")
    goals = {
        name: {
            "goal": f"{comparison} {threshold}",
            "value": figures.get(name),
            "verdict": verdict(name, figures.get(name)),
        }
        for name, (comparison, threshold) in GOALS.items()
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "quick": args.quick,
                "seconds_per_benchmark": seconds,
                "measured_at_per_benchmark": when,
                "figures_per_benchmark": produced,
                "figures": figures,
                "goals": goals,
                "crashed": crashed,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\n{'figure':<40} {'value':>12} {'goal':>10}  verdict")
    for name, goal in goals.items():
        value = "-" if goal["value"] is None else f"{goal['value']:.3g}"
        print(f"{name:<40} {value:>12} {goal['goal']:>10}  {goal['verdict']}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
