"""Ingest in small batches stores exactly what a one-batch ingest stores, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.ingest_transfers import ingest_transfer_document
from jobs.received import fingerprint
from jobs.sources.transfer_batches import open_transfer_batches
from service.store import IngestOutcome, Store
from service.store.raw import TransferBatch
from service.store.schema import metadata
from tests.jobs.sources.test_transfer_batches import _row, csv_bytes, report_lines

#: Columns that differ between two runs of the same ingest (clocks, surrogate keys).
_VOLATILE = {"id", "received_at", "recorded_at"}


def _content(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """The store's rows, clocks and surrogate keys left out, sorted."""
    with store.engine.connect() as connection:
        content = {}
        for table in metadata.sorted_tables:
            if table.name == "job_runs":
                continue
            columns = [column for column in table.c if column.name not in _VOLATILE]
            rows = connection.execute(select(*columns))
            content[table.name] = sorted(map(tuple, rows), key=repr)
        return content


def _corrected_lines() -> list[str]:
    """The second report: two figures corrected, one new key, the rest repeated unchanged."""
    lines = report_lines()
    lines[0] = _row(1, bank="B0", amount="150.00")
    lines[27] = _row(28, bank="B27", amount="1.00")
    lines.append(_row(12, bank="NEW"))
    return lines


def _ingest_both(store: Store, tmp_path: Path, batch_rows: int) -> list[IngestOutcome]:
    outcomes = []
    for name, lines in (("may.csv", report_lines()), ("may-corrected.csv", _corrected_lines())):
        path = tmp_path / name
        path.write_bytes(csv_bytes(lines))
        outcomes.append(ingest_transfer_document(store, name, path, {}, batch_rows))
    return outcomes


def test_small_batches_store_what_one_batch_stores(store: Store, tmp_path: Path) -> None:
    outcomes = _ingest_both(store, tmp_path, batch_rows=7)
    reference = Store.open(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.upgrade()
    expected = _ingest_both(reference, tmp_path, batch_rows=10_000)
    assert [o.to_dict() for o in outcomes] == [o.to_dict() for o in expected]
    assert _content(store) == _content(reference)
    first, second = outcomes
    assert (first.rows_total, first.rows_new, first.rows_quarantined) == (39, 32, 7)
    assert (second.rows_new, second.rows_corrected, second.rows_unchanged) == (1, 2, 30)
    quarantined = {row.row_number for row in store.quarantined_rows(limit=100)}
    assert {3, 34, 6, 21, 39, 31, 37} <= quarantined
    reference.close()


def test_a_failure_in_a_later_batch_leaves_the_store_unchanged(store: Store) -> None:
    data = csv_bytes(report_lines())
    received = fingerprint("may.csv", "transfers", data)
    before = _content(store)

    def failing() -> Iterator[TransferBatch]:
        for number, batch in enumerate(open_transfer_batches(data, "may.csv", None, 7).batches()):
            if number == 2:
                raise RuntimeError("the disk is full")
            yield batch.rows, batch.quarantined, batch.total_rows

    assert len(list(open_transfer_batches(data, "may.csv", None, 7).batches())) > 3
    with pytest.raises(RuntimeError):
        store.ingest_transfer_batches(received, failing())
    assert _content(store) == before
    assert not store.file_seen(received.sha256)
    outcome = ingest_transfer_document(store, "may.csv", data, {}, batch_rows=7)
    assert (outcome.status, outcome.rows_new) == ("ingested", 32)
    assert ingest_transfer_document(store, "may.csv", data, {}, 7).status == "duplicate"
