"""/api/v1/backtests: the latest score of every model."""

from __future__ import annotations

from tests.service.api.support import READ, Api, MakeApi


def test_the_latest_backtests(sample_api: Api) -> None:
    body = sample_api.client.get("/api/v1/backtests", headers=READ).json()
    stored = sample_api.store.latest_backtests()
    assert body["items"] == stored and body["count"] == len(stored)
    assert {"remit.in.total.M", "var.som_usd"} <= {item["series"] for item in body["items"]}
    page = sample_api.client.get(
        "/api/v1/backtests", params={"limit": 2, "offset": 1}, headers=READ
    ).json()
    assert page["items"] == stored[1:3]


def test_none_before_any_fit(make_empty_api: MakeApi) -> None:
    body = make_empty_api().client.get("/api/v1/backtests").json()
    assert (body["items"], body["count"]) == ([], 0)
