"""A source that hangs, answers slowly, answers 500, is cut off, or serves a truncated or
malformed document, met by the scheduled jobs (jobs/scheduled.py) against a real local
server: each run ends within its time bound and is recorded as failed with the URL and the
cause, the staleness gauge keeps rising, nothing is half-written, and the next run after
the server is fixed brings the data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import Settings
from jobs.scheduled import JOBS
from service.metrics import make_registry, render
from service.store import Store
from tests.faults.conftest import Fault, SourceServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "nbkr_xml"
RATES_XML = (FIXTURES / "daily_2026-07-03_kg-dashboard.xml").read_bytes()
NEXT_DAY_XML = RATES_XML.replace(b'Date="03.07.2026"', b'Date="04.07.2026"').replace(
    b"87,4500", b"87,5100"
)
HEADER = b"report_date,bank_code,system,country,direction,currency,amount,count\n"
TRANSFERS_CSV = HEADER + b"2026-07-01,B1,CONTACT,RU,in,RUB,1000.00,3\n"
NEXT_TRANSFERS_CSV = HEADER + b"2026-07-02,B1,CONTACT,RU,in,RUB,1500.00,4\n"

TIMEOUT_SECONDS, ATTEMPTS, BACKOFF_SECONDS = 0.5, 2, 0.1
#: fetch promises about twice the timeout per attempt; the margin covers a busy machine.
#: A hanging server holds a request for 30 s, so a run that waited for it fails this.
RUN_BOUND_SECONDS = ATTEMPTS * 2 * TIMEOUT_SECONDS + BACKOFF_SECONDS + 8.0

#: (fault, what the run's error must say). `document` faults carry their body below.
TRANSPORT_FAULTS: list[tuple[Fault, str]] = [
    ("hang", "timed out"),
    ("slow", "timed out"),
    ("500", "HTTP 500"),
    ("cut-off", "connection lost"),
]

pytestmark = pytest.mark.integration


class Source:
    """One source as the scheduler sees it: its job, its URL path, its documents."""

    def __init__(self, kind: str, path: str, first: bytes, second: bytes) -> None:
        self.kind, self.path, self.first, self.second = kind, path, first, second

    @property
    def job(self) -> str:
        return f"ingest_{self.kind}"

    def content(self, store: Store) -> pl.DataFrame:
        frame = store.current_rates() if self.kind == "rates" else store.transfer_totals()
        return frame.sort(frame.columns)


RATES = Source("rates", "/XML/daily.xml", RATES_XML, NEXT_DAY_XML)
TRANSFERS = Source("transfers", "/reports/transfers.csv", TRANSFERS_CSV, NEXT_TRANSFERS_CSV)

#: A truncated or malformed document per source, and the rows it must quarantine (0: the
#: document is refused whole); never are rows of it half-written.
BAD_DOCUMENTS: list[tuple[Source, str, bytes, int]] = [
    (RATES, "truncated XML", RATES_XML[: len(RATES_XML) // 2], 0),
    (RATES, "malformed XML", b"<html><body>Service temporarily unavailable</body></html>", 0),
    (RATES, "binary garbage", bytes(range(256)) * 8, 0),
    (TRANSFERS, "line cut short", NEXT_TRANSFERS_CSV[:-12], 1),
    (TRANSFERS, "header only half there", HEADER[:30], 0),
    (TRANSFERS, "malformed CSV", b"report_date;bank\n\x00\xff\xfe;;;\n", 0),
    (TRANSFERS, "binary garbage", bytes(range(256)) * 8, 0),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'var' / 'remitwatch.db'}")
    opened.upgrade()
    yield opened
    opened.close()


def _settings(tmp_path: Path, server: SourceServer) -> Settings:
    return Settings(
        paths={"data_dir": tmp_path / "var"},
        http={
            "timeout_seconds": TIMEOUT_SECONDS,
            "attempts": ATTEMPTS,
            "backoff_seconds": BACKOFF_SECONDS,
        },
        rates={"source": server.url(RATES.path)},
        transfers={"url": server.url(TRANSFERS.path)},
        metrics={"cache_seconds": 0},
    )


def _data_age(store: Store, settings: Settings, source: str, at: datetime) -> float:
    """remitwatch_data_age_seconds of `source` as a scrape at `at` shows it."""
    text = render(make_registry(store, settings, clock=lambda: at)).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "remitwatch_data_age_seconds" and sample.labels == {"source": source}:
                return float(sample.value)
    raise AssertionError(f"no remitwatch_data_age_seconds for {source} in:\n{text}")


def _run(store: Store, settings: Settings, source: Source) -> tuple[str, float]:
    started = time.monotonic()
    outcome = JOBS[source.job](store, settings)
    return outcome.status, time.monotonic() - started


def _fails_then_recovers(
    store: Store,
    settings: Settings,
    server: SourceServer,
    source: Source,
    inject: Callable[[], None],
    cause: str,
    caplog: pytest.LogCaptureFixture,
    quarantined_rows: int = 0,
) -> None:
    """The common script: a good run, `inject` the fault, a failed run, the fix, a good run.

    With `quarantined_rows`, the fault is a document whose bad rows are quarantined: that
    run succeeds, quarantines that many rows, warns, and stores no row of it.
    """
    server.documents = {RATES.path: RATES.first, TRANSFERS.path: TRANSFERS.first}
    assert _run(store, settings, source)[0] == "ok"
    good = source.content(store)
    assert good.height > 0
    stale_at = datetime.now(UTC) + timedelta(hours=1)
    age_before = _data_age(store, settings, source.kind, datetime.now(UTC))

    inject()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        status, seconds = _run(store, settings, source)
    assert seconds < RUN_BOUND_SECONDS, f"the failed run took {seconds:.1f} s"
    [run] = store.recent_runs(limit=1, job=source.job)
    url = server.url(source.path)
    if quarantined_rows:
        assert (status, run.status) == ("ok", "ok")
        assert len(store.quarantined_rows()) == quarantined_rows
        level = logging.WARNING
    else:
        assert (status, run.status) == ("failed", "failed")
        assert url in (run.error or "") and cause in (run.error or ""), run.error
        level = logging.ERROR
    logged = [r.getMessage() for r in caplog.records if r.levelno >= level]
    assert any(url in line and cause in line for line in logged), logged
    assert source.content(store).equals(good), "a failed run changed the stored data"
    age_stale = _data_age(store, settings, source.kind, stale_at)
    assert age_stale > age_before + 3500, "the staleness gauge did not keep rising"

    server.fault = "ok"
    server.documents[source.path] = source.second
    assert _run(store, settings, source)[0] == "ok"
    assert source.content(store).height > good.height
    assert _data_age(store, settings, source.kind, stale_at) < age_stale
    assert store.recent_runs(limit=1, job=source.job)[0].status == "ok"


@pytest.mark.parametrize("source", [RATES, TRANSFERS], ids=lambda s: s.kind)
@pytest.mark.parametrize(("fault", "cause"), TRANSPORT_FAULTS, ids=[f for f, _ in TRANSPORT_FAULTS])
def test_a_failing_source_is_a_bounded_failed_run_and_the_next_run_recovers(
    source: Source,
    fault: Fault,
    cause: str,
    source_server: SourceServer,
    store: Store,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source_server.slow_seconds = 5 * TIMEOUT_SECONDS

    def inject() -> None:
        source_server.fault = fault

    settings = _settings(tmp_path, source_server)
    _fails_then_recovers(store, settings, source_server, source, inject, cause, caplog)


@pytest.mark.parametrize(
    ("source", "body", "quarantined"),
    [(source, body, rows) for source, _, body, rows in BAD_DOCUMENTS],
    ids=[f"{source.kind}-{name}" for source, name, _, _ in BAD_DOCUMENTS],
)
def test_a_truncated_or_malformed_document_is_refused_whole_or_quarantined(
    source: Source,
    body: bytes,
    quarantined: int,
    source_server: SourceServer,
    store: Store,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def inject() -> None:
        source_server.documents[source.path] = body

    settings = _settings(tmp_path, source_server)
    cause = "quarantined" if quarantined else "rejected"
    _fails_then_recovers(store, settings, source_server, source, inject, cause, caplog, quarantined)
