"""Ingest bank transfer aggregates: the inbox, an HTTP URL, or the bank reporting database.

One transaction per file; a file is processed once (by checksum). Inbox files then
move to archive/ or, if refused whole, to rejected/ beside a .reason file.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from config import Settings
from jobs import inbox
from jobs.errors import RejectedFileError, SourceError
from jobs.progress import ProgressHook, no_progress
from jobs.received import fingerprint, fingerprint_file
from jobs.refresh_series import refresh_series
from jobs.report import IngestReport
from jobs.sources.bank_db import max_report_date, read_new_transfers
from jobs.sources.http import fetch, is_http_url
from jobs.sources.transfer_batches import BATCH_ROWS, open_transfer_batches
from service.store import IngestOutcome, Store, masked_url

log = logging.getLogger(__name__)

SQL_SOURCE = "sql"


def ingest_transfer_document(
    store: Store,
    name: str,
    document: bytes | Path,
    column_map: dict[str, str],
    batch_rows: int = BATCH_ROWS,
) -> IngestOutcome:
    """Validate and store one document (file, HTTP body or database batch) in one transaction.

    A `Path` is read in chunks and batches, never whole, so memory stays flat as files
    grow; `batch_rows` data rows are validated and written at a time.
    """
    if isinstance(document, Path):
        received = fingerprint_file(name, "transfers", document)
    else:
        received = fingerprint(name, "transfers", document)
    if store.file_seen(received.sha256):
        # A rejected file whose move to rejected/ failed comes back: say why it was refused.
        return IngestOutcome(
            name=name, status="duplicate", reason=store.recorded_refusal(received.sha256)
        )
    try:
        opened = open_transfer_batches(document, name, column_map, batch_rows)
        # A line found malformed in a later batch rolls the whole file back.
        outcome = store.ingest_transfer_batches(
            received,
            ((batch.rows, batch.quarantined, batch.total_rows) for batch in opened.batches()),
        )
    except RejectedFileError as exc:
        log.warning("%s", exc)
        return store.record_rejected_file(received, exc.reason)
    if outcome.rows_quarantined:
        log.warning("%s: %d rows quarantined", name, outcome.rows_quarantined)
    return outcome


def _ingest_path(
    store: Store, settings: Settings, path: Path, report: IngestReport, move: bool
) -> None:
    try:
        outcome = ingest_transfer_document(store, str(path), path, settings.transfers.column_map)
    except SourceError as exc:
        report.source_errors.append(str(exc))
        return
    report.outcomes.append(outcome)
    if not move:
        return
    # A duplicate with a reason is a copy of a rejected file: it goes to rejected/ too.
    reason = outcome.reason
    rejected = outcome.status == "rejected" or reason is not None
    try:
        if rejected:
            inbox.reject(path, settings.paths.rejected, reason or "rejected")
        else:
            inbox.archive(path, settings.paths.archive)
    except OSError as exc:
        # The store already holds the file; the next run sees its checksum and moves it.
        folder = settings.paths.rejected if rejected else settings.paths.archive
        error = (
            f"{path}: recorded as {outcome.status} but not moved to {folder} "
            f"({exc.strerror or exc}); it stays in the inbox and the next run moves it"
        )
        log.error("%s", error)
        report.source_errors.append(error)


def _ingest_url(store: Store, settings: Settings, url: str, report: IngestReport) -> None:
    try:
        document = fetch(url, settings.http)
    except SourceError as exc:
        report.source_errors.append(str(exc))
        return
    report.outcomes.append(
        ingest_transfer_document(store, url, document.content, settings.transfers.column_map)
    )


def _ingest_database(store: Store, settings: Settings, report: IngestReport) -> None:
    source_name = f"{SQL_SOURCE}:{masked_url(settings.transfers.sql_url)}"
    mark = store.watermark(source_name)
    watermark = date.fromisoformat(mark) if mark else None
    try:
        frame = read_new_transfers(settings.transfers, watermark)
    except SourceError as exc:
        report.source_errors.append(str(exc))
        return
    if frame.is_empty():
        return
    # The batch goes through the same parser as a file: same checks, same quarantine.
    name = f"{source_name} after {watermark or 'start'}"
    report.outcomes.append(ingest_transfer_document(store, name, frame.write_csv().encode(), {}))
    newest = max_report_date(frame)
    if newest is not None:
        store.set_watermark(source_name, newest.isoformat())


def ingest_transfers(
    store: Store,
    settings: Settings,
    source: str | None = None,
    progress: ProgressHook = no_progress,
) -> IngestReport:
    """Ingest SOURCE (a file, a folder, an http(s) URL or `sql`), or by default the
    inbox plus the configured URL and bank database; then refresh the series."""
    report = IngestReport(job="ingest_transfers")
    inbox_dir = settings.paths.inbox
    if source is None or (not is_http_url(source) and Path(source) == inbox_dir):
        files = inbox.pending_files(inbox_dir)
        for done, path in enumerate(files, start=1):
            _ingest_path(store, settings, path, report, move=True)
            progress(done, len(files), str(path))
        if source is None and settings.transfers.url:
            _ingest_url(store, settings, settings.transfers.url, report)
        if source is None and settings.transfers.sql_url:
            _ingest_database(store, settings, report)
    elif source == SQL_SOURCE:
        if not settings.transfers.sql_url:
            report.source_errors.append("source 'sql' needs transfers.sql_url and sql_query")
        else:
            _ingest_database(store, settings, report)
    elif is_http_url(source):
        _ingest_url(store, settings, source, report)
    else:
        path = Path(source)
        if path.is_dir():
            files = inbox.pending_files(path)
        elif path.is_file():
            files = [path]
        else:
            report.source_errors.append(
                f"transfers source {source!r} is not a file, a folder, an http(s) URL or 'sql'"
            )
            files = []
        for done, file in enumerate(files, start=1):
            _ingest_path(store, settings, file, report, move=False)
            progress(done, len(files), str(file))
    if report.brought_data:
        report.series = refresh_series(store, settings)
    return report
