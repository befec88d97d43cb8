"""Read a received document and fingerprint it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jobs.errors import SourceError
from service.store import ReceivedFile


def fingerprint(name: str, source: str, data: bytes) -> ReceivedFile:
    return ReceivedFile(
        name=name, source=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
