"""The Prometheus collector: asks the store for a snapshot and yields metric families.

Every figure comes from the store, so it survives restarts and every API replica
exposes the same. A scrape reuses the snapshot for `metrics.cache_seconds`; after that
the store is asked whether anything changed, and read again only if so. The text of the
snapshot's families is rendered once per read (off the scrape, see
service.metrics.cache), and a scrape renders only the ages and the service's own gauges.
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
from service.metrics.exposition import (
    PreparedFamilies,
    family_texts,
    pieces_in_catalogue_order,
    prepare_runs,
    rows_texts,
)
from service.metrics.families import build_families, live_families, snapshot_families
from service.metrics.gzipped import Deflated, gzip_body, plain_body
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
    collect() and exposition() never raise for an unreadable store: remitwatch_store_up
    is then 0 and the last good figures stay exposed.
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
        self._cache: SnapshotCache[PreparedFamilies] = SnapshotCache(
            self._read,
            self._render_snapshot,
            settings.metrics.cache_seconds,
            self._clock,
            unchanged=self._unchanged,
        )

    def _read(self) -> MetricsSnapshot:
        return self._store.metrics_snapshot(
            currencies=self._settings.rates.currencies, duration_bounds=JOB_DURATION_BUCKETS
        )

    def _unchanged(self, snapshot: MetricsSnapshot) -> bool:
        """Whether the store still holds `snapshot`'s figures: one one-row query."""
        token = snapshot.change_token
        return token is not None and self._store.metrics_change_token() == token

    def _render_snapshot(self, snapshot: MetricsSnapshot) -> PreparedFamilies:
        return prepare_runs(rows_texts(snapshot_families(snapshot, self._settings)))

    def describe(self) -> Iterable[Metric]:
        """The families without samples: registering the collector does not read the store."""
        return [spec.empty() for spec in CATALOGUE]

    def collect(self) -> Iterable[Metric]:
        """Every family, built from the cached snapshot (the slow path of exposition())."""
        reading = self._cache.get()
        yield from build_families(reading, self._settings, self._clock(), self._version)

    def exposition_pieces(self) -> list[bytes | Deflated]:
        """The text of collect()'s families in pieces: those rendered now, and the runs
        of the snapshot's families as rendered (and deflated) at its read."""
        reading = self._cache.get()
        live = family_texts(live_families(reading, self._clock(), self._version))
        return pieces_in_catalogue_order(live, reading.prepared or PreparedFamilies())

    def exposition(self) -> bytes:
        """The text of collect()'s families: the snapshot's part as rendered at its read."""
        return plain_body(self.exposition_pieces())

    def wait_for_refresh(self, timeout: float | None = None) -> bool:
        """Wait for a background read in progress (see SnapshotCache.wait_for_refresh)."""
        return self._cache.wait_for_refresh(timeout)


class MetricsRegistry(CollectorRegistry):
    """A registry of remitwatch's collector and the process and platform ones, which
    `render` exposes without re-rendering the snapshot's families at each scrape."""

    def __init__(self, collector: RemitwatchCollector) -> None:
        super().__init__()
        self.remitwatch = collector
        self.register(collector)
        self._runtime = CollectorRegistry()  # the process and platform collectors alone
        for registry in (self, self._runtime):
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)

    def _pieces(self) -> list[bytes | Deflated]:
        return [*self.remitwatch.exposition_pieces(), generate_latest(self._runtime)]

    def exposition(self) -> bytes:
        """What generate_latest(self) gives, with the snapshot's part rendered once."""
        return plain_body(self._pieces())

    def gzipped_exposition(self) -> bytes:
        """exposition() gzip-compressed, the snapshot's part compressed once per read."""
        return gzip_body(self._pieces())


def make_registry(
    store: Store, settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> MetricsRegistry:
    """A fresh registry with remitwatch's collector and the process and platform ones."""
    return MetricsRegistry(RemitwatchCollector(store, settings, clock=clock))


def render(registry: CollectorRegistry) -> bytes:
    """The registry's metrics in the Prometheus text format (media type CONTENT_TYPE)."""
    if isinstance(registry, MetricsRegistry):
        return registry.exposition()
    return generate_latest(registry)


def render_gzip(registry: CollectorRegistry) -> bytes:
    """render(registry), gzip-compressed (for Content-Encoding: gzip)."""
    if isinstance(registry, MetricsRegistry):
        return registry.gzipped_exposition()
    return gzip_body([generate_latest(registry)])
