"""The snapshot cache: one read per cache_seconds, made in the background after the first,
so that a scrape is never held up by the store once it has figures to show."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from service.metrics import make_registry, render
from service.metrics.cache import SnapshotCache
from service.metrics.catalogue import JOB_DURATION_BUCKETS
from service.metrics.collector import MetricsRegistry
from service.store import Store
from service.store.snapshot_records import MetricsSnapshot
from tests.fitted_sample import FittedSample, sample_settings


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class GatedStore(Store):
    """The real store whose metrics read first waits for `gate` (a slow store)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.gate = threading.Event()
        self.gate.set()
        self.reads = 0

    def metrics_snapshot(
        self, *, currencies: Sequence[str], duration_bounds: Sequence[float]
    ) -> MetricsSnapshot:
        self.reads += 1
        assert self.gate.wait(timeout=60), "the test never opened the gate"
        return super().metrics_snapshot(currencies=currencies, duration_bounds=duration_bounds)


Samples = dict[str, float]


def scrape(registry: MetricsRegistry) -> Samples:
    """{sample name with its labels: value} of one scrape, in a thread that must answer
    within 10 s (a scrape blocked by the read fails the test instead of hanging it)."""
    texts: list[str] = []
    thread = threading.Thread(target=lambda: texts.append(render(registry).decode()))
    thread.start()
    thread.join(timeout=10)
    assert texts, "the scrape waited for the store"
    found: Samples = {}
    for family in text_string_to_metric_families(texts[0]):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


AGE = "remitwatch_metrics_snapshot_age_seconds{}"
UP = "remitwatch_store_up{}"
SECONDS = "remitwatch_metrics_snapshot_seconds{}"
RUNNING = "remitwatch_job_running{job=refit}"
INFLOW = "remitwatch_remittance_inflow_usd{series=remit.in.total.M}"


def _private_copy(fitted_sample: FittedSample, tmp_path: Path) -> Path:
    """A data directory with a copy of the fitted sample's store, for a test that writes."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(fitted_sample.data_dir / "remitwatch.db", data_dir / "remitwatch.db")
    return data_dir


def test_a_stale_scrape_is_answered_at_once_while_one_read_runs_behind_it(
    fitted_sample: FittedSample, tmp_path: Path
) -> None:
    settings = sample_settings(
        _private_copy(fitted_sample, tmp_path), metrics={"cache_seconds": 60}
    )
    store, clock = GatedStore(Store.open(settings.database_url).engine), Clock()
    registry = make_registry(store, settings, clock=clock)
    first = scrape(registry)  # the first scrape reads: there is nothing to show before
    assert store.reads == 1 and first[AGE] == 0.0
    clock.now += timedelta(seconds=59)
    assert scrape(registry)[AGE] == 59.0 and store.reads == 1
    store.start_run("ingest_rates")  # a change, so that the next check leads to a read
    store.gate.clear()  # from now on the read hangs until the test opens the gate
    clock.now += timedelta(seconds=2)
    stale = [scrape(registry) for _ in range(3)]  # each answered with the last figures
    assert [s[AGE] for s in stale] == [61.0] * 3
    assert all(s[INFLOW] == first[INFLOW] and s[UP] == 1.0 for s in stale)
    assert not registry.remitwatch.wait_for_refresh(timeout=0.2)  # still reading ...
    assert store.reads == 1 + 1  # ... once, however many scrapes came
    store.gate.set()
    assert registry.remitwatch.wait_for_refresh(timeout=30)
    clock.now += timedelta(seconds=5)
    fresh = scrape(registry)
    assert fresh[AGE] == 5.0  # dated by the background read, 61 s after the first
    assert fresh[INFLOW] == first[INFLOW] and store.reads == 2
    clock.now += timedelta(seconds=50)
    assert scrape(registry)[AGE] == 55.0 and store.reads == 2  # within cache_seconds again
    store.close()


def test_an_unchanged_store_is_asked_not_read_and_its_figures_are_dated_anew(
    fitted_sample: FittedSample, tmp_path: Path
) -> None:
    settings = sample_settings(
        _private_copy(fitted_sample, tmp_path), metrics={"cache_seconds": 60}
    )
    store, clock = GatedStore(Store.open(settings.database_url).engine), Clock()
    registry = make_registry(store, settings, clock=clock)
    first = scrape(registry)
    text = registry.remitwatch._cache.get().prepared
    store.gate.clear()  # a read would hang: only the check may run
    clock.now += timedelta(seconds=61)
    assert scrape(registry)[AGE] == 61.0  # answered from the last reading ...
    assert registry.remitwatch.wait_for_refresh(timeout=30)  # ... while the check ran
    clock.now += timedelta(seconds=1)
    checked = scrape(registry)
    assert store.reads == 1 and checked[AGE] == 1.0 and checked[UP] == 1.0
    assert registry.remitwatch._cache.get().prepared is text  # not prepared again
    moving = (AGE, SECONDS, "remitwatch_data_age_seconds")  # the clock's, the check's

    def kept(samples: Samples) -> Samples:
        ours = {k: v for k, v in samples.items() if k.startswith("remitwatch_")}
        return {k: v for k, v in ours.items() if not k.startswith(moving)}

    assert kept(checked) == kept(first)
    run = store.start_run("refit")  # now the store changes: the next check leads to a read
    store.gate.set()
    clock.now += timedelta(seconds=60)
    scrape(registry)
    assert registry.remitwatch.wait_for_refresh(timeout=30) and store.reads == 2
    assert scrape(registry)[RUNNING] == first[RUNNING] + 1
    store.finish_run(run, "ok")
    clock.now += timedelta(seconds=60)
    scrape(registry)
    assert registry.remitwatch.wait_for_refresh(timeout=30) and store.reads == 3
    assert scrape(registry)[RUNNING] == first[RUNNING]
    store.close()


def test_a_failed_background_read_keeps_the_last_figures(
    fitted_sample: FittedSample, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    database = data_dir / "remitwatch.db"
    shutil.copy(fitted_sample.data_dir / "remitwatch.db", database)
    settings = sample_settings(data_dir, metrics={"cache_seconds": 15})
    store, clock = Store.open(settings.database_url), Clock()
    try:
        registry = make_registry(store, settings, clock=clock)
        good = scrape(registry)
        store.engine.dispose()
        database.rename(data_dir / "moved.db")
        database.mkdir()  # a folder where the file was: SQLite cannot open it
        clock.now += timedelta(seconds=20)
        assert scrape(registry)[UP] == 1.0  # the read starts behind this scrape
        assert registry.remitwatch.wait_for_refresh(timeout=30)
        down = scrape(registry)
        assert down[UP] == 0.0 and down[AGE] == 20.0
        assert {k: v for k, v in down.items() if k.startswith("remitwatch_remittance")} == {
            k: v for k, v in good.items() if k.startswith("remitwatch_remittance")
        }
        database.rmdir()
        (data_dir / "moved.db").rename(database)
        clock.now += timedelta(seconds=15)
        scrape(registry)
        assert registry.remitwatch.wait_for_refresh(timeout=30)
        assert scrape(registry)[UP] == 1.0
    finally:
        store.close()


def test_the_snapshot_is_prepared_once_per_read(fitted_sample: FittedSample) -> None:
    clock, prepared = Clock(), []

    def read() -> MetricsSnapshot:
        return fitted_sample.store.metrics_snapshot(
            currencies=("USD",), duration_bounds=JOB_DURATION_BUCKETS
        )

    def prepare(snapshot: MetricsSnapshot) -> int:
        prepared.append(snapshot)
        return len(prepared)

    cache = SnapshotCache(read, prepare, max_age_seconds=10, clock=clock)
    assert [cache.get().prepared for _ in range(3)] == [1, 1, 1]
    clock.now += timedelta(seconds=10)
    assert cache.get().prepared == 1  # stale: the last one, while the next is read
    assert cache.wait_for_refresh(timeout=30)
    assert cache.get().prepared == 2 and len(prepared) == 2
    assert cache.get().snapshot is prepared[1]


def test_without_a_cache_every_scrape_reads(fitted_sample: FittedSample) -> None:
    store, clock = GatedStore(fitted_sample.store.engine), Clock()
    settings = sample_settings(fitted_sample.data_dir, metrics={"cache_seconds": 0})
    registry = make_registry(store, settings, clock=clock)
    for expected in (1, 2, 3):
        assert scrape(registry)[AGE] == 0.0 and store.reads == expected
    assert registry.remitwatch.wait_for_refresh(timeout=0)  # never in the background
