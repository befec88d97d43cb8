"""Read a CSV document in pieces that end on record boundaries, each parsed by polars.

polars' own CSV scan maps the whole file into memory, so its peak RSS grows with the
file; here only one piece (`chunk_bytes`) is held at a time. A newline ends a record
when the quotes before it are balanced: RFC 4180 doubles a quote inside a quoted field,
so the parity of the quote count is the quoting state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from jobs.sources.received_checks import chunks

_QUOTE = b'"'


def csv_records(document: bytes | Path, chunk_bytes: int) -> Iterator[bytes]:
    """The document in pieces of about `chunk_bytes` (or one longer record), whole records only."""
    pending = b""
    for chunk in chunks(document, chunk_bytes):
        pending += chunk
        cut = _last_record_end(pending)
        if cut:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


def _last_record_end(data: bytes) -> int:
    """The position after the last newline outside quotes, or 0; `data` starts a record."""
    end = data.rfind(b"\n")
    while end != -1:
        if data.count(_QUOTE, 0, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", 0, end)
    return 0


def read_text_pieces(document: bytes | Path, chunk_bytes: int) -> Iterator[pl.DataFrame]:
    """Every line's fields as text, piece by piece, as `pl.read_csv` of the whole document
    reads them (no header, "" kept): the first line sets the columns, and a later line with
    more fields fails as it would in one read. Raises polars' errors."""
    header = b""
    for piece in csv_records(document, chunk_bytes):
        if not header:
            table = pl.read_csv(
                piece, has_header=False, infer_schema=False, empty_string_is_null=False
            )
            header = ",".join(table.columns).encode() + b"\n"
        else:
            # The first line's column names head every later piece: the same width, and a
            # short line is padded with "" as in one read.
            table = pl.read_csv(
                header + piece, has_header=True, infer_schema=False, empty_string_is_null=False
            )
        yield table
