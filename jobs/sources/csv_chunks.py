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
#: The longest record (line, or quoted lines) accepted. Bank report lines run to about
#: 50 bytes and a header of 10,000 columns to ~150 KB; a longer record is a file that is
#: not a report, or a quote left open, and is refused before it is held in memory whole.
MAX_RECORD_BYTES = 1024 * 1024


class OverlongRecordError(ValueError):
    """A record runs past `MAX_RECORD_BYTES`; `line` is the 1-based line it starts on."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(
            f"line {line} runs past {limit} bytes without ending (a report line is some "
            "tens of bytes: this is not a transfer report, or a quote is left open)"
        )
        self.line = line
        self.limit = limit


def csv_records(
    document: bytes | Path, chunk_bytes: int, max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[bytes]:
    """The document in pieces of about `chunk_bytes`, whole records only.

    Raises `OverlongRecordError` as soon as one record is longer than `max_record_bytes`,
    so memory stays within `chunk_bytes + max_record_bytes` whatever the file holds.
    """
    pending = b""
    line = 1  # the line `pending` starts on
    for chunk in chunks(document, chunk_bytes):
        pending += chunk
        # A record end earlier than this would leave an overlong record after it.
        cut = _last_record_end(pending, len(pending) - max_record_bytes - 1)
        if cut:
            yield pending[:cut]
            line += pending.count(b"\n", 0, cut)
            pending = pending[cut:]
        if len(pending) > max_record_bytes:
            start = _first_open_record(pending)
            raise OverlongRecordError(line + pending.count(b"\n", 0, start), max_record_bytes)
    if pending:
        yield pending


def _last_record_end(data: bytes, floor: int = 0) -> int:
    """The position after the last newline outside quotes at or after `floor`, or 0;
    `data` starts a record.

    The quote parity is counted once up to the last newline, then updated backwards
    newline by newline: linear in `data`, however many newlines fall inside quotes.
    """
    end = data.rfind(b"\n", max(floor, 0))
    if end == -1:
        return 0
    quotes = data.count(_QUOTE, 0, end)
    while quotes % 2:
        previous = data.rfind(b"\n", max(floor, 0), end)
        if previous == -1:
            return 0
        quotes -= data.count(_QUOTE, previous, end)
        end = previous
    return end + 1


def _first_open_record(data: bytes) -> int:
    """Where the record that never ends starts: after the last newline outside quotes.

    Steps from quote to quote, not newline to newline; run only to name a refused line.
    """
    start = position = 0
    while True:
        opening = data.find(_QUOTE, position)
        newline = data.rfind(b"\n", position, len(data) if opening == -1 else opening)
        if newline != -1:
            start = newline + 1
        if opening == -1:
            return start
        closing = data.find(_QUOTE, opening + 1)
        if closing == -1:
            return start
        position = closing + 1


def read_text_pieces(document: bytes | Path, chunk_bytes: int) -> Iterator[pl.DataFrame]:
    """Every line's fields as text, piece by piece, as `pl.read_csv` of the whole document
    reads them (no header, "" kept): the first line sets the columns, and a later line with
    more fields fails as it would in one read. Raises polars' errors, and
    `OverlongRecordError`."""
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
