"""Batched reading of transfer files gives exactly what the whole-file parser gives."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.errors import RejectedFileError
from jobs.sources.parsed import ParsedTransfers
from jobs.sources.transfer_batches import open_transfer_batches
from jobs.sources.transfer_files import parse_transfer_file
from service.store.records import TRANSFER_COLUMNS

HEADER = ",".join(TRANSFER_COLUMNS)


def _row(day: int, bank: str = "KICB", amount: str = "100.00", country: str = "RU") -> str:
    return f"2026-05-{day:02d},{bank},Contact,{country},in,RUB,{amount},3"


def report_lines() -> list[str]:
    """40 rows: repeats split across batches, bad rows late, a blank line, a BOM-free header."""
    lines = [_row(1 + n % 28, bank=f"B{n}") for n in range(40)]
    lines[2] = _row(9, bank="TWICE")
    lines[33] = _row(9, bank="TWICE", amount="200.00")  # same key, rows 3 and 34
    lines[5] = lines[20] = lines[38] = _row(4, bank="THRICE")
    lines[30] = _row(5, bank="BAD", amount="12.345")
    lines[36] = _row(6, bank="BAD", country="ZZ")
    lines[15] = ""  # a blank line keeps its number
    return lines


def csv_bytes(lines: list[str]) -> bytes:
    return "\n".join([HEADER, *lines, ""]).encode()


def batched(document: bytes | Path, name: str, batch_rows: int) -> ParsedTransfers:
    """All batches of a file joined into one result, the way the store sees them."""
    parts = list(open_transfer_batches(document, name, None, batch_rows).batches())
    return ParsedTransfers(
        rows=pl.concat([part.rows for part in parts]),
        quarantined=[row for part in parts for row in part.quarantined],
        total_rows=sum(part.total_rows for part in parts),
    )


def assert_same(got: ParsedTransfers, expected: ParsedTransfers) -> None:
    assert got.rows.to_dicts() == expected.rows.to_dicts()
    assert got.rows.schema == expected.rows.schema
    assert got.quarantined == expected.quarantined
    assert got.total_rows == expected.total_rows


@pytest.mark.parametrize("batch_rows", [1, 7, 1000])
def test_csv_batches_equal_the_whole_file_with_the_files_row_numbers(
    batch_rows: int, tmp_path: Path
) -> None:
    data = csv_bytes(report_lines())
    expected = parse_transfer_file(data, "may.csv")
    assert len(expected.quarantined) == 7  # 2 + 3 repeats, 2 bad rows
    assert {row.row_number for row in expected.quarantined} == {3, 34, 6, 21, 39, 31, 37}
    assert_same(batched(data, "may.csv", batch_rows), expected)
    path = tmp_path / "may.csv"
    path.write_bytes(data)
    assert_same(batched(path, "may.csv", batch_rows), expected)


def test_parquet_batches_equal_the_whole_file(tmp_path: Path) -> None:
    table = pl.read_csv(csv_bytes(report_lines()), infer_schema=False)
    buffer = io.BytesIO()
    table.write_parquet(buffer, row_group_size=5)
    data = buffer.getvalue()
    expected = parse_transfer_file(data, "may.parquet")
    assert_same(batched(data, "may.parquet", 7), expected)
    path = tmp_path / "may.parquet"
    path.write_bytes(data)
    assert_same(batched(path, "may.parquet", 7), expected)


def test_a_malformed_line_deep_in_the_file_rejects_it_with_the_same_reason() -> None:
    lines = report_lines()
    lines[35] += ",extra,fields"
    data = csv_bytes(lines)
    with pytest.raises(RejectedFileError) as whole:
        parse_transfer_file(data, "may.csv")
    # Found on opening or in a batch, depending on how far polars reads ahead.
    with pytest.raises(RejectedFileError) as in_batches:
        list(open_transfer_batches(data, "may.csv", None, 7).batches())
    assert in_batches.value.reason == whole.value.reason


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"\nreport_date\n", HEADER.encode() + b"\n\xff\n", b"a,b\n1,2\n"],
)
def test_whole_file_rejections_are_the_same_on_opening(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(RejectedFileError) as whole:
        parse_transfer_file(data, "bad.csv")
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    for document in (data, path):
        with pytest.raises(RejectedFileError) as opened:
            open_transfer_batches(document, "bad.csv")
        assert opened.value.reason == whole.value.reason


_FIELDS = st.sampled_from(
    ["2026-05-01", "2026-05-02", "KICB", "AYIL", "RU", "in", "RUB", "1.00", "-1", "", "x", " 3 "]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_FIELDS, min_size=8, max_size=8), max_size=25),
    st.integers(min_value=1, max_value=9),
)
def test_any_small_file_batches_like_the_whole_file(rows: list[list[str]], batch_rows: int) -> None:
    data = csv_bytes([",".join(fields) for fields in rows])
    assert_same(batched(data, "fuzz.csv", batch_rows), parse_transfer_file(data, "fuzz.csv"))
