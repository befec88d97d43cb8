"""The bad-input catalogue: every case run against a fresh SQLite store, with its outcome.

    python -m tests.jobs.fuzz.catalogue            # every case, as a table
    python -m tests.jobs.fuzz.catalogue --case ID  # one case, as JSON with its peak memory

The table gives each case's outcome, rows stored and quarantined, and the reason (for
a rejection) or the first quarantine entry, so the figures can be recorded in
docs/reliability.md. Peak memory is the growth of the process's maximum resident set
during the ingest call; it is meaningful only when the case runs alone (`--case`).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from config import Settings
from config.settings import PathSettings
from jobs.ingest_rates import RateDocument, ingest_rate_document
from jobs.ingest_transfers import ingest_transfer_document, ingest_transfers
from service.store import IngestOutcome, Store
from tests.jobs.fuzz.case import DocumentCase, InboxCase
from tests.jobs.fuzz.inbox_cases import INBOX_CASES
from tests.jobs.fuzz.rate_cases import RATE_CASES
from tests.jobs.fuzz.transfer_cases import TRANSFER_CASES

DOCUMENT_CASES: tuple[DocumentCase, ...] = (*TRANSFER_CASES, *RATE_CASES)


@dataclass(frozen=True)
class CaseResult:
    """What one case did: the outcome, its counts, the reason and where the rows went."""

    case: str
    status: str
    rows_total: int
    rows_stored: int
    rows_quarantined: int
    reason: str
    quarantined: list[tuple[int, str | None, str]]
    peak_rss_mb: float
    seconds: float


@contextmanager
def fresh_store(folder: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{folder / 'store.db'}")
    store.upgrade()
    try:
        yield store
    finally:
        store.close()


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def ingest_case(
    store: Store, case: DocumentCase, folder: Path
) -> tuple[IngestOutcome, float, float]:
    """Write the case's document under `folder`, ingest it through the job's entry point;
    returns the outcome, the growth of peak RSS in MB and the seconds taken."""
    path = folder / case.file_name
    case.write(path)
    rss_before = _max_rss_mb()
    started = time.monotonic()
    if case.source == "transfers":
        outcome = ingest_transfer_document(store, case.file_name, path, {})
    else:
        outcome = ingest_rate_document(store, RateDocument(case.file_name, path.read_bytes()))
    seconds = time.monotonic() - started
    path.unlink()
    return outcome, _max_rss_mb() - rss_before, seconds


def run_document_case(case: DocumentCase, folder: Path) -> CaseResult:
    with fresh_store(folder) as store:
        outcome, peak_mb, seconds = ingest_case(store, case, folder)
        entries = sorted(
            (e.row_number, e.column, e.reason)
            for e in store.quarantined_rows(limit=1000)
            if e.file_name == case.file_name
        )
    return CaseResult(
        case=case.id,
        status=outcome.status,
        rows_total=outcome.rows_total,
        rows_stored=outcome.rows_new + outcome.rows_corrected,
        rows_quarantined=outcome.rows_quarantined,
        reason=outcome.reason or "",
        quarantined=entries,
        peak_rss_mb=round(peak_mb, 1),
        seconds=round(seconds, 2),
    )


@dataclass(frozen=True)
class InboxResult:
    case: str
    taken: list[str]
    left: list[str]
    warnings: list[str]
    received_names: list[str]


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_inbox_case(case: InboxCase, folder: Path) -> InboxResult:
    """Run the inbox job over the case's entries; `folder/outside` is beside the inbox."""
    settings = Settings(paths=PathSettings(data_dir=folder / "var"))
    inbox, outside = settings.paths.inbox, folder / "var" / "outside"
    inbox.mkdir(parents=True)
    outside.mkdir()
    case.prepare(inbox, outside)
    before = sorted(p.name for p in inbox.iterdir())
    handler = _Warnings()
    jobs_log = logging.getLogger("jobs")
    level = jobs_log.level
    jobs_log.addHandler(handler)
    jobs_log.setLevel(logging.WARNING)
    try:
        with fresh_store(folder) as store:
            report = ingest_transfers(store, settings)
    finally:
        jobs_log.removeHandler(handler)
        jobs_log.setLevel(level)
    left = sorted(p.name for p in inbox.iterdir())
    return InboxResult(
        case=case.id,
        taken=sorted(set(before) - set(left)),
        left=left,
        warnings=handler.messages,
        received_names=[outcome.name for outcome in report.outcomes],
    )


def _row(result: CaseResult) -> str:
    if result.status == "rejected":
        detail = result.reason
    elif result.quarantined:
        row, column, reason = result.quarantined[0]
        more = f" (+{len(result.quarantined) - 1} more)" if len(result.quarantined) > 1 else ""
        detail = f"row {row}, {column}: {reason}{more}"
    else:
        detail = ""
    if len(detail) > 110:
        detail = detail[:107] + "..."
    counts = f"{result.rows_total:>5} {result.rows_stored:>6} {result.rows_quarantined:>6}"
    return f"| {result.case:<36} | {result.status:<8} | {counts} | {detail}"


def print_table(results: list[CaseResult], inbox: list[InboxResult]) -> None:
    print(f"| {'case':<36} | {'outcome':<8} | {'total':>5} {'stored':>6} {'quar.':>6} | reason")
    for result in results:
        print(_row(result))
    for entry in inbox:
        warned = "warned" if entry.warnings else "no warning"
        print(f"| {entry.case:<36} | inbox    | taken {entry.taken}, left {entry.left}, {warned}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="run one document case and print it as JSON")
    arguments = parser.parse_args(argv)
    # The warnings each case logs are its expected outcome: kept out of the table.
    logging.getLogger("jobs").propagate = False
    logging.getLogger("jobs").addHandler(logging.NullHandler())
    if arguments.case:
        [case] = [c for c in DOCUMENT_CASES if c.id == arguments.case]
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(asdict(run_document_case(case, Path(folder)))))
        return 0
    results = []
    for case in DOCUMENT_CASES:
        with tempfile.TemporaryDirectory() as folder:
            results.append(run_document_case(case, Path(folder)))
    inbox = []
    for inbox_case in INBOX_CASES:
        with tempfile.TemporaryDirectory() as folder:
            inbox.append(run_inbox_case(inbox_case, Path(folder)))
    print_table(results, inbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
