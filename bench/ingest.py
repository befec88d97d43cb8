"""Bulk ingest benchmark: store writes against polars reading the same file alone.

Generates N transfer rows as CSV (seeded, unique keys), then measures in separate
processes, so each phase's peak memory is its own:

  read      polars read_csv of the file, all columns as text (the bare read)
  parse     read + validation in batches (remitwatch's parser, no database)
  sqlite    the whole ingest of the file (from its path, in batches) into a fresh SQLite store
  postgres  the same into a fresh database on a local PostgreSQL server

Prints rows per second, the ratio to the bare read, peak RSS and the CPU seconds the
phase used (its own process, all threads; for postgres also the server backend's), which
stay comparable when other work shares the machine and wall-clock rates do not. Figures,
not assertions: run it on the machine you care about. `run(quick)` returns the headline
figures for the bench harness: 1M and 10M rows (quick: 1M and 2M).

    python bench/ingest.py --rows 5000000
    python bench/ingest.py --rows 1000000,5000000 --no-postgres
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu_seconds(pids: set[int]) -> float:
    """CPU seconds of local PostgreSQL backends so far (0 where /proc cannot tell)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _phase(name: str, path: Path, url: str) -> dict[str, float]:
    """Run one phase in this process and return its figures."""
    import polars as pl
    from sqlalchemy import event

    from jobs.ingest_transfers import ingest_transfer_document
    from jobs.sources.transfer_batches import open_transfer_batches
    from service.store import Store

    backends: set[int] = set()
    server_cpu = 0.0
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if name == "read":
        rows = pl.read_csv(path, infer_schema=False).height
    elif name == "parse":
        opened = open_transfer_batches(path, str(path))
        rows = sum(batch.rows.height for batch in opened.batches())
    else:
        store = Store.open(url)
        store.upgrade()
        if name == "postgres":

            @event.listens_for(store.engine, "connect")
            def _note_backend(connection: Any, _record: Any) -> None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backends.add(cursor.fetchone()[0])

            store.engine.dispose()  # the next connection is a new backend, noted
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        outcome = ingest_transfer_document(store, str(path), path, {})
        rows = outcome.rows_new
        # Before closing: the backend (born in the ingest, so from 0 s) ends with its connection.
        server_cpu = _server_cpu_seconds(backends)
        store.close()
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu_s": _cpu_seconds() - cpu_started,
        "server_cpu_s": server_cpu,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_phase(name: str, path: Path, url: str = "") -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path), "--url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


@contextmanager
def _postgres() -> Iterator[str | None]:
    from tests.pg_server import find_bindir, running_server

    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL not installed (apt-get install postgresql): postgres phase skipped")
        yield None
        return
    with running_server(bindir) as server:
        yield server.admin_url


def _bench_file(rows: int) -> Path:
    from jobs.sample.generate import write_bench_csv

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"transfers_{rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_bench_csv(path, rows)
        print(
            f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
    return path


def _fresh_pg_database(admin_url: str, name: str) -> str:
    import psycopg

    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        default="5000000",
        help="rows per run; several comma-separated sizes show memory scaling",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL phase")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, Path(args.file), args.url)))
        return 0

    _measure([int(size) for size in args.rows.split(",")], postgres=not args.no_postgres)
    return 0


def _measure(sizes: list[int], postgres: bool = True) -> dict[int, dict[str, dict[str, float]]]:
    """Run every phase for each size; print a table; return figures by size and phase."""
    results: dict[int, dict[str, dict[str, float]]] = {}
    with _postgres() if postgres else _none() as pg_admin:
        print(
            f"{'rows':>10} {'phase':<9} {'seconds':>8} {'rows/s':>11} {'vs read':>8} {'peak MB':>8}"
            f" {'cpu s':>7} {'db cpu s':>8}"
        )
        for rows in sizes:
            path = _bench_file(rows)
            results[rows] = {}
            with tempfile.TemporaryDirectory() as tmp:
                phases = {
                    "read": "",
                    "parse": "",
                    "sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}",
                }
                if pg_admin:
                    phases["postgres"] = _fresh_pg_database(pg_admin, f"bench_{rows}")
                read_rate = 0.0
                for name, url in phases.items():
                    figures = _run_phase(name, path, url)
                    rate = figures["rows"] / figures["seconds"]
                    read_rate = read_rate or rate
                    figures = {**figures, "rate": rate, "vs_read": rate / read_rate}
                    results[rows][name] = figures
                    print(
                        f"{rows:>10} {name:<9} {figures['seconds']:>8.2f} {rate:>11,.0f} "
                        f"{rate / read_rate:>8.3f} {figures['peak_rss_mb']:>8.0f} "
                        f"{figures['cpu_s']:>7.2f} {figures['server_cpu_s']:>8.2f}",
                        flush=True,
                    )
    return results


def run(quick: bool = False) -> dict[str, float]:
    """Headline figures: store rows/s over polars' bare read rows/s at the larger size, and
    how peak RSS grows from 1M rows to the larger size (1.0 = flat), each phase in its own
    process."""
    small, big = 1_000_000, 2_000_000 if quick else 10_000_000
    results = _measure([small, big])
    figures: dict[str, float] = {}
    growths = []
    for store in ("sqlite", "postgres"):
        if store not in results[big]:
            continue
        figures[f"ingest_{store}_rows_per_s"] = results[big][store]["rate"]
        figures[f"ingest_{store}_vs_read_ratio"] = results[big][store]["vs_read"]
        growth = results[big][store]["peak_rss_mb"] / results[small][store]["peak_rss_mb"]
        figures[f"ingest_{store}_peak_rss_mb"] = results[big][store]["peak_rss_mb"]
        figures[f"ingest_{store}_peak_rss_growth"] = growth
        growths.append(growth)
    figures["ingest_read_rows_per_s"] = results[big]["read"]["rate"]
    figures["ingest_rows_big"] = float(big)
    # Named for the full run; in a quick run the big size is 2M rows.
    figures["ingest_peak_rss_growth_1m_to_10m"] = max(growths)
    return figures


@contextmanager
def _none() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
