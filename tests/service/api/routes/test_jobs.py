"""/api/v1/jobs: job runs, and job requests for the scheduler (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from service.store import Store
from tests.service.api.support import ADMIN, READ, TOKENS, MakeApi, error_of


@pytest.fixture
def api_client(make_store_api: MakeApi):  # type: ignore[no-untyped-def]
    return make_store_api(api={"tokens": TOKENS}).client


def test_an_admin_request_queues_a_pending_job(api_client, store: Store) -> None:  # type: ignore[no-untyped-def]
    response = api_client.post("/api/v1/jobs/refit/requests", headers=ADMIN)
    assert response.status_code == 202
    body = response.json()
    [pending] = store.pending_job_requests()
    assert body["id"] == pending.id
    assert (body["job"], body["status"], body["requested_by"]) == ("refit", "pending", "ops")
    # Asked again while pending: the same request.
    again = api_client.post("/api/v1/jobs/refit/requests", headers=ADMIN).json()
    assert again["id"] == pending.id and len(store.pending_job_requests()) == 1
    one = api_client.get(f"/api/v1/jobs/requests/{pending.id}", headers=READ)
    assert one.status_code == 200 and one.json() == body


def test_requests_are_listed_and_followed(api_client, store: Store) -> None:  # type: ignore[no-untyped-def]
    ids = [
        api_client.post(f"/api/v1/jobs/{job}/requests", headers=ADMIN).json()["id"]
        for job in ("ingest_rates", "ingest_transfers", "score", "backtest")
    ]
    assert store.claim_job_request(ids[0])
    store.finish_job_request(ids[0], "failed", error="the NBKR did not answer")
    listed = api_client.get("/api/v1/jobs/requests", params={"limit": 10}, headers=READ).json()
    assert [item["id"] for item in listed["items"]] == [r.id for r in store.job_requests(10)]
    assert listed["count"] == 4
    page = api_client.get(
        "/api/v1/jobs/requests", params={"limit": 2, "offset": 1}, headers=READ
    ).json()
    assert [item["id"] for item in page["items"]] == [r.id for r in store.job_requests(2, 1)]
    failed = api_client.get(f"/api/v1/jobs/requests/{ids[0]}", headers=READ).json()
    assert (failed["status"], failed["error"]) == ("failed", "the NBKR did not answer")
    assert failed["finished_at"] is not None


def test_unknown_jobs_and_requests(api_client) -> None:  # type: ignore[no-untyped-def]
    response = api_client.post("/api/v1/jobs/reboot/requests", headers=ADMIN)
    assert response.status_code == 422
    assert "path parameter 'job'" in error_of(response)["message"]
    assert "'refit'" in error_of(response)["message"]
    missing = api_client.get("/api/v1/jobs/requests/999", headers=READ)
    assert missing.status_code == 404
    assert "no job request with id 999" in error_of(missing)["message"]


def test_job_runs_newest_first(api_client, store: Store) -> None:  # type: ignore[no-untyped-def]
    for job, status in [("ingest_rates", "ok"), ("refit", "failed"), ("ingest_rates", "ok")]:
        run_id = store.start_run(job)
        store.finish_run(run_id, status, rows=3, error=None if status == "ok" else "no data")
    runs = api_client.get("/api/v1/jobs/runs", headers=READ).json()
    assert [r["id"] for r in runs["items"]] == [r.id for r in store.recent_runs(100)]
    assert runs["count"] == 3
    only = api_client.get("/api/v1/jobs/runs", params={"job": "refit"}, headers=READ).json()
    assert [(r["job"], r["status"], r["error"]) for r in only["items"]] == [
        ("refit", "failed", "no data")
    ]
    page = api_client.get(
        "/api/v1/jobs/runs", params={"limit": 1, "offset": 1}, headers=READ
    ).json()
    assert [r["id"] for r in page["items"]] == [store.recent_runs(100)[1].id]
