"""Job runs, and jobs requested through the API for the scheduler to run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from service.api.auth import ADMIN_ONLY, AdminAccess, ReadAccess
from service.api.deps import SettingsDep, StoreDep
from service.api.queries import PageQuery, RunQuery, page_of
from service.api.schemas import ErrorBody, JobName, JobRequest, JobRequestPage, JobRun, JobRunPage

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/runs", response_model=JobRunPage, summary="Recent job runs, newest first")
def list_runs(
    query: Annotated[RunQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> JobRunPage:
    """Every recorded run (scheduled, requested or from the command line): start, end,
    status, rows written, error and the job's report."""
    page = page_of(query, settings)
    runs = page.of(store.recent_runs(limit=page.end, job=query.job))
    items = [JobRun.model_validate(run.to_dict()) for run in runs]
    return JobRunPage(items=items, limit=page.limit, offset=page.offset, count=len(items))


@router.post(
    "/{job}/requests",
    status_code=202,
    response_model=JobRequest,
    summary="Ask the scheduler to run a job now (admin)",
    openapi_extra=ADMIN_ONLY,
)
def request_job(job: JobName, caller: AdminAccess, store: StoreDep) -> JobRequest:
    """Queue `job` for the scheduler process (`remitwatch serve` or `remitwatch
    scheduler`), which runs it and records the outcome; poll GET /jobs/requests/{id}.
    A request still pending for the same job is returned instead of a second one."""
    request_id = store.request_job(job, requested_by=caller.name)
    stored = store.job_request(request_id)
    assert stored is not None  # written in the line above
    return JobRequest.model_validate(stored.to_dict())


@router.get("/requests", response_model=JobRequestPage, summary="Job requests, newest first")
def list_requests(
    query: Annotated[PageQuery, Query()],
    caller: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> JobRequestPage:
    """Jobs requested through the API and how they ended (pending, running, ok, failed)."""
    page = page_of(query, settings)
    requests = store.job_requests(limit=page.limit, offset=page.offset)
    items = [JobRequest.model_validate(r.to_dict()) for r in requests]
    return JobRequestPage(items=items, limit=page.limit, offset=page.offset, count=len(items))


@router.get(
    "/requests/{request_id}",
    response_model=JobRequest,
    summary="One job request",
    responses={404: {"model": ErrorBody, "description": "Unknown request id."}},
)
def get_request(
    request_id: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: ReadAccess, store: StoreDep
) -> JobRequest:
    """A job request with its status, the run it produced and its error, if any."""
    stored = store.job_request(request_id)
    if stored is None:
        raise HTTPException(404, f"no job request with id {request_id}")
    return JobRequest.model_validate(stored.to_dict())
