"""The store's figures, read at most once per `max_age_seconds` by any number of scrapes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from service.store import StoreError
from service.store.snapshot_records import MetricsSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """What a scrape exposes: the last good snapshot (None if no read succeeded yet), when
    it was read and how long that took (seconds), and whether the newest read succeeded."""

    snapshot: MetricsSnapshot | None
    read_at: datetime | None
    seconds: float | None
    up: bool


class SnapshotCache:
    """Reads the snapshot through `read` when the last attempt is `max_age_seconds` old.

    A failed read (StoreError) is cached like a good one, so an unreachable store is not
    asked again on every scrape; the last good snapshot stays served. One lock: a scrape
    arriving during a read waits for it and takes its result.
    """

    def __init__(
        self,
        read: Callable[[], MetricsSnapshot],
        max_age_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._read = read
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._attempted_at: datetime | None = None
        self._reading = Reading(snapshot=None, read_at=None, seconds=None, up=False)

    def _fresh(self, now: datetime) -> bool:
        if self._attempted_at is None:
            return False
        age = (now - self._attempted_at).total_seconds()
        return 0 <= age < self._max_age  # a clock that went back forces a read

    def get(self) -> Reading:
        with self._lock:
            now = self._clock()
            if self._fresh(now):
                return self._reading
            started = time.perf_counter()
            try:
                snapshot = self._read()
            except StoreError as exc:
                log.warning("metrics: %s; serving the last figures read", exc)
                self._reading = Reading(
                    self._reading.snapshot, self._reading.read_at, self._reading.seconds, False
                )
            else:
                self._reading = Reading(snapshot, now, time.perf_counter() - started, True)
            self._attempted_at = now
            return self._reading
