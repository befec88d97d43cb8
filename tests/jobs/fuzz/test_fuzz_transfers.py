"""Fuzzing the transfer report path end to end (SQLite store; the store is shared by a
test's examples, each file checked against the rows it added).

Every document, however broken, must end as "ingested" (with quarantined rows naming
row, column and reason), "rejected" (with a reason, nothing stored) or "duplicate";
`ingest_transfer_document` never raises, and the counts add up.
"""

from __future__ import annotations

import io
import itertools
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.errors import RejectedFileError
from jobs.ingest_transfers import ingest_transfer_document
from jobs.sources.transfer_batches import open_transfer_batches
from jobs.sources.transfer_files import parse_transfer_file
from service.store import Store
from service.store.records import TRANSFER_COLUMNS
from tests.jobs.fuzz.ledger import check_outcome, check_reasons, table_sizes
from tests.jobs.fuzz.mutations import (
    FUZZ,
    VALID_TRANSFER,
    field_text,
    fuzz_examples,
    hostile,
    mutated,
    quoted,
)

_names = itertools.count()


@st.composite
def transfer_csv(draw: st.DrawFn) -> bytes:
    """A report near the real thing: our columns (some renamed, repeated, missing, extra)
    in any order, rows of valid and hostile fields, any line ending, maybe a BOM."""
    columns = list(TRANSFER_COLUMNS)
    columns = draw(st.permutations(columns))
    columns += draw(
        st.lists(st.sampled_from(["extra", "Amount", " amount ", "count", ""]), max_size=2)
    )
    if draw(st.booleans()):
        columns.remove(draw(st.sampled_from(columns)))
    valid = dict(zip(TRANSFER_COLUMNS, VALID_TRANSFER, strict=True))
    rows = []
    for number in range(draw(st.integers(0, 8))):
        # A valid row (its own key) with a field or two made hostile: the row must get
        # past the other checks for a hostile value to reach the store.
        fields = [valid.get(column.strip(), "x") for column in columns]
        if "bank_code" in columns:
            fields[columns.index("bank_code")] = f"B{number}"
        for _ in range(draw(st.integers(0, 2))):
            position = draw(st.integers(0, len(fields) - 1))
            fields[position] = draw(hostile(columns[position].strip()))
        rows.append(fields)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(",".join(quoted(f) for f in line) for line in [columns, *rows])
    text += draw(st.sampled_from([newline, ""]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode("utf-8")


def _ingest(store: Store, document: bytes | Path, batch_rows: int) -> None:
    name = f"fuzz-{next(_names)}.csv"
    before = table_sizes(store)
    outcome = ingest_transfer_document(store, name, document, {}, batch_rows=batch_rows)
    check_outcome(store, outcome, name, before)
    check_reasons(store, outcome, name, TRANSFER_COLUMNS)


@FUZZ
@given(document=transfer_csv().flatmap(mutated), batch_rows=st.sampled_from([1, 3, 100_000]))
def test_mutated_reports_end_in_a_documented_outcome(
    sqlite_store: Store, document: bytes, batch_rows: int
) -> None:
    _ingest(sqlite_store, document, batch_rows)


@FUZZ
@given(
    document=st.tuples(
        st.sampled_from([b"", b"PAR1", b"\xef\xbb\xbf", b"report_date,bank_code\n"]),
        st.binary(max_size=2_000),
    ).map(b"".join)
)
def test_arbitrary_bytes_end_in_a_documented_outcome(sqlite_store: Store, document: bytes) -> None:
    _ingest(sqlite_store, document, 2)


@FUZZ
@given(document=transfer_csv().flatmap(mutated))
def test_a_file_on_disk_is_read_as_its_bytes_are(
    sqlite_store: Store, tmp_path_factory: pytest.TempPathFactory, document: bytes
) -> None:
    """The inbox hands the job a path read in chunks: same checks as the bytes."""
    path = tmp_path_factory.mktemp("doc") / "report.csv"
    path.write_bytes(document)
    _ingest(sqlite_store, path, 3)


def _verdict(document: bytes, batch_rows: int | None) -> tuple[str, object, object]:
    """What the parser makes of a document: ("rejected", ...) or the rows and quarantine."""
    try:
        if batch_rows is None:
            parsed = [parse_transfer_file(document, "doc.csv")]
        else:
            parsed = list(open_transfer_batches(document, "doc.csv", None, batch_rows).batches())
    except RejectedFileError:
        return ("rejected", None, None)
    rows = sorted(tuple(map(str, r)) for p in parsed for r in p.rows.iter_rows())
    quarantined = sorted((q.row_number, q.column) for p in parsed for q in p.quarantined)
    return ("parsed", rows, quarantined)


@FUZZ
@given(document=transfer_csv().flatmap(mutated))
def test_reading_in_batches_agrees_with_reading_whole(document: bytes) -> None:
    """Batches as small as one row (pieces of 64 bytes) cut a file at every place a
    record can end; the verdict must be the whole-file parser's."""
    assert _verdict(document, 1) == _verdict(document, None)


_PARQUET_VALUES = {
    pl.String: st.one_of(st.sampled_from(VALID_TRANSFER), field_text),
    pl.Float64: st.floats(allow_nan=True, allow_infinity=True),
    pl.Int64: st.integers(-(2**63), 2**63 - 1),
    pl.Boolean: st.booleans(),
    pl.Date: st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
}


@st.composite
def transfer_parquet(draw: st.DrawFn) -> bytes:
    """A Parquet file whose columns are ours or not, of any plain type, nulls included."""
    columns = draw(
        st.lists(
            st.sampled_from([*TRANSFER_COLUMNS, "extra"]), min_size=1, max_size=10, unique=True
        )
    )
    height = draw(st.integers(0, 5))
    data = {}
    schema = {}
    for column in columns:
        dtype = draw(st.sampled_from(list(_PARQUET_VALUES)))
        data[column] = draw(
            st.lists(st.none() | _PARQUET_VALUES[dtype], min_size=height, max_size=height)
        )
        schema[column] = dtype
    buffer = io.BytesIO()
    pl.DataFrame(data, schema=schema).write_parquet(buffer)
    return buffer.getvalue()


@settings(FUZZ, max_examples=fuzz_examples(60))
@given(document=transfer_parquet().flatmap(mutated))
def test_parquet_of_any_schema_ends_in_a_documented_outcome(
    sqlite_store: Store, document: bytes
) -> None:
    _ingest(sqlite_store, document, 2)
