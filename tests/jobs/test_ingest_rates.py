"""Ingest of official rates: real NBKR files, the date they carry, URLs, folders and failures."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from config import Settings
from jobs.ingest_rates import ingest_rates
from service.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "nbkr_xml"
EVENING_FILE = FIXTURES / "daily_2026-07-03_kg-dashboard.xml"  # fetched 2026-07-02


def _rate(store: Store, currency: str, on: date) -> float:
    rates = store.current_rates().filter(
        (pl.col("currency") == currency) & (pl.col("rate_date") == on)
    )
    return float(rates["som_per_unit"].item())


def test_real_files_from_a_folder(store: Store, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "xml"
    shutil.copytree(FIXTURES, folder)
    report = ingest_rates(store, settings, str(folder))
    assert not report.failed
    assert [o.rows_new for o in report.outcomes] == [5, 5, 40]
    assert _rate(store, "USD", date(2026, 7, 3)) == 87.45
    assert _rate(store, "JPY", date(2026, 5, 23)) == 0.54969  # 5,4969 per nominal 10
    assert _rate(store, "BYR", date(2026, 5, 23)) == 0.003402  # nominal 100


def test_the_evening_file_is_in_force_from_its_own_date_only(
    store: Store, settings: Settings
) -> None:
    ingest_rates(store, settings, str(EVENING_FILE))
    usd = store.series_as_of("fx.USD.D")
    # Published on 2026-07-02 but dated 03.07.2026: no value for the 2nd or before.
    assert usd["period"].to_list() == [date(2026, 7, 3)]
    assert usd["value"].to_list() == [87.45]


def test_rates_from_a_url_and_from_a_server_that_fails(
    store: Store,
    settings: Settings,
    http_server: Callable[[dict[str, tuple[int, bytes]]], str],
) -> None:
    base = http_server(
        {
            "/XML/daily.xml": (200, EVENING_FILE.read_bytes()),
            "/broken.xml": (500, b"oops"),
            "/garbage.xml": (200, b"<html><body>Service temporarily unavailable</body></html>"),
        }
    )
    garbage = ingest_rates(store, settings, f"{base}/garbage.xml")
    assert garbage.failed and "CurrencyRates" in (garbage.rejected[0].reason or "")
    failed = ingest_rates(store, settings, f"{base}/broken.xml")
    assert failed.failed
    assert "500" in failed.source_errors[0] and f"{base}/broken.xml" in failed.source_errors[0]
    assert store.current_rates().height == 0
    ok = ingest_rates(store, settings, f"{base}/XML/daily.xml")
    assert ok.outcomes[0].rows_new == 5
    again = ingest_rates(store, settings, f"{base}/XML/daily.xml")
    assert again.outcomes[0].status == "duplicate"


def test_garbage_and_truncated_documents_are_rejected(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(EVENING_FILE.read_bytes()[:200])
    report = ingest_rates(store, settings, str(truncated))
    assert report.failed and report.rejected[0].reason
    assert store.current_rates().height == 0


def test_a_revised_rate_is_a_new_vintage(store: Store, settings: Settings, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("date,currency,nominal,value\n2024-01-02,USD,1,89.0000\n")
    revised = tmp_path / "b.csv"
    revised.write_text("date,currency,nominal,value\n2024-01-02,USD,1,89.5000\n")
    ingest_rates(store, settings, str(first))
    report = ingest_rates(store, settings, str(revised))
    assert report.outcomes[0].rows_corrected == 1
    assert store.series_as_of("fx.USD.D")["value"].to_list() == [89.5]


def test_no_source_configured_is_a_clear_failure(store: Store, settings: Settings) -> None:
    report = ingest_rates(store, settings)
    assert report.failed and "rates.source" in report.source_errors[0]
