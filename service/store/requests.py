"""Jobs requested through the API, waiting for the scheduler that holds the leader lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update

from service.store.schema import job_requests


@dataclass(frozen=True)
class JobRequest:
    id: int
    job: str
    requested_by: str
    requested_at: datetime
    status: str  # "pending" | "running" | "ok" | "failed"
    started_at: datetime | None
    finished_at: datetime | None
    run_id: int | None
    error: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "job": self.job,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "run_id": self.run_id,
            "error": self.error,
        }


def _request(row: object) -> JobRequest:
    r = row._mapping  # type: ignore[attr-defined]
    return JobRequest(
        r["id"],
        r["job"],
        r["requested_by"],
        r["requested_at"],
        r["status"],
        r["started_at"],
        r["finished_at"],
        r["run_id"],
        r["error"],
    )


def request_job(connection: Connection, job: str, requested_by: str) -> int:
    """Queue `job`; a pending request for the same job is reused (returns its id)."""
    waiting = connection.execute(
        select(job_requests.c.id).where(
            job_requests.c.job == job, job_requests.c.status == "pending"
        )
    ).first()
    if waiting is not None:
        return int(waiting[0])
    result = connection.execute(
        insert(job_requests).values(
            job=job, requested_by=requested_by, requested_at=datetime.now(UTC), status="pending"
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def get_request(connection: Connection, request_id: int) -> JobRequest | None:
    row = connection.execute(select(job_requests).where(job_requests.c.id == request_id)).first()
    return None if row is None else _request(row)


def list_requests(connection: Connection, limit: int = 50, offset: int = 0) -> list[JobRequest]:
    query = (
        select(job_requests)
        .order_by(job_requests.c.requested_at.desc(), job_requests.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_request(row) for row in connection.execute(query)]


def pending_requests(connection: Connection) -> list[JobRequest]:
    query = (
        select(job_requests)
        .where(job_requests.c.status == "pending")
        .order_by(job_requests.c.requested_at, job_requests.c.id)
    )
    return [_request(row) for row in connection.execute(query)]


def running_requests(connection: Connection) -> list[JobRequest]:
    query = (
        select(job_requests)
        .where(job_requests.c.status == "running")
        .order_by(job_requests.c.started_at, job_requests.c.id)
    )
    return [_request(row) for row in connection.execute(query)]


def claim_request(connection: Connection, request_id: int) -> bool:
    """Mark a pending request running; False when someone else took it first."""
    changed = connection.execute(
        update(job_requests)
        .where(job_requests.c.id == request_id, job_requests.c.status == "pending")
        .values(status="running", started_at=datetime.now(UTC))
    )
    return changed.rowcount == 1


def finish_request(
    connection: Connection, request_id: int, status: str, run_id: int | None, error: str | None
) -> None:
    connection.execute(
        update(job_requests)
        .where(job_requests.c.id == request_id)
        .values(status=status, finished_at=datetime.now(UTC), run_id=run_id, error=error)
    )
