"""The jobs the scheduler runs, as plain functions of (store, settings).

Each job records its run (start, end, status, rows, error) and never raises: a failure
is recorded, logged and returned as a failed `JobOutcome`, so the CLI, the API request
queue, the tests and the scheduler can all call them the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from config import Settings
from config.errors import RemitwatchError
from jobs import inbox
from jobs.backtest import backtest_models
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from jobs.job_run import JobReport, run_recorded
from jobs.refit import run_models
from jobs.report import IngestReport
from jobs.score import score_models
from service.store import Store

log = logging.getLogger(__name__)

JobStatus = Literal["ok", "failed", "skipped"]
ReportT = TypeVar("ReportT", bound=JobReport)

NO_RATES_SOURCE = (
    "no rates source configured: set rates.source (REMITWATCH_RATES__SOURCE) to the NBKR "
    "daily XML URL, a file or a folder"
)


@dataclass(frozen=True)
class JobOutcome:
    """What one job run did. `run_id` is its job-run record (None when none was written);
    `error` says why it failed or was skipped; `scoring` is the scoring run an ingest
    that brought new data chained."""

    job: str
    run_id: int | None
    status: JobStatus
    rows: int = 0
    error: str | None = None
    scoring: JobOutcome | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "job": self.job,
            "run_id": self.run_id,
            "status": self.status,
            "rows": self.rows,
            "error": self.error,
            "scoring": self.scoring.to_dict() if self.scoring is not None else None,
        }


JobFunction = Callable[[Store, Settings], JobOutcome]


def _recorded(
    store: Store, job: str, work: Callable[[], ReportT]
) -> tuple[JobOutcome, ReportT | None]:
    """Run `work` as a recorded run of `job`; an exception becomes a failed outcome."""
    started: list[int] = []
    try:
        report = run_recorded(store, job, work, on_start=started.append)
    except Exception as exc:
        run_id = started[0] if started else None
        error = f"{type(exc).__name__}: {exc}"
        where = f"run {run_id} recorded as failed" if run_id else "no run could be recorded"
        # Our own errors carry their fix in the message; anything else is a bug: keep its trace.
        log.error(
            "job %s failed (%s): %s",
            job,
            where,
            error,
            exc_info=not isinstance(exc, RemitwatchError),
            extra={"job": job, "run_id": run_id, "status": "failed", "error": error},
        )
        return JobOutcome(job, run_id, "failed", error=error), None
    status: JobStatus = "failed" if report.failed else "ok"
    outcome = JobOutcome(job, started[0], status, report.rows_written, report.error_summary())
    return outcome, report


def _with_scoring(
    store: Store, settings: Settings, outcome: JobOutcome, report: IngestReport | None
) -> JobOutcome:
    """After an ingest that brought data, update the fitted models and rescore (as the CLI)."""
    if report is None or not report.brought_data:
        return outcome
    try:
        fitted = bool(store.model_runs(limit=1))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.error("job %s: not scoring, the fitted models cannot be read: %s", outcome.job, error)
        return replace(outcome, scoring=JobOutcome("score", None, "failed", error=error))
    if not fitted:
        return outcome
    return replace(outcome, scoring=run_score(store, settings))


def run_ingest_rates(store: Store, settings: Settings) -> JobOutcome:
    """Official rates from `rates.source`; skipped (no run recorded) when none is configured."""
    if not settings.rates.source:
        log.info("job ingest_rates skipped: %s", NO_RATES_SOURCE)
        return JobOutcome("ingest_rates", None, "skipped", error=NO_RATES_SOURCE)
    outcome, report = _recorded(store, "ingest_rates", lambda: ingest_rates(store, settings))
    return _with_scoring(store, settings, outcome, report)


def run_ingest_transfers(store: Store, settings: Settings) -> JobOutcome:
    """Bank transfer reports: the inbox, then transfers.url and the bank database if set."""
    outcome, report = _recorded(
        store, "ingest_transfers", lambda: ingest_transfers(store, settings)
    )
    return _with_scoring(store, settings, outcome, report)


def run_watch_inbox(store: Store, settings: Settings) -> JobOutcome:
    """The inbox alone, looked at often: a run is recorded only when files are waiting."""
    if not inbox.pending_files(settings.paths.inbox):
        return JobOutcome("watch_inbox", None, "skipped", error="no file in the inbox")
    outcome, report = _recorded(
        store,
        "ingest_transfers",
        lambda: ingest_transfers(store, settings, str(settings.paths.inbox)),
    )
    return _with_scoring(store, settings, outcome, report)


def run_score(store: Store, settings: Settings) -> JobOutcome:
    """Update the fitted models with the new observations (no re-estimation) and rescore."""
    return _recorded(store, "score", lambda: score_models(store, settings))[0]


def run_refit(store: Store, settings: Settings) -> JobOutcome:
    """The weekly refit: orders selected afresh on all the data, as `remitwatch fit`."""
    return _recorded(store, "refit", lambda: run_models(store, settings, mode="select"))[0]


def run_backtest(store: Store, settings: Settings) -> JobOutcome:
    """The monthly backtest of the stored models (see `backtest_models`)."""
    return _recorded(store, "backtest", lambda: backtest_models(store, settings))[0]


#: The jobs by name: what the scheduler schedules and the API may request.
JOBS: Mapping[str, JobFunction] = {
    "ingest_rates": run_ingest_rates,
    "ingest_transfers": run_ingest_transfers,
    "watch_inbox": run_watch_inbox,
    "score": run_score,
    "refit": run_refit,
    "backtest": run_backtest,
}


def _run_guarded(function: JobFunction, name: str, store: Store, settings: Settings) -> JobOutcome:
    # The job functions never raise; a replacement table (tests, extensions) might.
    try:
        return function(store, settings)
    except Exception as exc:
        log.exception("job %s raised instead of returning its outcome", name)
        return JobOutcome(name, None, "failed", error=f"{type(exc).__name__}: {exc}")


def process_requests(
    store: Store, settings: Settings, jobs: Mapping[str, JobFunction] = JOBS
) -> list[JobOutcome]:
    """Run the jobs requested through the API, oldest first, each exactly once.

    A request is run only after `claim_job_request` gave it to us, then finished with
    the run's status, run id and error ("skipped" finishes as failed, with the reason).
    Raises StoreError when the store cannot be reached (the scheduler polls again).
    """
    outcomes = []
    for request in store.pending_job_requests():
        if not store.claim_job_request(request.id):
            continue  # another scheduler claimed it first
        function = jobs.get(request.job)
        if function is None:
            error = f"unknown job {request.job!r}: expected one of {', '.join(sorted(jobs))}"
            log.error("job request %d: %s", request.id, error)
            outcome = JobOutcome(request.job, None, "failed", error=error)
        else:
            log.info(
                "job request %d: running %s for %s", request.id, request.job, request.requested_by
            )
            outcome = _run_guarded(function, request.job, store, settings)
        store.finish_job_request(
            request.id, "ok" if outcome.status == "ok" else "failed", outcome.run_id, outcome.error
        )
        outcomes.append(outcome)
    return outcomes
