"""Runs whose process died: found by their liveness lock, recorded as interrupted once,
and queued again once (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.job_run import liveness_lock_name, run_recorded
from jobs.recovery import recover_interrupted
from service.store import Store

JOBS = ("refit", "ingest_transfers")


@dataclass
class _Report:
    failed: bool = False
    rows_written: int = 3

    def error_summary(self) -> str | None:
        return None

    def to_dict(self) -> dict[str, object]:
        return {"rows": self.rows_written}


def test_a_dead_run_is_interrupted_and_queued_again_exactly_once(store: Store) -> None:
    request = store.request_job("refit", "analyst")
    assert store.claim_job_request(request)  # the scheduler took the request, then ...
    dead = store.start_run("refit", liveness_lock_name())  # ... died: nobody holds the lock
    alive_lock = store.leader_lock(liveness_lock_name())
    assert alive_lock.try_acquire()
    alive = store.start_run("ingest_transfers", alive_lock.name)
    legacy = store.start_run("backtest")  # recorded without a liveness lock
    try:
        first = recover_interrupted(store, JOBS)
        second = recover_interrupted(store, JOBS)  # another scheduler, or the next pass
    finally:
        alive_lock.release()

    assert first.interrupted == [dead] and second.interrupted == []
    assert first.unknown == second.unknown == [legacy]
    runs = {run.id: run for run in store.recent_runs(limit=10)}
    assert runs[dead].status == "interrupted" and runs[dead].finished_at is not None
    assert "interrupted" in (runs[dead].error or "")
    assert runs[alive].status == runs[legacy].status == "running"
    # The request that was running the dead run is finished as failed, naming it ...
    finished = store.job_request(request)
    assert finished is not None and finished.status == "failed"
    assert finished.run_id == dead and f"run {dead}" in (finished.error or "")
    # ... and the job is queued once more, once.
    queued = [r for r in store.job_requests(limit=10) if r.status == "pending"]
    assert [(r.job, r.requested_by) for r in queued] == [
        ("refit", f"recovery of interrupted run {dead}")
    ]
    assert first.requeued == {dead: queued[0].id} and second.requeued == {}


def test_a_finished_run_holds_no_lock_and_is_left_alone(store: Store) -> None:
    seen: list[int] = []
    run_recorded(store, "refit", _Report, on_start=seen.append)
    [run] = store.recent_runs(limit=1)
    assert run.id == seen[0] and run.status == "ok" and run.rows == 3
    assert recover_interrupted(store, JOBS).interrupted == []
    database = store.engine.url.database or ""
    if store.engine.url.get_backend_name() == "sqlite":
        from pathlib import Path

        assert not list(Path(database).parent.glob("*.run-*.lock")), "lock files left behind"


def test_a_running_run_is_alive_while_its_process_holds_the_lock(store: Store) -> None:
    found: list[object] = []

    def work() -> _Report:
        found.append(recover_interrupted(store, JOBS))  # from inside the running job
        return _Report()

    run_recorded(store, "refit", work)
    assert found and found[0].interrupted == []  # type: ignore[attr-defined]
    assert store.recent_runs(limit=1)[0].status == "ok"
