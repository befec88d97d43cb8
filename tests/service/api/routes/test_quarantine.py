"""/api/v1/quarantine: rejected rows with file, row, column and reason."""

from __future__ import annotations

from service.store import QuarantinedRow, ReceivedFile, Store
from tests.service.api.support import MakeApi


def test_quarantined_rows_newest_first(make_store_api: MakeApi, store: Store) -> None:
    rows = [
        QuarantinedRow(row, "value", f"expected a positive rate, got -{row}", {"value": f"-{row}"})
        for row in range(1, 6)
    ]
    rows.append(QuarantinedRow(6, None, "expected 4 columns, got 2", {"line": "x,y"}))
    store.ingest_rates_file(
        ReceivedFile("rates-2024-05-02.xml", "rates", "ab" * 32, 100), [], rows, 6
    )
    client = make_store_api().client
    body = client.get("/api/v1/quarantine", params={"limit": 4}).json()
    assert body["count"] == 4
    first = body["items"][0]
    assert (first["file"], first["row"], first["column"]) == ("rates-2024-05-02.xml", 6, None)
    assert first["reason"] == "expected 4 columns, got 2" and first["raw"] == {"line": "x,y"}
    assert [item["row"] for item in body["items"]] == [6, 5, 4, 3]
    rest = client.get("/api/v1/quarantine", params={"offset": 4}).json()
    assert [(item["row"], item["column"]) for item in rest["items"]] == [(2, "value"), (1, "value")]
    assert [e.id for e in store.quarantined_rows(100)] == [
        item["id"] for item in body["items"] + rest["items"]
    ]
