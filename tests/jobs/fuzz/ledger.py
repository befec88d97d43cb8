"""What the store holds for one received file, and the rules every ingest outcome obeys.

Shared by the fuzz properties and the catalogue: an outcome is "ingested" (rows stored,
bad rows quarantined with row, column and reason), "rejected" (a reason, nothing stored)
or "duplicate" (bytes already seen, nothing changed); the store holds all of a file or
none of it, and the counts add up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from service.store import IngestOutcome, Store
from service.store.schema import (
    official_rates,
    quarantine,
    received_files,
    transfer_vintages,
)

OUTCOMES = ("ingested", "rejected", "duplicate")
#: Longest rejection or quarantine reason: messages quote hostile values shortened.
REASON_LIMIT = 2_000


@dataclass(frozen=True)
class FileRows:
    """Rows of the store written for one received file."""

    status: str | None
    reason: str | None
    stored: int  # transfer vintages or official rates
    quarantined: int


def file_rows(store: Store, name: str) -> FileRows:
    """The store's rows for the received file called `name` (the latest such file)."""
    with store.engine.connect() as connection:
        received = connection.execute(
            select(received_files.c.id, received_files.c.status, received_files.c.reason)
            .where(received_files.c.name == name)
            .order_by(received_files.c.id.desc())
        ).first()
        if received is None:
            return FileRows(status=None, reason=None, stored=0, quarantined=0)
        file_id, status, reason = received
        stored = sum(
            connection.execute(
                select(func.count()).select_from(table).where(table.c.file_id == file_id)
            ).scalar_one()
            for table in (transfer_vintages, official_rates)
        )
        quarantined = connection.execute(
            select(func.count()).select_from(quarantine).where(quarantine.c.file_id == file_id)
        ).scalar_one()
    return FileRows(status=status, reason=reason, stored=stored, quarantined=quarantined)


def table_sizes(store: Store) -> dict[str, int]:
    """Row counts of the raw layer's tables."""
    with store.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (received_files, transfer_vintages, official_rates, quarantine)
        }


def check_outcome(store: Store, outcome: IngestOutcome, name: str, before: dict[str, int]) -> None:
    """Assert the documented outcome of ingesting the file `name`; `before` is
    `table_sizes(store)` taken just before."""
    assert outcome.status in OUTCOMES, outcome
    after = table_sizes(store)
    if outcome.status == "duplicate":
        assert after == before
        return
    rows = file_rows(store, name)
    assert rows.status == outcome.status
    assert after["received_files"] == before["received_files"] + 1
    if outcome.status == "rejected":
        assert outcome.reason, outcome
        assert rows.reason == outcome.reason
        assert (rows.stored, rows.quarantined) == (0, 0)  # nothing of a refused file
        assert {k: after[k] - before[k] for k in after} == {
            "received_files": 1,
            "transfer_vintages": 0,
            "official_rates": 0,
            "quarantine": 0,
        }
        return
    parts = (
        outcome.rows_new
        + outcome.rows_corrected
        + outcome.rows_unchanged
        + outcome.rows_quarantined
    )
    assert outcome.rows_total == parts, outcome
    assert rows.quarantined == outcome.rows_quarantined
    assert rows.stored == outcome.rows_new + outcome.rows_corrected
    assert after["quarantine"] - before["quarantine"] == outcome.rows_quarantined


def check_reasons(
    store: Store, outcome: IngestOutcome, name: str, columns: tuple[str, ...]
) -> None:
    """Reasons stay short, and every quarantined row of file `name` names its row and
    (when it has one) a column among `columns`."""
    assert len(outcome.reason or "") < REASON_LIMIT
    for entry in store.quarantined_rows(limit=outcome.rows_quarantined or 1):
        if entry.file_name == name:
            assert entry.row_number >= 1
            assert entry.column is None or entry.column in columns
            assert entry.reason and len(entry.reason) < REASON_LIMIT
