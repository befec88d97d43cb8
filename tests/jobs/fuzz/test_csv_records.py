"""`csv_records` cuts on record ends only, loses no byte, and refuses an overlong record
naming the line it starts on, whatever the chunk size.

A record is refused when it has to be held past the limit; a longer one that fits in a
single chunk passes, so what is held stays within `chunk_bytes + limit`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.sources.csv_chunks import OverlongRecordError, csv_records
from tests.jobs.fuzz.mutations import fuzz_examples


def _records(document: bytes) -> list[bytes]:
    """The document's records, by the rule: a newline outside quotes ends one."""
    records, start, quotes = [], 0, 0
    for position, byte in enumerate(document):
        quotes += byte == ord('"')
        if byte == ord("\n") and quotes % 2 == 0:
            records.append(document[start : position + 1])
            start = position + 1
    if start < len(document):
        records.append(document[start:])
    return records


documents = st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"xyz", b"\r\n"]), max_size=200).map(
    b"".join
)


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(document=documents, chunk_bytes=st.integers(1, 40), limit=st.integers(1, 60))
def test_pieces_are_whole_records_or_the_overlong_one_is_named(
    document: bytes, chunk_bytes: int, limit: int
) -> None:
    records = _records(document)
    pieces: list[bytes] = []
    try:
        for piece in csv_records(document, chunk_bytes, limit):
            pieces.append(piece)
    except OverlongRecordError as error:
        # The record named starts on that line and is longer than the limit.
        starts = {}
        line = 1
        for record in records:
            starts[line] = record
            line += record.count(b"\n")
        assert len(starts[error.line]) > limit
        return
    # Only records that fit in a chunk and the limit may pass; memory is bounded by both.
    assert all(len(record) <= chunk_bytes + limit for record in records)
    assert b"".join(pieces) == document
    boundaries = {len(b"".join(records[:i])) for i in range(len(records) + 1)}
    cut = 0
    for piece in pieces:
        cut += len(piece)
        assert cut in boundaries


def test_an_open_quote_is_refused_at_the_line_it_opens() -> None:
    document = b"header\nrow 1\n" + b'"open\n' + b"x\n" * 1000
    with pytest.raises(OverlongRecordError) as refused:
        list(csv_records(document, 64, 100))
    assert refused.value.line == 3
    assert "line 3 runs past 100 bytes" in str(refused.value)
