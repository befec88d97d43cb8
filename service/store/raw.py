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
from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from service.store.bulk import bulk_insert
from service.store.records import (
    MONEY_DTYPE,
    TRANSFER_KEY,
    IngestOutcome,
    OfficialRate,
    QuarantinedRow,
    ReceivedFile,
)
from service.store.schema import (
    official_rates,
    quarantine,
    received_files,
    transfer_vintages,
    transfers_current,
)

_INSERT_BATCH = 20_000
_COUNTS = ("rows_total", "rows_new", "rows_corrected", "rows_unchanged", "rows_quarantined")


def utc_now() -> datetime:
    return datetime.now(UTC)


def file_seen(connection: Connection, sha256: str) -> bool:
    found = connection.execute(
        select(received_files.c.id).where(received_files.c.sha256 == sha256)
    ).first()
    return found is not None


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


def _current_transfers(connection: Connection, rows: pl.DataFrame, file_id: int) -> pl.DataFrame:
    first, last = rows["report_date"].min(), rows["report_date"].max()
    c = transfers_current.c
    # Rows this file wrote in earlier batches cannot match (a key repeated in a file is
    # quarantined), so they are left out rather than read back.
    result = connection.execute(
        select(*(c[name] for name in TRANSFER_KEY), c.amount, c["count"], c.vintage).where(
            c.report_date.between(first, last), c.file_id != file_id
        )
    )
    schema = {
        **{name: rows.schema[name] for name in TRANSFER_KEY},
        "known_amount": MONEY_DTYPE,
        "known_count": pl.Int64(),
        "known_vintage": pl.Int64(),
    }
    return pl.DataFrame(list(result), schema=schema, orient="row")


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
    for rows, quarantined, batch_total in batches:
        batch_new, batch_corrected, batch_unchanged = _write_transfers(
            connection, rows, file_id, at
        )
        _insert_quarantine(connection, file_id, quarantined, at)
        rows_total += batch_total
        new += batch_new
        corrected += batch_corrected
        unchanged += batch_unchanged
        quarantined_count += len(quarantined)
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


def _write_transfers(
    connection: Connection, rows: pl.DataFrame, file_id: int, at: datetime
) -> tuple[int, int, int]:
    """Write one batch; return how many rows were new, corrected and unchanged."""
    if rows.is_empty():
        return 0, 0, 0
    compared = rows.join(
        _current_transfers(connection, rows, file_id), on=list(TRANSFER_KEY), how="left"
    )
    is_new = pl.col("known_vintage").is_null()
    is_changed = ~is_new & (
        (pl.col("amount") != pl.col("known_amount")) | (pl.col("count") != pl.col("known_count"))
    )
    new = compared.filter(is_new).with_columns(vintage=pl.lit(1, pl.Int64))
    changed = compared.filter(is_changed).with_columns(vintage=pl.col("known_vintage") + 1)
    columns = [*TRANSFER_KEY, "amount", "count", "vintage"]
    written = pl.concat([new.select(columns), changed.select(columns)])
    bulk_insert(
        connection,
        transfer_vintages,
        written.with_columns(
            file_id=pl.lit(file_id), recorded_at=pl.lit(at, pl.Datetime("us", "UTC"))
        ),
    )
    bulk_insert(
        connection, transfers_current, new.select(columns).with_columns(file_id=pl.lit(file_id))
    )
    if changed.height:
        _update_current(connection, changed.select(columns), file_id)
    return new.height, changed.height, compared.height - new.height - changed.height


def _update_current(connection: Connection, changed: pl.DataFrame, file_id: int) -> None:
    c = transfers_current.c
    statement = (
        update(transfers_current)
        .where(and_(*(c[name] == bindparam(f"k_{name}") for name in TRANSFER_KEY)))
        .values(
            amount=bindparam("new_amount"),
            count=bindparam("new_count"),
            vintage=bindparam("new_vintage"),
            file_id=bindparam("new_file_id"),
        )
    )
    params = [
        {
            **{f"k_{name}": row[name] for name in TRANSFER_KEY},
            "new_amount": row["amount"],
            "new_count": row["count"],
            "new_vintage": row["vintage"],
            "new_file_id": file_id,
        }
        for row in changed.iter_rows(named=True)
    ]
    connection.execute(statement, params)


def count_rows(connection: Connection, table: Any) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
