"""Merge a batch of transfer rows into the raw layer with set-based SQL.

Each batch is bulk-loaded (COPY on PostgreSQL, executemany on SQLite) into an unindexed
temporary staging table, then classified and written by the database itself: no row is
read back into Python. A staged row whose key is current with the same figures is
unchanged and dropped; the rest become the next vintage of their key (1 for a new key)
in `transfer_vintages`, and replace their key in `transfers_current`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from service.store.bulk import bulk_insert
from service.store.records import TRANSFER_KEY
from service.store.schema import transfer_vintages, transfers_current
from service.store.types import Money, UtcDateTime

#: One batch as loaded, plus what the merge learns: the key's current vintage, if any,
#: and whether its figures are the same. Temporary: each session sees only its own.
staging = Table(
    "transfer_staging",
    MetaData(),
    *(Column(name, transfers_current.c[name].type, nullable=False) for name in TRANSFER_KEY),
    Column("amount", Money(2), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("known_vintage", Integer, nullable=True),
    Column("unchanged", Boolean, nullable=True),
    prefixes=["TEMPORARY"],
)

_FIGURES = ("amount", "count")


def open_staging(connection: Connection) -> None:
    """Create the (empty) staging table for this connection, in the open transaction."""
    staging.drop(connection, checkfirst=True)
    staging.create(connection)


def close_staging(connection: Connection) -> None:
    staging.drop(connection)


def merge_batch(
    connection: Connection, rows: pl.DataFrame, file_id: int, at: datetime
) -> tuple[int, int, int]:
    """Write one batch of valid rows (`TRANSFER_SCHEMA`, keys unique in the file);
    return how many were new, corrected and unchanged."""
    if rows.is_empty():
        return 0, 0, 0
    _clear_staging(connection)
    # In key order the index inserts go to neighbouring pages: on PostgreSQL a quarter less
    # server time for a large file, on SQLite a tenth.
    bulk_insert(connection, staging, rows.select(*TRANSFER_KEY, *_FIGURES).sort(TRANSFER_KEY))
    first, last = rows["report_date"].min(), rows["report_date"].max()
    assert isinstance(first, date) and isinstance(last, date)
    matched = unchanged = 0
    if _holds_other_keys(connection, first, last, file_id):
        if connection.dialect.name == "postgresql":
            # Statistics for the join plan; a temporary table is never auto-analysed.
            connection.exec_driver_sql(f"ANALYZE {staging.name}")
        matched = _mark_known(connection, first, last)
        unchanged = connection.execute(delete(staging).where(staging.c.unchanged)).rowcount
    _insert_vintages(connection, file_id, at)
    _write_current(connection, file_id, upsert=matched > unchanged)
    return rows.height - matched, matched - unchanged, unchanged


def _clear_staging(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # TRUNCATE, not DELETE: dead rows would pile up over the batches of a large file.
        connection.exec_driver_sql(f"TRUNCATE {staging.name}")
    else:
        connection.execute(delete(staging))


def _holds_other_keys(connection: Connection, first: date, last: date, file_id: int) -> bool:
    """Whether `transfers_current` has a key between `first` and `last` (report dates) from
    another file. Keys this file wrote in earlier batches cannot match: a key repeated in a
    file is quarantined. Without such keys every staged row is new (the common case)."""
    c = transfers_current.c
    found = connection.execute(
        select(literal(1)).where(c.report_date.between(first, last), c.file_id != file_id).limit(1)
    ).first()
    return found is not None


def _mark_known(connection: Connection, first: date, last: date) -> int:
    """Set `known_vintage` and `unchanged` on staged rows whose key is current; return how
    many there are."""
    c = transfers_current.c
    same_key = [staging.c[name] == c[name] for name in TRANSFER_KEY]
    same_figures = and_(*(staging.c[name] == c[name] for name in _FIGURES))
    statement = (
        update(staging)
        .where(*same_key, c.report_date.between(first, last))
        .values(known_vintage=c.vintage, unchanged=same_figures)
    )
    return connection.execute(statement).rowcount


def _next_vintage() -> Any:
    return func.coalesce(staging.c.known_vintage, 0) + 1


def _insert_vintages(connection: Connection, file_id: int, at: datetime) -> None:
    columns = [*TRANSFER_KEY, *_FIGURES, "vintage", "file_id", "recorded_at"]
    source = select(
        *(staging.c[name] for name in (*TRANSFER_KEY, *_FIGURES)),
        _next_vintage(),
        literal(file_id, Integer),
        literal(at, UtcDateTime()),
    )
    connection.execute(insert(transfer_vintages).from_select(columns, source))


def _write_current(connection: Connection, file_id: int, upsert: bool) -> None:
    """Insert the staged rows as current; `upsert` when some replace a current key."""
    columns = [*TRANSFER_KEY, *_FIGURES, "vintage", "file_id"]
    source = select(
        *(staging.c[name] for name in (*TRANSFER_KEY, *_FIGURES)),
        _next_vintage(),
        literal(file_id, Integer),
    )
    if not upsert:
        connection.execute(insert(transfers_current).from_select(columns, source))
        return
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT (a parsing ambiguity).
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(transfers_current).from_select(columns, source.where(true()))
    replaced = {
        name: statement.excluded[name] for name in ("amount", "count", "vintage", "file_id")
    }
    connection.execute(
        statement.on_conflict_do_update(index_elements=list(TRANSFER_KEY), set_=replaced)
    )
