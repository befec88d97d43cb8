"""Observation answers kept between requests: the same question answered from memory, a
write by another process answered at once, and the memory bounded."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import polars as pl

from service.api.body_cache import BodyCache
from service.store import SeriesSpec, Store
from tests.service.api.support import MakeApi

SPEC = SeriesSpec("remit.in.total.M", "remittance", "M", "USD", {}, "total inflows")
PATH = f"/api/v1/series/{SPEC.key}/observations"
FIRST = datetime(2024, 3, 5, tzinfo=UTC)
SECOND = datetime(2024, 4, 5, tzinfo=UTC)


def _write(store: Store, values: dict[date, float], at: datetime) -> None:
    frame = pl.DataFrame(
        {"key": [SPEC.key] * len(values), "period": list(values), "value": list(values.values())}
    )
    store.write_series([SPEC], frame, at)


def _csv_values(text: str) -> list[float]:
    return [float(row["value"]) for row in csv.DictReader(io.StringIO(text))]


def test_a_write_by_another_store_is_answered_at_once(
    make_store_api: MakeApi, store_url: str
) -> None:
    api = make_store_api()
    _write(api.store, {date(2024, 1, 1): 100.0, date(2024, 2, 1): 110.0}, FIRST)
    bodies = api.app.state.body_cache
    assert isinstance(bodies, BodyCache)

    first = api.client.get(PATH)
    again = api.client.get(PATH)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert (bodies.misses, bodies.hits) == (1, 1)
    assert [i["value"] for i in first.json()["items"]] == [100.0, 110.0]
    assert _csv_values(api.client.get(PATH, params={"format": "csv"}).text) == [100.0, 110.0]

    writer = Store.open(store_url)  # the scheduler's process, with its own memory
    try:
        _write(writer, {date(2024, 1, 1): 105.0, date(2024, 3, 1): 120.0}, SECOND)
    finally:
        writer.close()
    after = api.client.get(PATH).json()
    assert [(i["period"], i["value"]) for i in after["items"]] == [
        ("2024-01-01", 105.0),
        ("2024-02-01", 110.0),
        ("2024-03-01", 120.0),
    ]
    assert after["items"][0]["vintage_at"] == SECOND.isoformat()
    assert _csv_values(api.client.get(PATH, params={"format": "csv"}).text) == [105.0, 110.0, 120.0]
    # The past is still answered as it was known, next to the kept answer of now.
    then = api.client.get(PATH, params={"as_of": "2024-03-31"}).json()
    assert [i["value"] for i in then["items"]] == [100.0, 110.0]
    assert then["as_of"] == "2024-03-31T00:00:00+00:00"
    paged = api.client.get(PATH, params={"offset": 1, "limit": 1}).json()
    assert [i["value"] for i in paged["items"]] == [110.0]


def test_the_json_is_what_the_response_model_writes(make_store_api: MakeApi) -> None:
    api = make_store_api()
    _write(api.store, {date(2024, 1, 1): 0.1 + 0.2, date(2024, 2, 1): 1e-7}, FIRST)
    body = api.client.get(PATH).json()
    assert body == {
        "series": SPEC.key,
        "as_of": None,
        "items": [
            {"period": "2024-01-01", "value": 0.1 + 0.2, "vintage_at": FIRST.isoformat()},
            {"period": "2024-02-01", "value": 1e-7, "vintage_at": FIRST.isoformat()},
        ],
        "limit": 100,
        "offset": 0,
        "count": 2,
    }


def test_the_bodies_held_are_bounded() -> None:
    cache = BodyCache(max_bytes=800)
    for name in range(20):
        cache.put("series", 1, name, bytes(100))
        assert cache.held_bytes <= 800
    assert cache.get("series", 1, 0) is None and cache.get("series", 1, 19) == bytes(100)
    cache.get("series", 1, 12)  # used: kept over older ones
    cache.put("series", 1, "new", bytes(100))
    assert cache.get("series", 1, 12) is not None and cache.get("series", 1, 13) is None
    cache.put("series", 1, "huge", bytes(101))  # over an eighth of the bound: not kept
    assert cache.get("series", 1, "huge") is None and cache.held_bytes <= 800


def test_a_newer_version_drops_the_older_bodies_of_its_group() -> None:
    """Versions only grow: bodies of an older version are never asked for again."""
    cache = BodyCache()
    for question in range(3):
        cache.put("a", 5, question, bytes(10))
        cache.put("b", 7, question, bytes(10))
    cache.put("a", 6, 0, bytes(10))
    assert cache.held_bytes == 40
    assert [cache.get("a", 5, q) for q in range(3)] == [None] * 3
    assert cache.get("a", 6, 0) == bytes(10) and cache.get("b", 7, 2) == bytes(10)
    cache.put("a", 5, 1, bytes(10))  # a reader that probed before the write: not kept
    assert cache.get("a", 5, 1) is None and cache.held_bytes == 40
