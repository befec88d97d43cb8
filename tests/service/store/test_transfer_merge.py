"""A sequence of transfer files gives the store a plain model predicts, on both backends.

New keys, corrections (and a correction back to the first figures), unchanged repeats,
the same bytes twice, quarantined rows and a file that changes nothing, read in batches
of 3 rows, so batches mix keys of this file, of earlier files and new ones. The store
must hold exactly the vintages that replaying the valid rows key by key gives, and the
same rows as a SQLite store fed the same files in one batch each.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.ingest_transfers import ingest_transfer_document
from jobs.received import fingerprint
from jobs.sources.transfer_batches import open_transfer_batches
from service.store import IngestOutcome, Store
from service.store.raw import TransferBatch
from service.store.schema import received_files, transfer_vintages, transfers_current
from tests.jobs.test_ingest_transfers_batched import _content

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count"
Key = tuple[str, str]  # (report_date, bank_code); the other key columns are fixed here
Figures = tuple[Decimal, int]


def _line(day: int, bank: str, amount: str = "100.00", count: str = "3") -> str:
    return f"2026-01-{day:02d},{bank},Contact,RU,in,RUB,{amount},{count}"


def _files() -> list[tuple[str, list[str]]]:
    first = [_line(1 + n % 3, f"B{n}", amount=f"{100 + n}.10") for n in range(12)]
    first += [
        _line(2, "BAD", amount="1.001"),  # quarantined: a third decimal place
        _line(3, "TWICE"),
        _line(3, "TWICE", amount="5.00"),  # quarantined with the row above: the key repeats
    ]
    corrected = [*first[:12]]
    corrected[0] = _line(1, "B0", amount="999.99")  # amount corrected: vintage 2
    corrected[4] = _line(2, "B4", amount="104.10", count="4")  # count corrected: vintage 2
    corrected += [_line(3, "NEW1"), _line(4, "NEW2"), _line(4, "BAD", amount="-1")]
    again = [
        _line(1, "B0", amount="100.10"),  # back to the first figures: vintage 3
        _line(2, "B4", amount="104.10", count="4"),  # as corrected: unchanged
        _line(3, "NEW1", amount="7.00"),  # corrected in a third file: vintage 2
        _line(9, "LATER"),  # a day no file held before
    ]
    return [
        ("jan.csv", first),
        ("jan-corrected.csv", corrected),
        ("jan-corrected.csv", corrected),  # the same bytes again: a duplicate
        ("jan-again.csv", again),
        ("jan-unchanged.csv", corrected[1:4]),  # nothing new: no vintage, no write
    ]


def _ingest_all(store: Store, tmp_path: Path, batch_rows: int) -> list[IngestOutcome]:
    outcomes = []
    for number, (name, lines) in enumerate(_files()):
        path = tmp_path / f"{number}-{name}"
        path.write_text("\n".join([HEADER, *lines, ""]))
        outcomes.append(ingest_transfer_document(store, name, path, {}, batch_rows))
    return outcomes


def _replayed() -> dict[Key, list[tuple[Figures, str]]]:
    """Each key's vintages by a plain replay: a changed figure from a new file is a vintage."""
    history: dict[Key, list[tuple[Figures, str]]] = {}
    seen: set[str] = set()
    for name, lines in _files():
        text = "\n".join(lines)
        if text in seen:
            continue
        seen.add(text)
        for line in lines:
            day, bank, *_, amount, count = line.split(",")
            if bank in ("BAD", "TWICE"):
                continue
            figures = (Decimal(amount), int(count))
            vintages = history.setdefault((day, bank), [])
            if not vintages or vintages[-1][0] != figures:
                vintages.append((figures, name))
    return history


def _stored(store: Store) -> tuple[dict[Key, list[tuple[Figures, str]]], dict[Key, Figures]]:
    v, c, f = transfer_vintages.c, transfers_current.c, received_files.c
    with store.engine.connect() as connection:
        vintages = connection.execute(
            select(v.report_date, v.bank_code, v.amount, v["count"], v.vintage, f.name)
            .join(received_files, f.id == v.file_id)
            .order_by(v.report_date, v.bank_code, v.vintage)
        ).all()
        current = connection.execute(
            select(c.report_date, c.bank_code, c.amount, c["count"], c.vintage)
        ).all()
    history: dict[Key, list[tuple[Figures, str]]] = {}
    for day, bank, amount, count, vintage, name in vintages:
        versions = history.setdefault((day.isoformat(), bank), [])
        assert vintage == len(versions) + 1  # vintages count 1, 2, 3 without gaps
        versions.append(((amount, count), name))
    latest = {(day.isoformat(), bank): (amount, count) for day, bank, amount, count, _ in current}
    assert {(d.isoformat(), b): n for d, b, _, _, n in current} == {
        key: len(versions) for key, versions in history.items()
    }
    return history, latest


def test_a_sequence_of_files_stores_what_a_replay_predicts(store: Store, tmp_path: Path) -> None:
    outcomes = _ingest_all(store, tmp_path, batch_rows=3)
    expected = _replayed()
    history, latest = _stored(store)
    assert history == expected
    assert latest == {key: versions[-1][0] for key, versions in expected.items()}
    counts = [
        (o.status, o.rows_total, o.rows_new, o.rows_corrected, o.rows_unchanged, o.rows_quarantined)
        for o in outcomes
    ]
    assert counts == [
        ("ingested", 15, 12, 0, 0, 3),
        ("ingested", 15, 2, 2, 10, 1),
        ("duplicate", 0, 0, 0, 0, 0),
        ("ingested", 4, 1, 2, 1, 0),
        ("ingested", 3, 0, 0, 3, 0),
    ]


def test_batches_and_backends_give_the_same_store(store: Store, tmp_path: Path) -> None:
    outcomes = _ingest_all(store, tmp_path, batch_rows=3)
    reference = Store.open(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.upgrade()
    expected = _ingest_all(reference, tmp_path, batch_rows=10_000)
    assert [o.to_dict() for o in outcomes] == [o.to_dict() for o in expected]
    # transfer_vintages, transfers_current, quarantine (row numbers, reasons, raw rows),
    # received_files with their counts: row for row.
    assert _content(store) == _content(reference)
    reference.close()


def test_a_failure_after_corrections_were_merged_leaves_the_store_unchanged(
    store: Store, tmp_path: Path
) -> None:
    (first, first_lines), (second, second_lines) = _files()[:2]
    path = tmp_path / first
    path.write_text("\n".join([HEADER, *first_lines, ""]))
    ingest_transfer_document(store, first, path, {}, batch_rows=3)
    before = _content(store)
    data = "\n".join([HEADER, *second_lines, ""]).encode()

    def failing() -> Iterator[TransferBatch]:
        # Batch 0 holds a corrected amount and batch 1 a corrected count: both merged.
        for number, batch in enumerate(open_transfer_batches(data, second, None, 3).batches()):
            if number == 3:
                raise RuntimeError("the connection dropped")
            yield batch.rows, batch.quarantined, batch.total_rows

    with pytest.raises(RuntimeError):
        store.ingest_transfer_batches(fingerprint(second, "transfers", data), failing())
    assert _content(store) == before
    outcome = ingest_transfer_document(store, second, data, {}, batch_rows=3)
    assert (outcome.rows_new, outcome.rows_corrected, outcome.rows_unchanged) == (2, 2, 10)
