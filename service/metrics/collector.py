"""The Prometheus collector: asks the store for a snapshot and yields metric families.

Every figure comes from the store, so it survives restarts and every API replica
exposes the same. A scrape reuses the snapshot for `metrics.cache_seconds`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from config import Settings
from service.metrics.cache import SnapshotCache
from service.metrics.catalogue import CATALOGUE, JOB_DURATION_BUCKETS
from service.metrics.families import build_families
from service.store import Store
from service.store.snapshot_records import MetricsSnapshot

#: The media type of `render`'s output: the classic text format 0.0.4, which every
#: Prometheus and promtool read (all our names are legacy names, so nothing is escaped).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _version() -> str:
    try:
        return version("remitwatch")
    except PackageNotFoundError:
        return "unknown"


class RemitwatchCollector(Collector):
    """remitwatch's figures read from `store` (see service.metrics.catalogue).

    `clock` (UTC now by default) dates the cache and the ages; tests inject their own.
    collect() never raises for an unreadable store: remitwatch_store_up is then 0 and
    the last good figures stay exposed.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock or _utc_now
        self._version = _version()
        self._cache = SnapshotCache(self._read, settings.metrics.cache_seconds, self._clock)

    def _read(self) -> MetricsSnapshot:
        return self._store.metrics_snapshot(
            currencies=self._settings.rates.currencies, duration_bounds=JOB_DURATION_BUCKETS
        )

    def describe(self) -> Iterable[Metric]:
        """The families without samples: registering the collector does not read the store."""
        return [spec.empty() for spec in CATALOGUE]

    def collect(self) -> Iterable[Metric]:
        reading = self._cache.get()
        yield from build_families(reading, self._settings, self._clock(), self._version)


def make_registry(
    store: Store, settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> CollectorRegistry:
    """A fresh registry with remitwatch's collector and the process and platform ones."""
    registry = CollectorRegistry()
    registry.register(RemitwatchCollector(store, settings, clock=clock))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The registry's metrics in the Prometheus text format (media type CONTENT_TYPE)."""
    return generate_latest(registry)
