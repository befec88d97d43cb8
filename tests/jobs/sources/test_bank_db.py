"""jobs.sources.bank_db (and service.store.external under it) against real databases."""

from __future__ import annotations

import socket
import sqlite3
from datetime import date
from functools import partial
from pathlib import Path

import polars as pl
import psycopg
import pytest

from config.errors import ConfigError
from config.settings import TransfersSettings
from jobs.errors import SourceError
from jobs.sources import bank_db
from jobs.sources.bank_db import max_report_date, read_new_transfers
from service.store import external
from service.store.external import ExternalSourceError, read_bank_rows
from service.store.records import TRANSFER_COLUMNS

#: The bank's names for our transfer columns.
COLUMN_MAP = {
    "rep_dt": "report_date",
    "bank_bic": "bank_code",
    "channel": "system",
    "cp_country": "country",
    "dir": "direction",
    "ccy": "currency",
    "amt": "amount",
    "n_transfers": "count",
}
BANK_ROWS = [
    # rep_dt, bank_bic, channel, cp_country, dir, ccy, amt, n_transfers, note
    ("2024-03-01", "KICB", "Zolotaya Korona", "RU", "in", "RUB", "1250000.50", 410, "x"),
    ("2024-03-01", "KICB", "Unistream", "KZ", "in", "KZT", "990000.00", 120, None),
    ("2024-03-02", "DEMIR", "Contact", "RU", "in", "RUB", "870000.10", 301, None),
    ("2024-03-03", "DEMIR", "Contact", "RU", "out", "USD", "15000.00", None, None),
    ("2024-03-04", "RSK", "SWIFT", "US", "in", "USD", "40210.75", 12, None),
]
QUERY = "SELECT * FROM remit_agg WHERE rep_dt > :watermark ORDER BY rep_dt, bank_bic, channel"


@pytest.fixture
def bank_path(tmp_path: Path) -> Path:
    path = tmp_path / "bank reports.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE remit_agg (rep_dt TEXT, bank_bic TEXT, channel TEXT,"
            " cp_country TEXT, dir TEXT, ccy TEXT, amt TEXT, n_transfers INTEGER, note TEXT)"
        )
        connection.executemany(
            "INSERT INTO remit_agg VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", BANK_ROWS
        )
    connection.close()
    return path


@pytest.fixture
def settings(bank_path: Path) -> TransfersSettings:
    return TransfersSettings(
        sql_url=f"sqlite:///{bank_path}", sql_query=QUERY, column_map=COLUMN_MAP
    )


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_reads_every_row_under_our_column_names_as_text(settings: TransfersSettings) -> None:
    transfers = read_new_transfers(settings, watermark=None)
    assert transfers.columns == list(TRANSFER_COLUMNS)
    assert set(transfers.dtypes) == {pl.String()}
    assert transfers.height == len(BANK_ROWS)
    first = ("2024-03-01", "KICB", "Unistream", "KZ", "in", "KZT", "990000.00", "120")
    assert transfers.row(0) == first
    assert transfers.get_column("count").to_list()[3] is None  # NULL stays null


def test_the_watermark_filters_rows_already_read(settings: TransfersSettings) -> None:
    transfers = read_new_transfers(settings, watermark=date(2024, 3, 2))
    assert transfers.get_column("report_date").to_list() == ["2024-03-03", "2024-03-04"]


def test_nothing_new_gives_an_empty_frame_with_our_columns(settings: TransfersSettings) -> None:
    transfers = read_new_transfers(settings, watermark=date(2024, 3, 4))
    assert transfers.is_empty()
    assert transfers.columns == list(TRANSFER_COLUMNS)


def test_batches_concatenate_to_the_whole_result(
    settings: TransfersSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = read_new_transfers(settings, watermark=None)
    batches = list(read_bank_rows(settings.sql_url, QUERY, None, batch_rows=2))
    assert [batch.height for batch in batches] == [2, 2, 1]
    monkeypatch.setattr(bank_db, "read_bank_rows", partial(read_bank_rows, batch_rows=2))
    assert read_new_transfers(settings, watermark=None).equals(whole)


def test_a_missing_transfer_column_is_named_with_the_query(settings: TransfersSettings) -> None:
    without_amount = {bank: ours for bank, ours in COLUMN_MAP.items() if ours != "amount"}
    with pytest.raises(SourceError) as raised:
        read_new_transfers(settings.model_copy(update={"column_map": without_amount}), None)
    message = str(raised.value)
    assert "missing transfer columns amount;" in message
    assert "SELECT * FROM remit_agg" in message


def test_a_mapped_bank_column_absent_from_the_query_is_named(settings: TransfersSettings) -> None:
    narrow = settings.model_copy(
        update={"sql_query": "SELECT rep_dt, bank_bic FROM remit_agg WHERE rep_dt > :watermark"}
    )
    with pytest.raises(SourceError, match=r"amount \(bank column 'amt'\)"):
        read_new_transfers(narrow, None)


def test_renaming_onto_a_column_the_query_returns_is_refused(
    settings: TransfersSettings,
) -> None:
    clash = settings.model_copy(update={"column_map": {**COLUMN_MAP, "note": "system"}})
    with pytest.raises(SourceError, match=r"renames bank columns onto \['system'\]"):
        read_new_transfers(clash, None)


def test_an_sql_error_names_the_url_and_the_database_reason(bank_path: Path) -> None:
    broken = TransfersSettings(
        sql_url=f"sqlite:///{bank_path}",
        sql_query="SELECT * FROM no_such_table WHERE rep_dt > :watermark",
        column_map=COLUMN_MAP,
    )
    with pytest.raises(SourceError) as raised:
        read_new_transfers(broken, None)
    message = str(raised.value)
    assert f"sqlite:///{bank_path}" in message
    assert "no such table: no_such_table" in message
    assert isinstance(raised.value.__cause__, ExternalSourceError)


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "absent.sqlite"
    settings = TransfersSettings(sql_url=f"sqlite:///{missing}", sql_query=QUERY)
    with pytest.raises(SourceError, match="unable to open database file"):
        read_new_transfers(settings, None)
    assert not missing.exists()


def test_an_unreachable_server_is_named_without_the_password(closed_port: int) -> None:
    url = f"postgresql+psycopg://reporter:Sup3r-s3cret@127.0.0.1:{closed_port}/reports"
    settings = TransfersSettings(sql_url=url, sql_query=QUERY, column_map=COLUMN_MAP)
    with pytest.raises(SourceError) as raised:
        read_new_transfers(settings, None)
    message = str(raised.value)
    assert "Sup3r-s3cret" not in message
    assert f"postgresql+psycopg://***@127.0.0.1:{closed_port}/reports" in message
    assert "refused" in message.lower()


@pytest.mark.parametrize(
    "url",
    [
        "not a database url",
        "nosuchdialect://reporter:Sup3r-s3cret@127.0.0.1/reports",
        "postgresql+psycopg://reporter:Sup3r/s3cret@127.0.0.1:5432/reports",
    ],
)
def test_an_invalid_url_is_a_source_error_without_the_password(url: str) -> None:
    settings = TransfersSettings(sql_url=url, sql_query=QUERY)
    with pytest.raises(SourceError, match=r"^bank database ") as raised:
        read_new_transfers(settings, None)
    assert "s3cret" not in str(raised.value)


def test_the_bank_database_is_never_written(bank_path: Path) -> None:
    with pytest.raises(ExternalSourceError, match="readonly"):
        list(read_bank_rows(f"sqlite:///{bank_path}", "DELETE FROM remit_agg", None))
    with sqlite3.connect(bank_path) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM remit_agg").fetchone()
    connection.close()
    assert rows == len(BANK_ROWS)


@pytest.mark.parametrize("missing", [{"sql_url": ""}, {"sql_query": ""}])
def test_an_unconfigured_source_is_a_config_error(
    settings: TransfersSettings, missing: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match=r"transfers\.sql_url and transfers\.sql_query"):
        read_new_transfers(settings.model_copy(update=missing), None)


@pytest.mark.parametrize(
    ("report_dates", "expected"),
    [
        (["2024-03-01", "2024-03-05", "2024-03-02"], date(2024, 3, 5)),
        (["2024-03-01", "garbage", None, "2024-02-30", "2099-13-01"], date(2024, 3, 1)),
        (["garbage", None], None),
        ([], None),
    ],
)
def test_max_report_date_ignores_unparseable_dates(
    report_dates: list[str | None], expected: date | None
) -> None:
    frame = pl.DataFrame({"report_date": report_dates}, schema={"report_date": pl.String()})
    assert max_report_date(frame) == expected


def test_max_report_date_advances_the_watermark(settings: TransfersSettings) -> None:
    first = read_new_transfers(settings, watermark=None)
    watermark = max_report_date(first)
    assert watermark == date(2024, 3, 4)
    assert read_new_transfers(settings, watermark).is_empty()


@pytest.mark.postgres
@pytest.mark.integration
def test_a_postgresql_bank_database_is_read_as_text_and_read_only(postgres_url: str) -> None:
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as connection:
        connection.execute(
            "CREATE TABLE remit_agg (rep_dt date, bank_bic text, channel text,"
            " cp_country text, dir text, ccy text, amt numeric(20, 2), n_transfers bigint,"
            " note text)"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO remit_agg VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(date.fromisoformat(row[0]), *row[1:]) for row in BANK_ROWS],
            )
        # A SELECT with a side effect: only a read-only session stops it.
        connection.execute(
            "CREATE FUNCTION wipe() RETURNS bigint LANGUAGE sql AS"
            " 'DELETE FROM remit_agg; SELECT count(*) FROM remit_agg'"
        )
    settings = TransfersSettings(sql_url=postgres_url, sql_query=QUERY, column_map=COLUMN_MAP)

    transfers = read_new_transfers(settings, watermark=date(2024, 3, 1))

    assert transfers.get_column("report_date").to_list() == [
        "2024-03-02",
        "2024-03-03",
        "2024-03-04",
    ]
    assert transfers.get_column("amount").to_list() == ["870000.10", "15000.00", "40210.75"]
    with pytest.raises(ExternalSourceError, match="cannot execute DELETE in a read-only"):
        list(external.read_bank_rows(postgres_url, "SELECT wipe() AS left_over", None))
    with psycopg.connect(conninfo) as connection:
        row = connection.execute("SELECT count(*) FROM remit_agg").fetchone()
    assert row == (len(BANK_ROWS),)
