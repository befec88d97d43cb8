"""Writes to the raw layer: received files, official rates, transfers, quarantine.

Each public function runs inside the caller's transaction (`Store` opens one per
file), so a failure leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from service.store.records import (
    IngestOutcome,
    OfficialRate,
    QuarantinedRow,
    ReceivedFile,
)
from service.store.schema import official_rates, quarantine, received_files
from service.store.transfer_merge import close_staging, merge_batch, open_staging

_INSERT_BATCH = 20_000
_COUNTS = ("rows_total", "rows_new", "rows_corrected", "rows_unchanged", "rows_quarantined")


def utc_now() -> datetime:
    return datetime.now(UTC)


def file_seen(connection: Connection, sha256: str) -> bool:
    found = connection.execute(
        select(received_files.c.id).where(received_files.c.sha256 == sha256)
    ).first()
    return found is not None


def recorded_refusal(connection: Connection, sha256: str) -> str | None:
    """The reason recorded for the file with this checksum if it was rejected, else None."""
    found = connection.execute(
        select(received_files.c.status, received_files.c.reason).where(
            received_files.c.sha256 == sha256
        )
    ).first()
    if found is None or found.status != "rejected":
        return None
    return str(found.reason or "rejected")


def _record_file(
    connection: Connection, file: ReceivedFile, outcome: IngestOutcome, at: datetime
) -> int:
    result = connection.execute(
        insert(received_files).values(
            sha256=file.sha256,
            name=file.name,
            source=file.source,
            size_bytes=file.size,
            received_at=at,
            status=outcome.status,
            rows_total=outcome.rows_total,
            rows_new=outcome.rows_new,
            rows_corrected=outcome.rows_corrected,
            rows_unchanged=outcome.rows_unchanged,
            rows_quarantined=outcome.rows_quarantined,
            reason=outcome.reason,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def record_rejected(connection: Connection, file: ReceivedFile, reason: str) -> IngestOutcome:
    outcome = IngestOutcome(name=file.name, status="rejected", reason=reason)
    file_id = _record_file(connection, file, outcome, utc_now())
    return IngestOutcome(name=file.name, status="rejected", file_id=file_id, reason=reason)


def _insert_quarantine(
    connection: Connection, file_id: int, rows: Sequence[QuarantinedRow], at: datetime
) -> None:
    if not rows:
        return
    connection.execute(
        insert(quarantine),
        [
            {
                "file_id": file_id,
                "row_number": row.row_number,
                "column_name": row.column,
                "reason": row.reason,
                "raw": row.raw,
                "recorded_at": at,
            }
            for row in rows
        ],
    )


def _insert_many(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _INSERT_BATCH):
        connection.execute(insert(table), rows[start : start + _INSERT_BATCH])


def ingest_rates(
    connection: Connection,
    file: ReceivedFile,
    rates: Sequence[OfficialRate],
    quarantined: Sequence[QuarantinedRow],
    rows_total: int,
) -> IngestOutcome:
    """Store the rates of one file; a changed figure for a known (date, currency) is a vintage."""
    at = utc_now()
    latest = _latest_rates(connection, rates)
    new_rows: list[dict[str, Any]] = []
    corrected = unchanged = 0
    for rate in rates:
        known = latest.get((rate.rate_date, rate.currency))
        if known is not None and known[1] == rate.som_per_unit:
            unchanged += 1
            continue
        vintage = 1 if known is None else known[0] + 1
        corrected += known is not None
        new_rows.append(
            {
                "rate_date": rate.rate_date,
                "currency": rate.currency,
                "nominal": rate.nominal,
                "value": rate.value,
                "vintage": vintage,
                "recorded_at": at,
            }
        )
    outcome = IngestOutcome(
        name=file.name,
        status="ingested",
        rows_total=rows_total,
        rows_new=len(new_rows) - corrected,
        rows_corrected=corrected,
        rows_unchanged=unchanged,
        rows_quarantined=len(quarantined),
    )
    file_id = _record_file(connection, file, outcome, at)
    for row in new_rows:
        row["file_id"] = file_id
    _insert_many(connection, official_rates, new_rows)
    _insert_quarantine(connection, file_id, quarantined, at)
    return IngestOutcome(**{**outcome.__dict__, "file_id": file_id})


def _latest_rates(
    connection: Connection, rates: Sequence[OfficialRate]
) -> dict[tuple[Any, str], tuple[int, Decimal]]:
    if not rates:
        return {}
    first = min(rate.rate_date for rate in rates)
    last = max(rate.rate_date for rate in rates)
    rows = connection.execute(
        select(
            official_rates.c.rate_date,
            official_rates.c.currency,
            official_rates.c.vintage,
            official_rates.c.nominal,
            official_rates.c.value,
        )
        .where(official_rates.c.rate_date.between(first, last))
        .order_by(official_rates.c.vintage)
    )
    latest: dict[tuple[Any, str], tuple[int, Decimal]] = {}
    for rate_date, currency, vintage, nominal, value in rows:
        latest[(rate_date, currency)] = (vintage, value / nominal)
    return latest


#: One batch of a transfer file: valid rows (`TRANSFER_SCHEMA`), quarantined rows, data rows.
TransferBatch = tuple[pl.DataFrame, Sequence[QuarantinedRow], int]


def ingest_transfers(
    connection: Connection,
    file: ReceivedFile,
    rows: pl.DataFrame,
    quarantined: Sequence[QuarantinedRow],
    rows_total: int,
) -> IngestOutcome:
    """Store one file's valid transfer rows: new keys, corrections as vintages, repeats skipped."""
    return ingest_transfer_batches(connection, file, [(rows, quarantined, rows_total)])


def ingest_transfer_batches(
    connection: Connection, file: ReceivedFile, batches: Iterable[TransferBatch]
) -> IngestOutcome:
    """`ingest_transfers` for a file given in batches (in file order), in the caller's
    transaction; the outcome counts the whole file."""
    at = utc_now()
    pending = IngestOutcome(name=file.name, status="ingested")
    file_id = _record_file(connection, file, pending, at)
    rows_total = new = corrected = unchanged = quarantined_count = 0
    open_staging(connection)
    for rows, quarantined, batch_total in batches:
        batch_new, batch_corrected, batch_unchanged = merge_batch(connection, rows, file_id, at)
        _insert_quarantine(connection, file_id, quarantined, at)
        rows_total += batch_total
        new += batch_new
        corrected += batch_corrected
        unchanged += batch_unchanged
        quarantined_count += len(quarantined)
    close_staging(connection)
    outcome = IngestOutcome(
        name=file.name,
        status="ingested",
        file_id=file_id,
        rows_total=rows_total,
        rows_new=new,
        rows_corrected=corrected,
        rows_unchanged=unchanged,
        rows_quarantined=quarantined_count,
    )
    counts = {name: getattr(outcome, name) for name in _COUNTS}
    connection.execute(
        update(received_files).where(received_files.c.id == file_id).values(**counts)
    )
    return outcome


def count_rows(connection: Connection, table: Any) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
