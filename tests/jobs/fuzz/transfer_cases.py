"""Hostile and broken bank transfer reports (CSV and Parquet)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from tests.jobs.fuzz.case import DocumentCase, Quarantined, Writer, bytes_file, text_file

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"
ROW = "2024-05-02,B1,CONTACT,RU,in,RUB,1500.00,3\n"
BIG_BYTES = 100 * 1024 * 1024
WIDE_COLUMNS = 10_000


def _row(**fields: str) -> str:
    values = dict(zip(HEADER.strip().split(","), ROW.strip().split(","), strict=True))
    values.update(fields)
    return ",".join(values.values()) + "\n"


def _long_line(prefix: bytes, size: int, filler: bytes = b"9") -> Writer:
    def write(path: Path) -> None:
        with path.open("wb") as file:
            file.write(prefix)
            block = filler * (1024 * 1024 // len(filler))
            for _ in range(size // len(block)):
                file.write(block)
            file.write(b"\n")

    return write


def _wide(path: Path) -> None:
    extra = ",".join(f"extra_{i}" for i in range(WIDE_COLUMNS))
    values = ",".join("x" for _ in range(WIDE_COLUMNS))
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER.strip() + "," + extra + "\n")
        for bank in range(100):
            file.write(_row(bank_code=f"W{bank}").strip() + "," + values + "\n")


def _parquet(frame: pl.DataFrame, cut: int | None = None) -> Writer:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = buffer.getvalue()
    return bytes_file(data[:cut] if cut else data)


_GOOD = {
    "report_date": ["2024-05-02"],
    "bank_code": ["B1"],
    "system": ["CONTACT"],
    "country": ["RU"],
    "direction": ["in"],
    "currency": ["RUB"],
}


def _q(row: int, column: str | None, reason: str) -> Quarantined:
    return Quarantined(row, column, reason)


TRANSFER_CASES: tuple[DocumentCase, ...] = (
    DocumentCase(
        "csv-utf16-with-bom",
        "transfers",
        "utf16.csv",
        text_file(HEADER + ROW, "utf-16"),
        "rejected",
        reason="UTF-16LE encoded (byte-order mark FF FE); transfer reports are read as "
        "UTF-8: save it as UTF-8",
    ),
    DocumentCase(
        "csv-utf16-without-bom",
        "transfers",
        "utf16le.csv",
        text_file(HEADER + ROW, "utf-16-le"),
        "rejected",
        reason="UTF-16LE encoded (every other byte of its first line is 00); transfer "
        "reports are read as UTF-8: save it as UTF-8",
    ),
    DocumentCase(
        "csv-windows-1251",
        "transfers",
        "cp1251.csv",
        text_file(HEADER + _row(system="Золотая Корона"), "windows-1251"),
        "rejected",
        reason=f"at byte offset {len(HEADER) + 14} (line 2)",
    ),
    DocumentCase(
        "csv-utf8-bom",
        "transfers",
        "bom.csv",
        bytes_file(b"\xef\xbb\xbf" + (HEADER + ROW).encode()),
        "ingested",
        rows_new=1,
    ),
    DocumentCase(
        "csv-nul-byte",
        "transfers",
        "nul.csv",
        text_file(HEADER + _row(count="3\x00")),
        "ingested",
        quarantined=(_q(1, "count", "count is not a number"),),
    ),
    DocumentCase(
        "csv-huge-numbers",
        "transfers",
        "huge.csv",
        text_file(
            HEADER
            + _row(amount="9" * 17)
            + _row(bank_code="B2", count="9" * 19)
            + _row(bank_code="B3", amount="1" + "0" * 400)
        ),
        "ingested",
        quarantined=(
            _q(1, "amount", "amount is too large (99999999999999999; at most 16 digits"),
            _q(2, "count", "count is too large"),
            _q(3, "amount", "characters)"),  # a 401-digit value is quoted shortened
        ),
    ),
    DocumentCase(
        "csv-nan-and-infinity",
        "transfers",
        "nan.csv",
        text_file(
            HEADER
            + _row(amount="NaN")
            + _row(bank_code="B2", amount="inf")
            + _row(bank_code="B3", count="-Infinity")
        ),
        "ingested",
        quarantined=(
            _q(1, "amount", "amount is not a decimal number ('NaN')"),
            _q(2, "amount", "amount is not a decimal number ('inf')"),
            _q(3, "count", "count is not a number ('-Infinity')"),
        ),
    ),
    DocumentCase(
        "csv-thousand-separators",
        "transfers",
        "thousands.csv",
        text_file(
            HEADER
            + _row(amount='"1,500.00"')
            + _row(bank_code="B2", amount='"1 500,00"')
            + _row(bank_code="B3", amount='"1.500,00"')
            + _row(bank_code="B4", amount="1'500.00")
        ),
        "ingested",
        quarantined=(
            _q(1, "amount", "amount is not a decimal number ('1,500.00')"),
            _q(2, "amount", "amount is not a decimal number ('1 500,00')"),
            _q(3, "amount", "amount is not a decimal number ('1.500,00')"),
            _q(4, "amount", 'amount is not a decimal number ("1\'500.00")'),
        ),
    ),
    DocumentCase(
        "csv-dates-out-of-range",
        "transfers",
        "dates.csv",
        text_file(
            HEADER
            + _row(report_date="0000-01-01")
            + _row(report_date="2024-02-30")
            + _row(report_date="12024-01-01")
            + _row(report_date="2024-13-01")
            + _row(report_date="9999-12-31")
        ),
        "ingested",
        quarantined=(
            _q(1, "report_date", "report_date is out of range (0000-01-01; years 0001 to 9999)"),
            _q(2, "report_date", "report_date is not a valid YYYY-MM-DD date ('2024-02-30')"),
            _q(3, "report_date", "report_date is not a valid YYYY-MM-DD date ('12024-01-01')"),
            _q(4, "report_date", "report_date is not a valid YYYY-MM-DD date ('2024-13-01')"),
        ),
        rows_new=1,
    ),
    DocumentCase(
        "csv-10000-columns", "transfers", "wide.csv", _wide, "ingested", rows_new=100, heavy=True
    ),
    DocumentCase(
        "csv-single-100mb-line",
        "transfers",
        "one_line.csv",
        _long_line(b"", BIG_BYTES, b"a,"),
        "rejected",
        reason="malformed CSV: line 1 runs past 1048576 bytes without ending",
        heavy=True,
    ),
    DocumentCase(
        "csv-100mb-line-after-header",
        "transfers",
        "long_row.csv",
        _long_line((HEADER + ROW).encode() + b"2024-05-02,B2,CONTACT,RU,in,RUB,", BIG_BYTES),
        "rejected",
        reason="malformed CSV: line 3 runs past 1048576 bytes without ending",
        heavy=True,
    ),
    DocumentCase(
        "csv-quote-left-open",
        "transfers",
        "open_quote.csv",
        _long_line(
            (HEADER + ROW).encode() + b'2024-05-02,"B2,CONTACT\n', 2 * 1024 * 1024, b"x,y\n"
        ),
        "rejected",
        reason="malformed CSV: line 3 runs past 1048576 bytes without ending",
    ),
    DocumentCase(
        "csv-empty",
        "transfers",
        "empty.csv",
        bytes_file(b""),
        "rejected",
        reason="the file is empty (no header row)",
    ),
    DocumentCase(
        "parquet-missing-columns",
        "transfers",
        "missing.parquet",
        _parquet(pl.DataFrame({"report_date": ["2024-05-02"], "amount_usd": [1.0]})),
        "rejected",
        reason="missing required column(s) bank_code, system, country, direction, currency, "
        "amount, count; columns found: 'report_date', 'amount_usd'",
    ),
    DocumentCase(
        "parquet-nested-column",
        "transfers",
        "nested.parquet",
        _parquet(pl.DataFrame({**_GOOD, "amount": [[1.0, 2.0]], "count": [1]})),
        "rejected",
        reason="column 'amount' has type List(Float64), which cannot be read as text",
    ),
    DocumentCase(
        "parquet-binary-column",
        "transfers",
        "binary.parquet",
        _parquet(pl.DataFrame({**_GOOD, "amount": [b"\x00\x01"], "count": [1]})),
        "rejected",
        reason="column 'amount' has type Binary, which cannot be read as text",
    ),
    DocumentCase(
        "parquet-float-nan-infinity",
        "transfers",
        "floats.parquet",
        _parquet(
            pl.DataFrame(
                {k: v * 3 for k, v in _GOOD.items()}
                | {
                    "bank_code": ["B1", "B2", "B3"],
                    "amount": [float("nan"), float("inf"), 1e300],
                    "count": [1.0, 2.5, 3.0],
                }
            )
        ),
        "ingested",
        quarantined=(
            _q(1, "amount", "amount is not a decimal number ('NaN')"),
            _q(2, "amount", "amount is not a decimal number ('inf')"),
            _q(3, "amount", "amount is not a decimal number ('1e+300')"),
        ),
    ),
    DocumentCase(
        "parquet-truncated",
        "transfers",
        "truncated.parquet",
        _parquet(pl.DataFrame({**_GOOD, "amount": ["1.00"], "count": [1]}), cut=200),
        "rejected",
        reason="not a readable Parquet file",
    ),
)
