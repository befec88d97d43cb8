"""/healthz and /readyz: liveness, store reachability and data freshness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.api import create_app
from service.store import Store
from tests.service.api.support import MakeApi, settings_for, unreachable_url


def _checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in body["checks"]}


def test_healthz_is_ok(make_sample_api: MakeApi) -> None:
    response = make_sample_api().client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_when_the_store_answers_and_the_data_are_fresh(make_sample_api: MakeApi) -> None:
    response = make_sample_api().client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    checks = _checks(body)
    assert set(checks) == {"store", "schema", "rates_freshness", "transfers_freshness"}
    assert all(check["ok"] for check in checks.values())
    assert checks["rates_freshness"]["max_age_hours"] == 96
    assert 0 <= checks["transfers_freshness"]["age_hours"] < 48


def test_not_ready_when_a_source_is_stale(make_sample_api: MakeApi) -> None:
    api = make_sample_api(readiness={"rates_max_age_hours": 1e-6, "transfers_max_age_hours": 0})
    response = api.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    checks = _checks(body)
    rates = checks["rates_freshness"]
    assert rates["ok"] is False and rates["age_hours"] > 1e-6
    assert "older than the limit" in rates["detail"] and "rates_max_age_hours" in rates["detail"]
    assert checks["transfers_freshness"]["ok"] is True
    assert "not checked" in checks["transfers_freshness"]["detail"]
    assert checks["store"]["ok"] is True


def test_not_ready_when_no_data_ever_arrived(make_empty_api: MakeApi) -> None:
    response = make_empty_api().client.get("/readyz")
    assert response.status_code == 503
    checks = _checks(response.json())
    assert checks["store"]["ok"] is True
    for source in ("rates", "transfers"):
        check = checks[f"{source}_freshness"]
        assert check["ok"] is False and f"no {source} data has ever arrived" in check["detail"]
    off = make_empty_api(readiness={"rates_max_age_hours": 0, "transfers_max_age_hours": 0})
    assert off.client.get("/readyz").status_code == 200


def test_not_ready_when_the_store_cannot_be_reached(tmp_path: Path) -> None:
    store = Store.open(unreachable_url("pw-must-not-show"))
    try:
        with TestClient(create_app(settings_for(tmp_path), store)) as client:
            response = client.get("/readyz")
            assert client.get("/healthz").status_code == 200
    finally:
        store.close()
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert _checks(body)["store"] == {
        "name": "store",
        "ok": False,
        "detail": "the store cannot be reached",
        "age_hours": None,
        "max_age_hours": None,
    }
    assert "pw-must-not-show" not in response.text


def test_not_ready_while_the_schema_is_not_migrated(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")  # answers, but no tables yet
    try:
        with TestClient(create_app(settings_for(tmp_path), store)) as client:
            before = client.get("/readyz")
            store.upgrade()
            after = client.get("/readyz")
    finally:
        store.close()
    assert before.status_code == 503
    schema = _checks(before.json())["schema"]
    assert schema["ok"] is False and "revision none" in schema["detail"]
    assert "remitwatch db upgrade" in schema["detail"]
    assert _checks(after.json())["schema"]["ok"] is True
