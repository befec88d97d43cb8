"""Ingest the bundled sample (official rates, bank transfer reports) from jobs/sample/data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from config import Settings
from jobs.ingest_rates import RateDocument, ingest_rate_document
from jobs.ingest_transfers import ingest_transfer_document
from jobs.progress import ProgressHook, no_progress
from jobs.received import read_bytes
from jobs.refresh_series import refresh_series
from jobs.report import IngestReport
from service.store import Store


def sample_dir() -> Path:
    return Path(str(resources.files("jobs.sample") / "data"))


def sample_files() -> tuple[list[Path], list[Path]]:
    """(rate history CSVs, transfer Parquet files), in date order."""
    folder = sample_dir()
    rates = sorted(folder.glob("*rates*.csv"), key=lambda p: p.name.split("_")[-2])
    transfers = sorted(folder.glob("transfers_*.parquet"))
    return rates, transfers


def ingest_sample(
    store: Store, settings: Settings, progress: ProgressHook = no_progress
) -> IngestReport:
    """Ingest the bundled sample; a second run changes nothing (same checksums)."""
    report = IngestReport(job="ingest_sample")
    rates, transfers = sample_files()
    total = len(rates) + len(transfers)
    for done, path in enumerate(rates, start=1):
        document = RateDocument(f"sample:{path.name}", read_bytes(path))
        report.outcomes.append(ingest_rate_document(store, document))
        progress(done, total, path.name)
    for done, path in enumerate(transfers, start=len(rates) + 1):
        report.outcomes.append(
            ingest_transfer_document(store, f"sample:{path.name}", read_bytes(path), {})
        )
        progress(done, total, path.name)
    if report.brought_data:
        report.series = refresh_series(store, settings)
    return report
