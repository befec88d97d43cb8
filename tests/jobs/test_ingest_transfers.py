"""Ingest of bank transfer reports end to end: inbox moves, quarantine, vintages, idempotency."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from config import Settings
from jobs.ingest_rates import ingest_rates
from jobs.ingest_transfers import ingest_transfers
from jobs.job_run import run_recorded
from service.store import Store
from service.store.schema import metadata

HEADER = "report_date,bank_code,system,country,direction,currency,amount,count\n"
RATES_CSV = (
    "date,currency,nominal,value\n"
    "2024-05-01,USD,1,88.0000\n2024-05-01,RUB,1,0.9680\n2024-05-01,KZT,1,0.2000\n"
)


def _drop(settings: Settings, name: str, text: str | bytes) -> Path:
    inbox = settings.paths.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _content(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every table but the job log, rows sorted: the store's content."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
            if table.name != "job_runs"
        }


def _rates(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(RATES_CSV)
    assert not ingest_rates(store, settings, str(path)).failed


def test_inbox_file_is_stored_archived_and_its_bad_rows_quarantined(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _rates(store, settings, tmp_path)
    _drop(
        settings,
        "bank-a-2024-05-02.csv",
        HEADER
        + "2024-05-02,B1,CONTACT,RU,in,RUB,90909.09,100\n"  # 90909.09 * 0.968 / 88 = 1000.00
        + "2024-05-02,B1,CONTACT,KZ,in,KZT,-1.00,1\n"
        + "2024-05-02,B1,CONTACT,RU,in,RUB,5.00,1\n",  # repeats the key of row 1
    )
    report = ingest_transfers(store, settings)
    [outcome] = report.outcomes
    assert (outcome.status, outcome.rows_new, outcome.rows_quarantined) == ("ingested", 0, 3)
    assert not report.failed
    reasons = {(e.row_number, e.column) for e in store.quarantined_rows()}
    assert reasons == {(1, None), (2, "amount"), (3, None)}
    assert list(settings.paths.inbox.iterdir()) == []
    [archived] = list(settings.paths.archive.rglob("*.csv"))
    assert archived.name == "bank-a-2024-05-02.csv"


def test_unreadable_file_is_rejected_whole_with_a_reason_file(
    store: Store, settings: Settings
) -> None:
    _drop(settings, "broken.csv", "report_date,bank_code\n2024-05-02,B1\n")
    report = ingest_transfers(store, settings)
    assert report.failed
    [outcome] = report.rejected
    assert "missing" in (outcome.reason or "")
    reason_file = settings.paths.rejected / "broken.csv.reason"
    assert reason_file.read_text().strip() == outcome.reason
    assert (settings.paths.rejected / "broken.csv").exists()
    assert store.transfer_totals().height == 0


def test_same_bytes_twice_leave_the_store_identical(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _rates(store, settings, tmp_path)
    body = HEADER + "2024-05-02,B1,CONTACT,RU,in,RUB,1000.00,3\n2024-05-02,B1,x,XX,in,RUB,1,1\n"
    _drop(settings, "a.csv", body)
    ingest_transfers(store, settings)
    before = _content(store)
    _drop(settings, "a-again.csv", body)
    report = ingest_transfers(store, settings)
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert _content(store) == before
    assert len(list(settings.paths.archive.rglob("*.csv"))) == 2


def test_correction_is_a_vintage_and_as_of_returns_the_old_value(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _rates(store, settings, tmp_path)
    _drop(settings, "may.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1000.00,3\n")
    ingest_transfers(store, settings)
    between = datetime.now(UTC)
    _drop(settings, "may-fixed.csv", HEADER + "2024-05-02,B1,CONTACT,US,in,USD,1200.00,4\n")
    report = ingest_transfers(store, settings)
    assert report.outcomes[0].rows_corrected == 1
    now = store.series_as_of("remit.in.total.M")["value"].to_list()
    then = store.series_as_of("remit.in.total.M", as_of=between)["value"].to_list()
    assert (now, then) == ([1200.0], [1000.0])


def test_transfers_wait_for_their_rate_then_appear(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _drop(settings, "early.csv", HEADER + "2024-05-02,B1,CONTACT,RU,in,RUB,8800.00,3\n")
    first = ingest_transfers(store, settings)
    assert first.series is not None and first.series.waiting_rows == 1
    assert store.find_series("remit.in.total.D") is None
    assert store.status_figures()["transfers"]["waiting_for_rates"] == 1
    _rates(store, settings, tmp_path)
    assert store.series_as_of("remit.in.total.D")["value"].to_list() == [pytest.approx(96.8)]
    assert store.status_figures()["transfers"]["waiting_for_rates"] == 0


def test_http_source_down_records_a_failed_run_and_changes_nothing(
    store: Store, settings: Settings, http_server: Callable[[dict[str, tuple[int, bytes]]], str]
) -> None:
    base = http_server({"/ok.csv": (200, (HEADER + "2024-05-02,B1,C,US,in,USD,1.00,1\n").encode())})
    report = run_recorded(
        store, "ingest_transfers", lambda: ingest_transfers(store, settings, f"{base}/down.csv")
    )
    assert report.failed and "404" in report.source_errors[0]
    assert f"{base}/down.csv" in report.source_errors[0]
    [run] = store.recent_runs()
    assert run.status == "failed" and run.error is not None and "down.csv" in run.error
    assert store.transfer_totals().height == 0
    ok = ingest_transfers(store, settings, f"{base}/ok.csv")
    assert ok.outcomes[0].rows_new == 1


def test_bank_database_is_read_from_its_watermark(store: Store, tmp_path: Path) -> None:
    bank = tmp_path / "bank.db"
    with sqlite3.connect(bank) as connection:
        connection.execute(
            "CREATE TABLE remit (day TEXT, bank TEXT, sys TEXT, ctry TEXT, dir TEXT, ccy TEXT, "
            "amt TEXT, n INTEGER)"
        )
        connection.execute(
            "INSERT INTO remit VALUES ('2024-05-01','B1','C','RU','in','USD','10',1)"
        )
    settings = Settings(
        paths={"data_dir": tmp_path / "var"},
        transfers={
            "sql_url": f"sqlite:///{bank}",
            "sql_query": "SELECT * FROM remit WHERE day > :watermark ORDER BY day",
            "column_map": {
                "day": "report_date",
                "bank": "bank_code",
                "sys": "system",
                "ctry": "country",
                "dir": "direction",
                "ccy": "currency",
                "amt": "amount",
                "n": "count",
            },
        },
    )
    assert ingest_transfers(store, settings, "sql").outcomes[0].rows_new == 1
    assert ingest_transfers(store, settings, "sql").outcomes == []  # nothing new
    with sqlite3.connect(bank) as connection:
        connection.execute("INSERT INTO remit VALUES ('2024-05-02','B1','C','RU','in','USD','5',1)")
    assert ingest_transfers(store, settings, "sql").outcomes[0].rows_new == 1
    assert store.transfer_totals().height == 2
