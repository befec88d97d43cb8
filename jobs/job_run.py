"""Run a job and record it in the store: start, end, status, rows and the error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from service.store import Store

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


def run_recorded(store: Store, job: str, work: Callable[[], ReportT]) -> ReportT:
    """Call `work` inside a job-run record. A failure is recorded, then raised on."""
    run_id = store.start_run(job)
    try:
        report = work()
    except Exception as exc:
        store.finish_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        log.error("job %s failed: %s", job, exc)
        raise
    status = "failed" if report.failed else "ok"
    store.finish_run(
        run_id,
        status,
        rows=report.rows_written,
        error=report.error_summary(),
        detail=report.to_dict(),
    )
    if report.failed:
        log.warning("job %s finished with errors: %s", job, report.error_summary())
    return report
