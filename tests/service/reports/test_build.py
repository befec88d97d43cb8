"""The report builds on the sample and on a generated data set; the PDF is readable."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from config import Settings
from jobs.ingest_rates import RateDocument, ingest_rate_document
from jobs.ingest_transfers import ingest_transfer_document
from jobs.received import read_bytes
from jobs.refresh_series import refresh_series
from jobs.sample.generate import write_sample
from service.reports.build import build_report, list_reports, parse_month
from service.reports.errors import ReportError
from service.reports.html import SECTIONS
from service.store import Store
from tests.fitted_sample import FittedSample
from tests.service.reports.conftest import SampleReports

HEADINGS = (
    "Headline",
    "Inflows against the forecast",
    "Composition and seasonality",
    "Exchange rates and volatility",
    "Impact of remittances on the som",
    "Shock events",
    "Data quality",
    "Model quality",
)


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[: -1 if text.endswith("\f") else None]


def test_the_html_is_self_contained(sample_reports: SampleReports) -> None:
    html = sample_reports.html.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:") for s in sources), sources
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "@font-face" not in html
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 8
    assert [f'<section id="{s}">' in html for s in SECTIONS] == [True] * len(SECTIONS)


def test_each_chart_has_a_reading_from_the_numbers(sample_reports: SampleReports) -> None:
    html = sample_reports.html.read_text(encoding="utf-8")
    readings = re.findall(r'<p class="reading">([^<]+)</p>', html)
    assert len(readings) >= 12
    assert any("Inflows in Jul 2026 were $" in r for r in readings)
    assert any("A -10% fall in remittances moves som per USD by" in r for r in readings)
    assert any("models beat their benchmark" in r for r in readings)


def test_the_pdf_has_one_page_per_section_and_reads_back(sample_reports: SampleReports) -> None:
    assert sample_reports.pdf.read_bytes().startswith(b"%PDF")
    pages = _pdf_pages(sample_reports.pdf)
    assert len(pages) == len(SECTIONS) == len(HEADINGS)
    for page, heading in zip(pages, HEADINGS, strict=True):
        assert heading in page
    assert "Remittance monitor — Jul 2026" in pages[0]
    assert "remittances" in pages[4] and "som_usd" in pages[4]  # the Granger table


def test_reports_are_listed_newest_first(sample_reports: SampleReports) -> None:
    listed = list_reports(sample_reports.html.parent)
    assert [(r.month, r.format) for r in listed] == [("2026-07", "html"), ("2026-07", "pdf")]


def test_a_month_without_data_is_refused(fitted_sample: FittedSample, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no total inflows stored for 2031-01"):
        build_report(
            fitted_sample.store, fitted_sample.settings, date(2031, 1, 1), tmp_path, "html"
        )
    with pytest.raises(ReportError, match="not a month"):
        parse_month("2026-13")


def test_a_past_month_builds(fitted_sample: FittedSample, tmp_path: Path) -> None:
    path = build_report(
        fitted_sample.store, fitted_sample.settings, date(2024, 3, 1), tmp_path, "html"
    )
    assert path.name == "remittance-monitor-2024-03.html"
    assert "Inflows in Mar 2024 were $" in path.read_text(encoding="utf-8")


def test_a_generated_data_set_without_models_builds(tmp_path: Path) -> None:
    """Another seed, fewer years, nothing fitted: the model sections say so."""
    settings = Settings(paths={"data_dir": tmp_path / "var"})
    (tmp_path / "var").mkdir()
    files = write_sample(tmp_path / "generated", seed=20260)
    store = Store.open(settings.database_url)
    try:
        store.upgrade()
        for path in files:
            if path.suffix == ".csv":
                ingest_rate_document(store, RateDocument(path.name, read_bytes(path)))
            elif path.stem >= "transfers_2022":
                ingest_transfer_document(store, path.name, read_bytes(path), {})
        refresh_series(store, settings)
        html = build_report(store, settings, None, tmp_path / "out", "html")
    finally:
        store.close()
    text = html.read_text(encoding="utf-8")
    assert html.name == "remittance-monitor-2026-07.html"
    assert "No impact analysis: no VAR stored: run `remitwatch fit`." in text
    assert "No backtests stored: run `remitwatch fit`." in text
    assert "no forecast stored" in text
