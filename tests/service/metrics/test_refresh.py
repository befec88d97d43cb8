"""A cached collector re-reads the store after every kind of write that changes its
figures (the store's change token moves), and after no other."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import make_registry, render
from service.metrics.collector import MetricsRegistry
from service.store import OfficialRate, ReceivedFile, Store
from service.store.snapshot_records import MetricsSnapshot
from tests.fitted_sample import FittedSample, sample_settings

TOTAL = "remit.in.total.M"
#: Figures that differ between two collectors however current both are.
OWN = ("remitwatch_metrics_snapshot_seconds",)


class CountingStore(Store):
    """The real store, counting its full metrics reads."""

    reads = 0

    def metrics_snapshot(
        self, *, currencies: Sequence[str], duration_bounds: Sequence[float]
    ) -> MetricsSnapshot:
        self.reads += 1
        return super().metrics_snapshot(currencies=currencies, duration_bounds=duration_bounds)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def figures(registry: MetricsRegistry) -> dict[str, float]:
    """{remitwatch sample with its labels: value} of one scrape."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(render(registry).decode()):
        for sample in family.samples:
            if sample.name.startswith("remitwatch_") and sample.name not in OWN:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


@pytest.fixture
def store(fitted_sample: FittedSample, tmp_path: Path) -> Iterator[CountingStore]:
    database = tmp_path / "remitwatch.db"
    shutil.copy(fitted_sample.data_dir / "remitwatch.db", database)
    opened = CountingStore(Store.open(f"sqlite:///{database}").engine)
    yield opened
    opened.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _rates_file(store: Store) -> None:
    newest = store.current_rates().filter(pl.col("currency") == "USD")["rate_date"].max()
    assert isinstance(newest, date)
    received = ReceivedFile(name="fix.xml", source="rates", sha256="e" * 64, size=1)
    store.ingest_rates_file(received, [OfficialRate(newest, "USD", 1, Decimal("93.25"))], [], 1)


def _rejected_file(store: Store) -> None:
    received = ReceivedFile(name="bad.csv", source="transfers", sha256="d" * 64, size=1)
    store.record_rejected_file(received, "no header")


def _failed_fit(store: Store) -> None:
    store.record_model_run(
        series_key=TOTAL,
        kind="sarimax",
        status="failed",
        reason="test",
        spec=None,
        params=None,
        result={},
        last_period=None,
        data_as_of=None,
        fitted_at=_now(),
        seconds=1.0,
    )


def _corrected_series(store: Store) -> None:
    spec = store.find_series(TOTAL)
    assert spec is not None
    values = store.series_as_of(TOTAL).select("period", "value")
    corrected = values.with_columns(key=pl.lit(TOTAL), value=pl.col("value") * 1.01)
    store.write_series([spec], corrected.select("key", "period", "value"), _now())


def _event_of_total(store: Store, **changes: str) -> None:
    events = store.shock_events(series_key=TOTAL, limit=1000)
    assert events, "the sample has no shock event for the total"
    newest = {**events[0], **changes}
    store.save_scoring(
        series_key=TOTAL,
        model_run_id=1,
        forecast=None,
        events=[newest, *events[1:]],
        backtest=None,
        at=_now(),
    )


def _nothing(store: Store) -> None:
    pass


def _open_event(store: Store) -> None:
    _event_of_total(store, status="open", end="", severity="warning")


def _graver_event(store: Store) -> None:
    _event_of_total(store, status="open", end="", severity="critical")


def _started_run(store: Store) -> None:
    store.start_run("backtest")


def _finished_run(store: Store) -> None:
    (run,) = [r for r in store.recent_runs(job="backtest") if r.finished_at is None]
    store.finish_run(run.id, "failed", error="test")


Write = Callable[[Store], None]
CHANGES: list[tuple[str, Write, Write]] = [
    ("a rates file", _nothing, _rates_file),
    ("a rejected file", _nothing, _rejected_file),
    ("a failed fit", _nothing, _failed_fit),
    ("a corrected series", _nothing, _corrected_series),
    ("an event opened", _nothing, _open_event),
    ("an open event graver", _open_event, _graver_event),
    ("a job started", _nothing, _started_run),
    ("a job finished", _started_run, _finished_run),
]


@pytest.mark.parametrize(("before", "write"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_a_change_is_read_at_the_next_refresh(
    store: CountingStore, fitted_sample: FittedSample, before: Write, write: Write
) -> None:
    before(store)
    settings = sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 15})
    clock = Clock()
    cached = make_registry(store, settings, clock=clock)
    old = figures(cached)
    write(store)
    clock.now += timedelta(seconds=15)
    figures(cached)  # stale: starts the refresh
    assert cached.remitwatch.wait_for_refresh(timeout=60)
    assert store.reads == 2  # the change was seen: read again
    new = figures(cached)
    uncached = make_registry(
        store, sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 0}), clock=clock
    )
    assert new == figures(uncached)  # what a read now gives
    assert new != old


def test_writes_that_change_no_figure_cause_no_read(
    store: CountingStore, fitted_sample: FittedSample
) -> None:
    settings = sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 15})
    clock = Clock()
    cached = make_registry(store, settings, clock=clock)
    old = figures(cached)
    store.set_watermark("inbox", "2026-09-01")
    store.request_job("refit", "test")
    clock.now += timedelta(seconds=15)
    figures(cached)
    assert cached.remitwatch.wait_for_refresh(timeout=60)
    assert store.reads == 1
    new = figures(cached)
    assert new.pop("remitwatch_metrics_snapshot_age_seconds{}") == 0.0
    assert old.pop("remitwatch_metrics_snapshot_age_seconds{}") == 0.0
    ages = "remitwatch_data_age_seconds"
    assert {k: v - 15.0 if k.startswith(ages) else v for k, v in new.items()} == old
