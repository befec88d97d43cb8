"""The store's change token, on SQLite and PostgreSQL: it moves with every kind of write
the metrics snapshot reads, and with no other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl

from service.metrics.catalogue import JOB_DURATION_BUCKETS
from service.store import OBSERVATION_SCHEMA, OfficialRate, ReceivedFile, SeriesSpec, Store
from service.store.snapshot_token import read_change_token

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KEY = "remit.in.total.M"


def _observe(store: Store, value: float, at: datetime) -> None:
    frame = pl.DataFrame([(KEY, date(2025, 1, 1), value)], schema=OBSERVATION_SCHEMA, orient="row")
    store.write_series([SeriesSpec(KEY, "remittance", "M", "USD", {}, KEY)], frame, at)


def _run(store: Store) -> int:
    return store.record_model_run(
        series_key=KEY,
        kind="sarimax",
        status="ok",
        reason=None,
        spec=None,
        params=None,
        result={},
        last_period=date(2025, 1, 1),
        data_as_of=T0,
        fitted_at=T0,
        seconds=0.1,
    )


def _event(severity: str, status: str) -> dict[str, object]:
    return {
        "series": KEY,
        "start": "2025-01-01",
        "end": None if status == "open" else "2025-01-01",
        "period": "2025-01-01",
        "observed": 1.0,
        "expected": 2.0,
        "lower_95": 1.5,
        "upper_95": 2.5,
        "zscore": -4.0,
        "severity": severity,
        "status": status,
        "periods": 1,
    }


def _scoring(store: Store, run_id: int, **parts: object) -> None:
    store.save_scoring(
        series_key=KEY,
        model_run_id=run_id,
        forecast=parts.get("forecast"),  # type: ignore[arg-type]
        events=parts.get("events", []),  # type: ignore[arg-type]
        backtest=parts.get("backtest"),  # type: ignore[arg-type]
        at=T0,
    )


def _rates(store: Store, sha: str, value: str) -> None:
    received = ReceivedFile(name=f"{sha}.xml", source="rates", sha256=sha * 64, size=1)
    rate = OfficialRate(date(2025, 1, 2), "USD", 1, Decimal(value))
    store.ingest_rates_file(received, [rate], [], 1)


def _rejected(store: Store) -> None:
    received = ReceivedFile(name="x.csv", source="transfers", sha256="c" * 64, size=1)
    store.record_rejected_file(received, "bad")


POINT = {"period": "2025-02-01", "mean": 3.0, "lower_80": 2.0, "upper_80": 4.0}
POINT |= {"lower_95": 1.0, "upper_95": 5.0}
BACKTEST = {"series": KEY, "mase": 0.5, "coverage_80": 0.8, "coverage_95": 0.9}
BACKTEST |= {"beats_seasonal_naive": True, "n_forecasts": 12, "horizon": 1}
FORECAST = {"series": KEY, "origin": "2025-01-01", "points": [POINT]}


def test_every_write_the_snapshot_reads_moves_the_token(store: Store) -> None:
    state: dict[str, int] = {}
    past = T0 - timedelta(days=9)
    writes: list[tuple[str, Callable[[], object]]] = [
        ("a rates file", lambda: _rates(store, "a", "89.5")),
        ("a correction of that rate", lambda: _rates(store, "b", "89.7")),
        ("a rejected file", lambda: _rejected(store)),
        ("a series", lambda: _observe(store, 90.0, T0)),
        ("a corrected value dated in the past", lambda: _observe(store, 91.0, past)),
        ("a model run", lambda: state.update(run=_run(store))),
        ("a forecast", lambda: _scoring(store, state["run"], forecast=FORECAST)),
        ("a backtest", lambda: _scoring(store, state["run"], backtest=BACKTEST)),
        ("an event", lambda: _scoring(store, state["run"], events=[_event("warning", "open")])),
        ("graver", lambda: _scoring(store, state["run"], events=[_event("critical", "open")])),
        ("closed", lambda: _scoring(store, state["run"], events=[])),
        ("a job started", lambda: state.update(job=store.start_run("refit"))),
        ("finished", lambda: store.finish_run(state["job"], "ok")),
    ]
    token = read_change_token(store.engine)
    for name, write in writes:
        write()
        before, token = token, read_change_token(store.engine)
        assert token != before, name
        snapshot = store.metrics_snapshot(currencies=("USD",), duration_bounds=JOB_DURATION_BUCKETS)
        assert snapshot.change_token == token, name
    store.set_watermark("inbox", "w1")  # nothing the snapshot reads
    store.request_job("refit", "test")
    store.series_as_of(KEY)
    assert read_change_token(store.engine) == token
