"""Read a large transfer report in batches, with the same checks as `parse_transfer_file`.

Memory stays flat as files grow: the file is read in pieces twice, once for the keys that
repeat (8 bytes a row, see `repeated_key_groups`), then in batches of about `BATCH_ROWS`
rows, each validated on its own. Row numbers stay the file's row numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl

from jobs.errors import RejectedFileError
from jobs.sources.csv_chunks import OverlongRecordError, read_text_pieces
from jobs.sources.parsed import ParsedTransfers
from jobs.sources.received_checks import require_header_line, require_utf8_source, starts_with
from jobs.sources.regular_file import open_regular_file
from jobs.sources.transfer_files import PARQUET_MAGIC, READ_ERRORS, our_columns, polars_reason
from jobs.validation import ROW_NUMBER_COLUMN, as_text, repeated_key_groups, validate_transfers
from service.store.records import TRANSFER_COLUMNS

#: Data rows validated and written at once: bounds memory (~1.5 KB a row while validated).
BATCH_ROWS = 100_000

#: Bytes of CSV read per batch for each row of `BATCH_ROWS` (bank rows run ~50 bytes).
_CSV_BYTES_PER_ROW = 64
#: What reading a document can raise that means the file, not the job, is at fault.
_FILE_ERRORS = (*READ_ERRORS, OverlongRecordError)
_EMPTY_TEXT = pl.DataFrame(
    schema={ROW_NUMBER_COLUMN: pl.Int64, **dict.fromkeys(TRANSFER_COLUMNS, pl.String)}
)

#: A document as received: its bytes, or the path of a file not read into memory.
Document = bytes | Path


@dataclass(frozen=True)
class TransferBatches:
    """An opened report: iterate `batches()` to read, validate and yield it batch by batch.

    `text` reads the file afresh on each call, as text frames with our columns and the
    file's row numbers. The header and column checks are done on opening; a
    `RejectedFileError` for a malformed line deep in the file can still come from
    `batches()`.
    """

    name: str
    text: Callable[[], Iterator[pl.DataFrame]]
    #: How a read error deep in the file is introduced: "malformed CSV", ...
    failure: str

    def batches(self) -> Iterator[ParsedTransfers]:
        try:
            repeats = repeated_key_groups(self.text)
            empty = True
            for batch in self.text():
                empty = False
                yield validate_transfers(batch, self.name, repeats)
            if empty:  # no data rows: one empty batch, as the whole-file parser gives
                yield validate_transfers(_EMPTY_TEXT, self.name, repeats)
        except _FILE_ERRORS as error:
            raise RejectedFileError(self.name, f"{self.failure}: {polars_reason(error)}") from error


def open_transfer_batches(
    document: Document,
    name: str,
    column_map: Mapping[str, str] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> TransferBatches:
    """Check the file as a whole and return its batches of about `batch_rows` data rows;
    raises `RejectedFileError`."""
    renames = dict(column_map or {})
    if starts_with(document, PARQUET_MAGIC):
        text = _scan_parquet(document, name, renames, batch_rows)
        return TransferBatches(name=name, text=text, failure="not a readable Parquet file")
    text = _scan_csv(document, name, renames, batch_rows * _CSV_BYTES_PER_ROW)
    return TransferBatches(name=name, text=text, failure="malformed CSV")


def _scan_csv(
    document: Document, name: str, renames: Mapping[str, str], chunk_bytes: int
) -> Callable[[], Iterator[pl.DataFrame]]:
    require_utf8_source(document, name)
    require_header_line(document, name)
    try:
        first = next(read_text_pieces(document, chunk_bytes))
    except pl.exceptions.NoDataError as error:
        raise RejectedFileError(name, "the file is empty (no header row)") from error
    except _FILE_ERRORS as error:
        raise RejectedFileError(name, f"malformed CSV: {polars_reason(error)}") from error
    columns = first.columns
    header = [str(field or "").strip() for field in first.row(0)]
    positions = our_columns(header, name, renames)
    blank = pl.all_horizontal(pl.col(column) == "" for column in columns)
    ours = [pl.col(columns[index]).alias(column) for column, index in positions.items()]

    def text() -> Iterator[pl.DataFrame]:
        line = 0  # the header is line 0, so the first data row is numbered 1
        for piece in read_text_pieces(document, chunk_bytes):
            numbered = piece.with_row_index(ROW_NUMBER_COLUMN, offset=line)
            line += piece.height
            yield numbered.filter(~blank & (pl.col(ROW_NUMBER_COLUMN) > 0)).select(
                pl.col(ROW_NUMBER_COLUMN).cast(pl.Int64), *ours
            )

    return text


def _open_parquet(document: Document) -> BinaryIO:
    # Polars reads an open file through its descriptor, in pieces, as it reads a path; a
    # path would be opened by polars itself, following a symlink swapped in.
    return open_regular_file(document) if isinstance(document, Path) else io.BytesIO(document)


def _parquet_text(
    source: BinaryIO, name: str, found: list[str], positions: Mapping[str, int]
) -> pl.LazyFrame:
    table = pl.scan_parquet(source).select(found[index] for index in positions.values())
    renamed = table.rename({found[index]: ours for ours, index in positions.items()})
    numbered = as_text(renamed, name).with_row_index(ROW_NUMBER_COLUMN, offset=1)
    return numbered.select(pl.col(ROW_NUMBER_COLUMN).cast(pl.Int64), *TRANSFER_COLUMNS)


def _scan_parquet(
    document: Document, name: str, renames: Mapping[str, str], batch_rows: int
) -> Callable[[], Iterator[pl.DataFrame]]:
    try:
        with _open_parquet(document) as source:
            found = list(pl.read_parquet_schema(source))
            positions = our_columns(found, name, renames)
            source.seek(0)
            _parquet_text(source, name, found, positions)  # column types checked on opening
    except READ_ERRORS as error:
        reason = polars_reason(error)
        raise RejectedFileError(name, f"not a readable Parquet file: {reason}") from error

    def text() -> Iterator[pl.DataFrame]:
        with _open_parquet(document) as source:
            yield from _parquet_text(source, name, found, positions).collect_batches(
                chunk_size=batch_rows
            )

    return text
