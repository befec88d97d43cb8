"""Whole-file checks that read a received document in chunks: bytes or a file on disk.

A file is never read into memory whole: its bytes pass through in `CHUNK_BYTES` pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jobs.errors import RejectedFileError
from jobs.sources.parsed import UTF8_BOM, require_utf8
from jobs.sources.regular_file import open_regular_file
from jobs.sources.wide_unicode import wide_text_encoding

#: Bytes read at once from a file on disk.
CHUNK_BYTES = 16 * 1024 * 1024
#: The longest UTF-8 sequence less one: a chunk may end inside a character.
_UTF8_TAIL = 3


def chunks(document: bytes | Path, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The document's bytes in order, `size` at a time; a path is opened without following
    a symlink (`SourceError` for one, or for anything but a regular file)."""
    if isinstance(document, bytes):
        for start in range(0, len(document), size):
            yield document[start : start + size]
        return
    with open_regular_file(document) as file:
        while chunk := file.read(size):
            yield chunk


def starts_with(document: bytes | Path, prefix: bytes) -> bool:
    head = next(chunks(document, len(prefix)), b"")
    return head[: len(prefix)] == prefix


def require_utf8_source(document: bytes | Path, origin: str) -> None:
    """`require_utf8` over a document of any size: the same message, offset and line.
    A document in UTF-16 or UTF-32 is refused first, with its encoding named."""
    wide = wide_text_encoding(next(chunks(document, 4096), b""))
    if wide is not None:
        raise RejectedFileError(
            origin, f"{wide.describe()}; transfer reports are read as UTF-8: save it as UTF-8"
        )
    if isinstance(document, bytes):
        require_utf8(document, origin)
        return
    offset = lines = 0  # bytes and newlines before `pending`
    pending = b""
    for chunk in chunks(document):
        pending += chunk
        # A character cut by the chunk's end is checked with the next chunk.
        body = pending[: len(pending) - _incomplete_tail(pending)]
        if not body.isascii():
            try:
                str(body, "utf-8")
            except UnicodeDecodeError as error:
                line = lines + body.count(b"\n", 0, error.start) + 1
                _fail(body[error.start : error.end], offset + error.start, line, origin, error)
        offset += len(body)
        lines += body.count(b"\n")
        pending = pending[len(body) :]
    if pending:  # the file ends inside a character
        _fail(pending, offset, lines + 1, origin, None)


def _fail(
    bad_bytes: bytes, offset: int, line: int, origin: str, error: UnicodeDecodeError | None
) -> None:
    raise RejectedFileError(
        origin,
        f"not UTF-8: undecodable bytes {bad_bytes!r} at byte offset {offset} (line {line})",
    ) from error


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end start a multi-byte character that is not finished."""
    for back in range(1, min(_UTF8_TAIL, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: the start of a character
            needed = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return back if byte >= 0xC0 and needed > back else 0
    return 0


def require_header_line(document: bytes | Path, name: str) -> None:
    """Raise `RejectedFileError` unless the first line (after a BOM) holds something."""
    first = True
    line_done = False
    for chunk in chunks(document):
        if first:
            chunk = chunk[len(UTF8_BOM) :] if chunk.startswith(UTF8_BOM) else chunk
            first = False
        if not line_done:
            end = chunk.find(b"\n")
            if chunk[: len(chunk) if end == -1 else end].strip():
                return
            if end == -1:
                continue
            line_done = True
            chunk = chunk[end:]
        if chunk.strip():
            raise RejectedFileError(name, "the first line is blank: expected the header row")
    raise RejectedFileError(name, "the file is empty (no header row)")
