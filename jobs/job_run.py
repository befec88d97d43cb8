"""Run a job and record it in the store: start, end, status, rows and the error.

While a run is recorded as running, its process holds a liveness lock named in the run's
record (an advisory lock on PostgreSQL, a flock'ed file beside an SQLite database): the
lock dies with the process, so a run whose lock can be taken was interrupted (a kill, a
crash, a power cut) and jobs/recovery.py records it so and queues it again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Protocol, TypeVar

from service.store import Store, StoreError
from service.store.leader import LeaderLock, lock_file_path

log = logging.getLogger(__name__)


class JobReport(Protocol):
    """What a job run record needs to know of a job's result."""

    @property
    def failed(self) -> bool: ...

    @property
    def rows_written(self) -> int: ...

    def error_summary(self) -> str | None: ...

    def to_dict(self) -> dict[str, object]: ...


ReportT = TypeVar("ReportT", bound=JobReport)


def _log_outcome(
    job: str, run_id: int, status: str, rows: int, seconds: float, error: str | None
) -> None:
    """One line per job run, with its outcome as structured fields for JSON logs."""
    fields = {
        "job": job,
        "run_id": run_id,
        "status": status,
        "rows": rows,
        "seconds": round(seconds, 3),
        "error": error,
    }
    message = f"job {job} run {run_id} {status}: {rows} rows in {seconds:.1f} s"
    if error:
        message += f" ({error})"
    log.log(logging.INFO if status == "ok" else logging.ERROR, message, extra=fields)


def run_recorded(
    store: Store,
    job: str,
    work: Callable[[], ReportT],
    *,
    on_start: Callable[[int], None] | None = None,
) -> ReportT:
    """Call `work` inside a job-run record. A failure is recorded, then raised on.

    `on_start` receives the run id as soon as the run is recorded (before `work`).
    """
    liveness = _liveness_lock(store)
    try:
        run_id = store.start_run(job, None if liveness is None else liveness.name)
        if on_start is not None:
            on_start(run_id)
        return _run(store, job, run_id, work)
    finally:
        if liveness is not None:
            release_liveness_lock(store, liveness)


def liveness_lock_name() -> str:
    return f"run-{uuid.uuid4().hex}"


def _liveness_lock(store: Store) -> LeaderLock | None:
    """A fresh lock held for the run (None for an in-memory store: one process only)."""
    try:
        lock = store.leader_lock(liveness_lock_name())
        return lock if lock.try_acquire() else None
    except StoreError:
        return None


def release_liveness_lock(store: Store, lock: LeaderLock) -> None:
    """Release a run's lock and remove its file (SQLite): nobody waits for it."""
    lock.release()
    database = store.engine.url.database
    if store.engine.url.get_backend_name() == "sqlite" and database:
        lock_file_path(database, lock.name).unlink(missing_ok=True)


def _run(store: Store, job: str, run_id: int, work: Callable[[], ReportT]) -> ReportT:
    started = time.perf_counter()
    try:
        report = work()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        store.finish_run(run_id, "failed", error=error)
        _log_outcome(job, run_id, "failed", 0, time.perf_counter() - started, error)
        raise
    status = "failed" if report.failed else "ok"
    store.finish_run(
        run_id,
        status,
        rows=report.rows_written,
        error=report.error_summary(),
        detail=report.to_dict(),
    )
    _log_outcome(
        job,
        run_id,
        status,
        report.rows_written,
        time.perf_counter() - started,
        report.error_summary(),
    )
    return report
