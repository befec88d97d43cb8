"""Job runs (start, end, status, rows, error) and source watermarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service.store.schema import job_runs, source_watermarks


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows: int
    error: str | None
    detail: dict[str, Any] | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "job": self.job,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
            "rows": self.rows,
            "error": self.error,
            "detail": self.detail,
        }


def start_run(connection: Connection, job: str, liveness_lock: str | None = None) -> int:
    """Record a run as running. `liveness_lock`: the name of a lock the running process
    holds until the run ends (see jobs/recovery.py), kept in `detail` until the run ends."""
    detail = None if liveness_lock is None else {"liveness_lock": liveness_lock}
    result = connection.execute(
        insert(job_runs).values(
            job=job, started_at=datetime.now(UTC), status="running", rows=0, detail=detail
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(
    connection: Connection,
    run_id: int,
    status: str,
    rows: int,
    error: str | None,
    detail: dict[str, Any] | None,
) -> None:
    connection.execute(
        update(job_runs)
        .where(job_runs.c.id == run_id)
        .values(finished_at=datetime.now(UTC), status=status, rows=rows, error=error, detail=detail)
    )


def running_runs(connection: Connection) -> list[JobRun]:
    """Runs recorded as running, oldest first."""
    query = select(job_runs).where(job_runs.c.status == "running").order_by(job_runs.c.id)
    return [
        JobRun(r.id, r.job, r.started_at, r.finished_at, r.status, r.rows, r.error, r.detail)
        for r in connection.execute(query)
    ]


def mark_interrupted(connection: Connection, run_id: int, error: str) -> bool:
    """Record a running run as interrupted; False if it was not running any more (it ended,
    or another process recorded the interruption first)."""
    changed = connection.execute(
        update(job_runs)
        .where(job_runs.c.id == run_id, job_runs.c.status == "running")
        .values(finished_at=datetime.now(UTC), status="interrupted", error=error)
    )
    return changed.rowcount == 1


def recent_runs(connection: Connection, limit: int = 20, job: str | None = None) -> list[JobRun]:
    query = select(job_runs).order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
    if job is not None:
        query = query.where(job_runs.c.job == job)
    return [
        JobRun(r.id, r.job, r.started_at, r.finished_at, r.status, r.rows, r.error, r.detail)
        for r in connection.execute(query.limit(limit))
    ]


def get_watermark(connection: Connection, source: str) -> str | None:
    row = connection.execute(
        select(source_watermarks.c.watermark).where(source_watermarks.c.source == source)
    ).first()
    return None if row is None else str(row[0])


def set_watermark(connection: Connection, source: str, watermark: str) -> None:
    now = datetime.now(UTC)
    changed = connection.execute(
        update(source_watermarks)
        .where(source_watermarks.c.source == source)
        .values(watermark=watermark, updated_at=now)
    )
    if changed.rowcount == 0:
        connection.execute(
            insert(source_watermarks).values(source=source, watermark=watermark, updated_at=now)
        )
