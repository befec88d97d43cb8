"""Runs left "running" by a process that died, found and redone once.

A recorded run holds a liveness lock for as long as its process runs it (see
jobs/job_run.py). `recover_interrupted` tries each running run's lock: a lock it can take
belongs to a process that is gone (killed, crashed, its host lost). The run is then
recorded as interrupted, atomically (only one of several schedulers can), and a scheduled
job is queued again through a job request, so the interrupted work is redone exactly once.
A job request that was running it is finished as failed, naming the run. What the killed
process had written is safe: every write is one transaction (a file, a series' results),
so it either committed whole or left nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from jobs.job_run import release_liveness_lock
from service.store import Store

log = logging.getLogger(__name__)


@dataclass
class Recovery:
    """What one pass found: interrupted run ids, and the job requests queued to redo them."""

    interrupted: list[int] = field(default_factory=list)
    requeued: dict[int, int] = field(default_factory=dict)  # run id -> job request id
    unknown: list[int] = field(default_factory=list)  # running runs without a liveness lock


def recover_interrupted(store: Store, jobs: Collection[str]) -> Recovery:
    """Record the runs whose process is gone as interrupted and queue the `jobs` among them
    again. Raises StoreError when the store cannot be reached."""
    found = Recovery()
    for run in store.running_runs():
        name = (run.detail or {}).get("liveness_lock")
        if not isinstance(name, str):
            found.unknown.append(run.id)  # recorded before liveness locks, or in memory
            continue
        lock = store.leader_lock(name)
        if not lock.try_acquire():
            continue  # its process is alive and holds the lock
        try:
            reason = "interrupted: the process running it stopped before it ended"
            if not store.mark_run_interrupted(run.id, reason):
                continue  # it ended meanwhile, or another scheduler recorded it first
        finally:
            release_liveness_lock(store, lock)
        found.interrupted.append(run.id)
        log.warning("job %s run %d was interrupted (its process stopped)", run.job, run.id)
        for request in store.running_job_requests():
            if request.job == run.job and (request.started_at or run.started_at) <= run.started_at:
                store.finish_job_request(
                    request.id, "failed", run.id, f"run {run.id} was interrupted"
                )
        if run.job in jobs:
            request_id = store.request_job(run.job, f"recovery of interrupted run {run.id}")
            found.requeued[run.id] = request_id
            log.info("job %s queued again (request %d) after run %d", run.job, request_id, run.id)
    return found
