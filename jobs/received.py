"""Read a received document and fingerprint it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jobs.errors import SourceError
from jobs.sources.regular_file import open_regular_file
from service.store import ReceivedFile

#: Bytes hashed at once when a file is fingerprinted from disk.
_CHUNK_BYTES = 16 * 1024 * 1024


def fingerprint(name: str, source: str, data: bytes) -> ReceivedFile:
    return ReceivedFile(
        name=name, source=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a symlink or anything but a regular file is refused (`SourceError`)."""
    try:
        with open_regular_file(path) as file:
            return file.read()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it: {exc.strerror or exc}") from exc


def fingerprint_file(name: str, source: str, path: Path) -> ReceivedFile:
    """`fingerprint` of a file on disk, read in chunks rather than into memory whole; a
    symlink or anything but a regular file is refused (`SourceError`), never followed."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open_regular_file(path) as file:
            while chunk := file.read(_CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    return ReceivedFile(name=name, source=source, sha256=digest.hexdigest(), size=size)
