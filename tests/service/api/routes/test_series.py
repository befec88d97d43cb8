"""/api/v1/series and observations, checked against the store."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from service.store import OBSERVATION_SCHEMA
from tests.fitted_sample import FittedSample
from tests.service.api.support import READ, Api, error_of

TOTAL = "remit.in.total.M"


def test_lists_every_series_with_its_span(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/series", params={"limit": 1000}, headers=READ)
    assert response.status_code == 200
    body = response.json()
    summaries = sample_api.store.list_series()
    assert [item["key"] for item in body["items"]] == [s.spec.key for s in summaries]
    assert (body["limit"], body["offset"], body["count"]) == (1000, 0, len(summaries))
    [total] = [item for item in body["items"] if item["key"] == TOTAL]
    [summary] = [s for s in summaries if s.spec.key == TOTAL]
    assert total["frequency"] == "M" and total["unit"] == "USD"
    assert total["observations"] == summary.observations
    assert total["first_period"] == summary.first_period.isoformat()  # type: ignore[union-attr]
    assert total["last_period"] == summary.last_period.isoformat()  # type: ignore[union-attr]


def test_filters_by_prefix_and_frequency(sample_api: Api) -> None:
    params = {"prefix": "remit.in.country.", "frequency": "W"}
    items = sample_api.client.get("/api/v1/series", params=params, headers=READ).json()["items"]
    assert items and all(
        i["key"].startswith("remit.in.country.") and i["frequency"] == "W" for i in items
    )
    expected = [
        s.spec.key
        for s in sample_api.store.list_series()
        if s.spec.key.startswith("remit.in.country.") and s.spec.frequency == "W"
    ]
    assert [i["key"] for i in items] == expected


def test_pages_through_the_series(sample_api: Api) -> None:
    keys = [s.spec.key for s in sample_api.store.list_series()]
    page = sample_api.client.get(
        "/api/v1/series", params={"limit": 7, "offset": 10}, headers=READ
    ).json()
    assert [i["key"] for i in page["items"]] == keys[10:17]
    assert (page["limit"], page["offset"], page["count"]) == (7, 10, 7)
    beyond = sample_api.client.get(
        "/api/v1/series", params={"offset": len(keys)}, headers=READ
    ).json()
    assert (beyond["items"], beyond["count"]) == ([], 0)
    bad = sample_api.client.get("/api/v1/series", params={"frequency": "Q"}, headers=READ)
    assert bad.status_code == 422 and "'frequency'" in error_of(bad)["message"]


def test_observations_are_the_stored_values(sample_api: Api) -> None:
    params = {"start": "2020-01-01", "end": "2020-12-31"}
    response = sample_api.client.get(
        f"/api/v1/series/{TOTAL}/observations", params=params, headers=READ
    )
    assert response.status_code == 200
    body = response.json()
    stored = sample_api.store.series_as_of(TOTAL, start=date(2020, 1, 1), end=date(2020, 12, 31))
    assert [item["period"] for item in body["items"]] == [
        d.isoformat() for d in stored["period"].to_list()
    ]
    assert [item["value"] for item in body["items"]] == stored["value"].to_list()
    assert body["count"] == 12 and body["series"] == TOTAL and body["as_of"] is None


def test_observations_page(sample_api: Api) -> None:
    stored = sample_api.store.series_as_of(TOTAL)
    body = sample_api.client.get(
        f"/api/v1/series/{TOTAL}/observations",
        params={"limit": 5, "offset": 3},
        headers=READ,
    ).json()
    assert [i["value"] for i in body["items"]] == stored["value"].to_list()[3:8]


def test_observations_as_csv_parse_back(sample_api: Api) -> None:
    response = sample_api.client.get(
        f"/api/v1/series/{TOTAL}/observations",
        params={"format": "csv", "limit": 1000},
        headers=READ,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    stored = sample_api.store.series_as_of(TOTAL)
    assert list(rows[0]) == ["period", "value"]
    assert [date.fromisoformat(r["period"]) for r in rows] == stored["period"].to_list()
    assert [float(r["value"]) for r in rows] == stored["value"].to_list()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start": "2021-02-01", "end": "2021-01-01"}, "'start'"),
        ({"start": "2021-13-01"}, "'start'"),
        ({"end": "yesterday"}, "'end'"),
        ({"as_of": "not-a-time"}, "'as_of'"),
        ({"format": "xml"}, "'format'"),
        ({"limit": 1001}, "'limit'"),
        ({"offset": -1}, "'offset'"),
        ({"asof": "2020-01-01"}, "'asof'"),
        ({"start": "0"}, "'start'"),
        ({"as_of": "0"}, "'as_of'"),
        ({"as_of": "2024-W18-1"}, "'as_of'"),
    ],
)
def test_bad_observation_parameters_are_422(
    sample_api: Api, params: dict[str, object], named: str
) -> None:
    response = sample_api.client.get(
        f"/api/v1/series/{TOTAL}/observations", params=params, headers=READ
    )
    assert response.status_code == 422
    assert named in error_of(response)["message"]


def test_a_mistyped_parameter_is_not_ignored(sample_api: Api) -> None:
    response = sample_api.client.get(
        f"/api/v1/series/{TOTAL}/observations", params={"asof": "2020-01-01"}, headers=READ
    )
    message = error_of(response)["message"]
    assert message == (
        "invalid request: query parameter 'asof': Extra inputs are not permitted (got '2020-01-01')"
    )


def test_an_unknown_series_is_404(sample_api: Api) -> None:
    response = sample_api.client.get("/api/v1/series/remit.in.nowhere.M/observations", headers=READ)
    assert response.status_code == 404
    assert "unknown series 'remit.in.nowhere.M'" in error_of(response)["message"]


def test_as_of_answers_what_was_known_then(sample_api: Api, fitted_sample: FittedSample) -> None:
    key = "fx.EUR.M"
    store = fitted_sample.store
    before = store.series_as_of(key)
    first_known = before["vintage_at"].min()
    assert isinstance(first_known, datetime)
    last_period, old_value = before["period"][-1], before["value"][-1]
    corrected_at = datetime.now(UTC) + timedelta(seconds=1)
    spec = store.find_series(key)
    assert spec is not None
    correction = pl.DataFrame(
        {"key": [key], "period": [last_period], "value": [old_value * 1.05]},
        schema=OBSERVATION_SCHEMA,
    )
    assert store.write_series([spec], correction, corrected_at).new_vintages == 1

    url = f"/api/v1/series/{key}/observations"

    def values(**params: str) -> list[float]:
        body = sample_api.client.get(url, params={**params, "limit": 1000}, headers=READ).json()
        return [item["value"] for item in body["items"]]

    assert values()[-1] == pytest.approx(old_value * 1.05)
    earlier = (corrected_at - timedelta(seconds=1)).isoformat()
    assert values(as_of=earlier) == before["value"].to_list()
    # A moment without a zone is UTC.
    naive = (corrected_at - timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    assert values(as_of=naive)[-1] == old_value
    assert values(as_of=(first_known - timedelta(days=1)).isoformat()) == []
    body = sample_api.client.get(url, params={"as_of": earlier}, headers=READ).json()
    assert datetime.fromisoformat(body["as_of"]) == datetime.fromisoformat(earlier)
