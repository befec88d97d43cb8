"""Read a bank's transfer report (CSV or Parquet) and validate it row by row.

A report holds one row per (report_date, bank_code, system, country, direction, currency)
with `amount` (currency units) and `count` (number of transfers). Banks name their columns
as they like; `column_map` renames them to ours. Columns we do not use are ignored.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import polars as pl

from jobs.errors import RejectedFileError
from jobs.sources.parsed import ParsedTransfers, describe_columns, require_utf8, shorten
from jobs.sources.received_checks import require_header_line
from jobs.validation import ROW_NUMBER_COLUMN, as_text, validate_transfers
from service.store.records import TRANSFER_COLUMNS

#: The first bytes of every Parquet file; anything else is read as CSV.
PARQUET_MAGIC = b"PAR1"
# Polars panics (PanicException, a BaseException) on some corrupt Parquet pages: for a
# received file that is a rejection, not a crash of the job.
#: Characters of a reader's own message kept in a rejection reason.
REASON_CHARACTERS = 400
READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)


def parse_transfer_file(
    data: bytes, name: str, column_map: Mapping[str, str] | None = None
) -> ParsedTransfers:
    """Parse and validate one transfer report; `name` (file name) names it in errors.

    `column_map` maps the bank's column names to ours; a column it renames to one of ours
    takes precedence over a column that already bears that name. Raises `RejectedFileError`
    when the file as a whole is unusable: unreadable Parquet, bytes that are not UTF-8,
    an empty file, malformed CSV, a required column missing or given twice, or a Parquet
    column type that cannot be read as text. A CSV with a header and no rows is valid.
    """
    renames = dict(column_map or {})
    if data.startswith(PARQUET_MAGIC):
        raw = _read_parquet(data, name, renames)
    else:
        raw = _read_csv(data, name, renames)
    return validate_transfers(raw, name)


def _read_csv(data: bytes, name: str, renames: Mapping[str, str]) -> pl.DataFrame:
    """Our columns as text, numbered from 1 after the header; blank lines keep their number."""
    require_utf8(data, name)
    require_header_line(data, name)
    try:
        # No header: the header row is read as text like the rest, names kept as written
        # (polars would rename a repeated name, hiding an ambiguous file).
        table = pl.read_csv(data, has_header=False, infer_schema=False, empty_string_is_null=False)
    except pl.exceptions.NoDataError as error:
        raise RejectedFileError(name, "the file is empty (no header row)") from error
    except READ_ERRORS as error:
        raise RejectedFileError(name, f"malformed CSV: {polars_reason(error)}") from error

    header = [str(field or "").strip() for field in table.row(0)]
    positions = our_columns(header, name, renames)
    body = table.slice(1).with_row_index(ROW_NUMBER_COLUMN, offset=1)
    blank = pl.all_horizontal(pl.col(column) == "" for column in table.columns)
    return body.filter(~blank).select(
        ROW_NUMBER_COLUMN,
        *(pl.col(table.columns[index]).alias(ours) for ours, index in positions.items()),
    )


def _read_parquet(data: bytes, name: str, renames: Mapping[str, str]) -> pl.DataFrame:
    try:
        found = list(pl.read_parquet_schema(io.BytesIO(data)))
        positions = our_columns(found, name, renames)
        table = pl.read_parquet(io.BytesIO(data), columns=[found[i] for i in positions.values()])
    except READ_ERRORS as error:
        reason = polars_reason(error)
        raise RejectedFileError(name, f"not a readable Parquet file: {reason}") from error
    renamed = table.rename({found[index]: ours for ours, index in positions.items()})
    return as_text(renamed, name)


def our_columns(found: Sequence[str], name: str, renames: Mapping[str, str]) -> dict[str, int]:
    """Map each of our columns to its position among `found`, after `renames`."""
    renamed_present = {renames[column] for column in found if column in renames}
    positions: dict[str, list[int]] = {column: [] for column in TRANSFER_COLUMNS}
    for index, column in enumerate(found):
        if column in renames:
            ours = renames[column]
        elif column in renamed_present:
            continue  # superseded by a column the map renames to this name
        else:
            ours = column
        if ours in positions:
            positions[ours].append(index)

    missing = [column for column, indexes in positions.items() if not indexes]
    if missing:
        mapped = " after applying the column map" if renames else ""
        raise RejectedFileError(
            name,
            f"missing required column(s) {', '.join(missing)}{mapped}; "
            f"columns found: {describe_columns(found)}",
        )
    for ours, indexes in positions.items():
        if len(indexes) > 1:
            given_as = describe_columns([found[index] for index in indexes])
            raise RejectedFileError(
                name, f"column {ours} is given {len(indexes)} times ({given_as})"
            )
    return {ours: indexes[0] for ours, indexes in positions.items()}


def polars_reason(error: BaseException) -> str:
    """Polars' own reason, without its hints (they are addressed to the programmer)."""
    message = str(error)
    if "Original error:" in message:
        message = message.rsplit("Original error:", 1)[1]
        lines = (line.strip(" `") for line in message.splitlines() if line.strip(" `"))
        return shorten(": ".join(lines), REASON_CHARACTERS)
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    # Polars quotes the offending field, which in a hostile file can run to megabytes.
    first_line = shorten(first_line, REASON_CHARACTERS)
    if "more fields than defined" in first_line:
        first_line += " (a row has more fields than the header)"
    return first_line or type(error).__name__
