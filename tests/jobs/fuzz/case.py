"""One entry of the bad-input catalogue: what is received, and what must come of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Writes the received document at the given path (big ones in pieces, never whole).
Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Quarantined:
    """A row expected in quarantine: its row number, column and a piece of its reason."""

    row: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class DocumentCase:
    """A document handed to an ingest entry point.

    `source` is "transfers" (`ingest_transfer_document`, the file given as a path, as the
    inbox does) or "rates" (`ingest_rate_document`). `status` is "ingested" or
    "rejected"; `reason` must appear in a rejection's reason; `quarantined` lists every
    row expected in quarantine.
    """

    id: str
    source: str
    file_name: str
    write: Writer
    status: str
    reason: str = ""
    quarantined: tuple[Quarantined, ...] = ()
    rows_new: int | None = None
    #: Run in a child process whose peak memory is measured (big documents).
    heavy: bool = False


def text_file(text: str, encoding: str = "utf-8") -> Writer:
    return bytes_file(text.encode(encoding))


def bytes_file(data: bytes) -> Writer:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


@dataclass(frozen=True)
class InboxCase:
    """Entries placed in the inbox (and outside it); what the inbox job must do with them.

    `prepare(inbox, outside)` creates them. `taken` names the inbox entries that must be
    ingested; every other entry must be left where it is, and nothing outside the inbox
    read: no received file may name a path outside it.
    """

    id: str
    prepare: Callable[[Path, Path], None]
    taken: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    warning: str = ""
    notes: list[str] = field(default_factory=list)
