"""The store on SQLite and on a real PostgreSQL: migrations, vintages, exact money, atomicity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from service.store import (
    TRANSFER_SCHEMA,
    OfficialRate,
    QuarantinedRow,
    ReceivedFile,
    SeriesSpec,
    Store,
)
from service.store.schema import metadata, received_files, transfer_vintages, transfers_current


def _file(name: str, sha: str, source: str = "transfers") -> ReceivedFile:
    return ReceivedFile(name=name, source=source, sha256=sha * 64 if len(sha) == 1 else sha, size=1)


def _transfers(*rows: tuple[str, str, str, int]) -> pl.DataFrame:
    """Rows of (report_date, country, amount, count) for bank B1, system SYS, in, RUB."""
    return pl.DataFrame(
        {
            "report_date": [date.fromisoformat(r[0]) for r in rows],
            "bank_code": ["B1"] * len(rows),
            "system": ["SYS"] * len(rows),
            "country": [r[1] for r in rows],
            "direction": ["in"] * len(rows),
            "currency": ["RUB"] * len(rows),
            "amount": [Decimal(r[2]) for r in rows],
            "count": [r[3] for r in rows],
        },
        schema=TRANSFER_SCHEMA,
    )


def test_migrations_match_the_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    store.upgrade()  # idempotent
    assert store.schema_revision() == "0006"  # the newest migration


def test_money_is_exact(store: Store) -> None:
    store.ingest_transfer_file(
        _file("a.csv", "a"),
        _transfers(
            ("2024-01-02", "RU", "0.10", 1),
            ("2024-01-02", "KZ", "0.20", 1),
            ("2024-01-03", "RU", "12345678901234567.89", 1),
        ),
        [],
        3,
    )
    totals = store.transfer_totals()
    by_day = totals.group_by("report_date").agg(pl.col("amount").sum()).sort("report_date")
    assert by_day["amount"].to_list() == [Decimal("0.30"), Decimal("12345678901234567.89")]


def test_correction_is_a_new_vintage_and_history_is_kept(store: Store) -> None:
    first = store.ingest_transfer_file(
        _file("a.csv", "a"), _transfers(("2024-01-02", "RU", "100.00", 2)), [], 1
    )
    assert (first.rows_new, first.rows_corrected) == (1, 0)
    same = store.ingest_transfer_file(
        _file("b.csv", "b"), _transfers(("2024-01-02", "RU", "100.00", 2)), [], 1
    )
    assert (same.rows_new, same.rows_corrected, same.rows_unchanged) == (0, 0, 1)
    fixed = store.ingest_transfer_file(
        _file("c.csv", "c"), _transfers(("2024-01-02", "RU", "150.50", 3)), [], 1
    )
    assert (fixed.rows_new, fixed.rows_corrected) == (0, 1)
    with store.engine.connect() as connection:
        history = connection.execute(
            select(transfer_vintages.c.vintage, transfer_vintages.c.amount).order_by(
                transfer_vintages.c.vintage
            )
        ).all()
        current = connection.execute(
            select(transfers_current.c.amount, transfers_current.c["count"])
        ).all()
    assert history == [(1, Decimal("100.00")), (2, Decimal("150.50"))]
    assert current == [(Decimal("150.50"), 3)]


def test_the_same_bytes_change_nothing(store: Store) -> None:
    store.ingest_transfer_file(_file("a.csv", "a"), _transfers(("2024-01-02", "RU", "1", 1)), [], 1)
    again = store.ingest_transfer_file(
        _file("a-copy.csv", "a"), _transfers(("2024-01-02", "RU", "999", 1)), [], 1
    )
    assert again.status == "duplicate"
    assert store.transfer_totals()["amount"].to_list() == [Decimal("1.00")]


def test_a_failing_file_leaves_the_store_as_it_was(store: Store) -> None:
    broken = _transfers(("2024-01-02", "RU", "1", 1), ("2024-01-03", "RU", "2", 1)).with_columns(
        pl.when(pl.col("report_date") == date(2024, 1, 3))
        .then(None)
        .otherwise(pl.col("bank_code"))
        .alias("bank_code")
    )
    quarantined = [QuarantinedRow(3, "amount", "amount is negative (-1)", {"amount": "-1"})]
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        store.ingest_transfer_file(_file("bad.csv", "d"), broken, quarantined, 3)
    assert not store.file_seen("d" * 64)
    assert store.transfer_totals().height == 0
    assert store.quarantined_rows() == []


def test_rates_vintages_and_quarantine(store: Store) -> None:
    day = date(2024, 5, 24)
    first = store.ingest_rates_file(
        _file("daily.xml", "1", "rates"),
        [
            OfficialRate(day, "USD", 1, Decimal("87.4500")),
            OfficialRate(day, "JPY", 10, Decimal("5.5000")),
        ],
        [QuarantinedRow(3, "Value", "Value is not a decimal number ('x')", {"Value": "x"})],
        3,
    )
    assert (first.rows_new, first.rows_quarantined) == (2, 1)
    rates = store.current_rates().sort("currency")
    assert rates["som_per_unit"].to_list() == [pytest.approx(0.55), pytest.approx(87.45)]
    revised = store.ingest_rates_file(
        _file("daily2.xml", "2", "rates"), [OfficialRate(day, "USD", 1, Decimal("87.5000"))], [], 1
    )
    assert revised.rows_corrected == 1
    assert store.current_rates().filter(pl.col("currency") == "USD")["som_per_unit"].item() == 87.5
    entry = store.quarantined_rows()[0]
    assert (entry.file_name, entry.row_number, entry.column) == ("daily.xml", 3, "Value")


def test_series_as_of_returns_what_was_known_then(store: Store) -> None:
    spec = SeriesSpec("remit.in.total.M", "remittance", "M", "USD", {"direction": "in"}, "test")
    t1 = datetime(2024, 2, 1, tzinfo=UTC)
    t2 = t1 + timedelta(days=10)
    frame = pl.DataFrame(
        {
            "key": ["remit.in.total.M"] * 2,
            "period": [date(2024, 1, 1), date(2024, 2, 1)],
            "value": [100.0, 200.0],
        }
    )
    assert store.write_series([spec], frame, t1).new_vintages == 2
    corrected = frame.with_columns(pl.Series("value", [100.0, 250.0]))
    outcome = store.write_series([spec], corrected, t2)
    assert (outcome.new_vintages, outcome.unchanged) == (1, 1)
    now = store.series_as_of("remit.in.total.M")
    before = store.series_as_of("remit.in.total.M", as_of=t2 - timedelta(seconds=1))
    assert now["value"].to_list() == [100.0, 250.0]
    assert before["value"].to_list() == [100.0, 200.0]
    assert store.series_as_of("remit.in.total.M", as_of=t1 - timedelta(days=1)).height == 0
    [summary] = store.list_series()
    assert (summary.observations, summary.last_period) == (2, date(2024, 2, 1))


def test_job_runs_and_watermarks(store: Store) -> None:
    run = store.start_run("ingest_transfers")
    store.finish_run(run, "failed", rows=0, error="GET http://x failed", detail={"a": 1})
    [recorded] = store.recent_runs()
    assert (recorded.job, recorded.status, recorded.error) == (
        "ingest_transfers",
        "failed",
        "GET http://x failed",
    )
    assert recorded.finished_at is not None and recorded.finished_at >= recorded.started_at
    assert store.watermark("sql:bank") is None
    store.set_watermark("sql:bank", "2024-01-31")
    store.set_watermark("sql:bank", "2024-02-29")
    assert store.watermark("sql:bank") == "2024-02-29"


def test_every_transfer_refers_to_its_received_file(store: Store) -> None:
    # The bulk tables carry no foreign key (for load speed): the store keeps the link.
    store.ingest_transfer_file(_file("a.csv", "a"), _transfers(("2024-01-02", "RU", "1", 1)), [], 1)
    store.ingest_transfer_file(_file("b.csv", "b"), _transfers(("2024-01-02", "RU", "2", 1)), [], 1)
    with store.engine.connect() as connection:
        files = set(connection.execute(select(received_files.c.id)).scalars())
        for table in (transfer_vintages, transfers_current):
            referenced = set(connection.execute(select(table.c.file_id)).scalars())
            assert referenced and referenced <= files
