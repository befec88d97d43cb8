"""/api/v1/shocks: the stored shock events, filtered and paged."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.service.api.support import READ, Api, error_of


def _events(api: Api, **params: object) -> list[dict[str, Any]]:
    response = api.client.get("/api/v1/shocks", params=params, headers=READ)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    return list(body["items"])


def test_events_are_the_stored_ones(sample_api: Api) -> None:
    events = _events(sample_api, limit=1000)
    assert events == sample_api.store.shock_events(limit=1000)
    assert events, "the fitted sample holds shock events"


def test_filters(sample_api: Api) -> None:
    store = sample_api.store
    closed = _events(sample_api, status="closed", limit=1000)
    assert closed == store.shock_events(status="closed", limit=1000)
    assert all(e["status"] == "closed" for e in closed)
    since = _events(sample_api, since="2021-01-01", limit=1000)
    assert since == store.shock_events(since=date(2021, 1, 1), limit=1000)
    ru = _events(sample_api, series="remit.in.country.RU.M")
    assert ru and {e["series"] for e in ru} == {"remit.in.country.RU.M"}


def test_pages(sample_api: Api) -> None:
    every = sample_api.store.shock_events(limit=1000)
    assert _events(sample_api, limit=2, offset=1) == every[1:3]
    assert _events(sample_api, offset=len(every)) == []


def test_bad_filters_are_422(sample_api: Api) -> None:
    for params in ({"status": "pending"}, {"since": "2021-02-30"}, {"since": "0"}, {"lmit": 5}):
        response = sample_api.client.get("/api/v1/shocks", params=params, headers=READ)
        assert response.status_code == 422
        assert next(iter(params)) in error_of(response)["message"]
