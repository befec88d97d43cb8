"""The store's figures, read at most once per `max_age_seconds` by any number of scrapes.

After the first read, a scrape never waits for the store: a stale reading starts one
read in a background thread and the scrape is answered from the previous reading. That
read first asks the store, cheaply, whether anything changed since the figures it has
(`unchanged`); if not, the figures and what was prepared of them are kept, dated anew.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from service.store import StoreError
from service.store.snapshot_records import MetricsSnapshot

log = logging.getLogger(__name__)

Prepared = TypeVar("Prepared")


@dataclass(frozen=True)
class Reading(Generic[Prepared]):
    """What a scrape exposes: the last good snapshot (None if no read succeeded yet), what
    `prepare` made of it once (e.g. its rendered text), when it was read and how long the
    read took (seconds), and whether the newest read succeeded."""

    snapshot: MetricsSnapshot | None
    prepared: Prepared | None
    read_at: datetime | None
    seconds: float | None
    up: bool


class SnapshotCache(Generic[Prepared]):
    """Reads the snapshot through `read` (and `prepare`s it) when the last attempt is
    `max_age_seconds` old.

    The first read happens in the scrape that needs it (concurrent scrapes wait for it
    and take its result); later ones in one background thread at a time, while scrapes
    get the previous reading. `max_age_seconds` = 0 turns the cache off: every `get`
    reads. A failed read (StoreError) is cached like a good one, so an unreachable store
    is not asked again on every scrape; the last good snapshot stays served.

    `unchanged(snapshot)` (optional, may raise StoreError) says whether the store would
    still give `snapshot`: then a stale reading is renewed without `read` or `prepare`,
    with the time and the seconds of that check. Never asked without a cache.
    """

    def __init__(
        self,
        read: Callable[[], MetricsSnapshot],
        prepare: Callable[[MetricsSnapshot], Prepared],
        max_age_seconds: float,
        clock: Callable[[], datetime],
        unchanged: Callable[[MetricsSnapshot], bool] | None = None,
    ) -> None:
        self._read = read
        self._unchanged = unchanged
        self._prepare = prepare
        self._max_age = max_age_seconds
        self._clock = clock
        self._read_lock = threading.Lock()  # one read at a time
        self._state_lock = threading.Lock()  # guards the fields below; never held over I/O
        self._attempted_at: datetime | None = None
        self._refresh: threading.Thread | None = None
        self._reading: Reading[Prepared] = Reading(None, None, None, None, up=False)

    def _fresh(self, now: datetime) -> bool:
        if self._attempted_at is None:
            return False
        age = (now - self._attempted_at).total_seconds()
        return 0 <= age < self._max_age  # a clock that went back forces a read

    def get(self) -> Reading[Prepared]:
        """The reading to expose now; only the first (or, uncached, every) call reads."""
        with self._state_lock:
            if self._attempted_at is not None and self._max_age > 0:
                if not self._fresh(self._clock()) and self._refresh is None:
                    self._refresh = threading.Thread(
                        target=self._refresh_in_background,
                        name="remitwatch-metrics-refresh",
                        daemon=True,  # a read stuck on the store must not hold up shutdown
                    )
                    self._refresh.start()
                return self._reading
        with self._read_lock:
            with self._state_lock:
                if self._attempted_at is not None and self._max_age > 0:
                    return self._reading  # another scrape made the first read meanwhile
            self._attempt()
            return self._reading

    def wait_for_refresh(self, timeout: float | None = None) -> bool:
        """Wait until no background read is running; False if one still is after
        `timeout` seconds. For shutdown and tests: scrapes never need to wait."""
        with self._state_lock:
            refresh = self._refresh
        if refresh is not None:
            refresh.join(timeout)
            return not refresh.is_alive()
        return True

    def _refresh_in_background(self) -> None:
        try:
            with self._read_lock:
                self._attempt()
        except Exception:
            # Not a StoreError (those are handled): a bug; keep serving the last reading.
            log.exception("metrics: the background read of the store's figures failed")
            with self._state_lock:
                self._attempted_at = self._clock()  # not again at once, on every scrape
        finally:
            with self._state_lock:
                self._refresh = None

    def _still_current(self) -> bool:
        """Whether the last good snapshot is what a read would give now (StoreError if
        the store cannot say)."""
        previous = self._reading.snapshot
        if self._unchanged is None or previous is None or self._max_age <= 0:
            return False
        return self._unchanged(previous)

    def _attempt(self) -> None:
        now = self._clock()
        started = time.perf_counter()
        try:
            if self._still_current():
                seconds = time.perf_counter() - started
                reading = replace(self._reading, read_at=now, seconds=seconds, up=True)
            else:
                snapshot = self._read()
                seconds = time.perf_counter() - started
                reading = Reading(snapshot, self._prepare(snapshot), now, seconds, up=True)
        except StoreError as exc:
            log.warning("metrics: %s; serving the last figures read", exc)
            reading = replace(self._reading, up=False)
        with self._state_lock:
            self._reading = reading
            self._attempted_at = now
