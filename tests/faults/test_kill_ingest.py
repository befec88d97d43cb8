"""`kill -9` of `remitwatch scheduler` while it ingests a large transfer file from its
inbox: nothing of the file is in the store, the file is still in the inbox, and after a
restart it is ingested exactly once and archived, the killed run recorded as interrupted.
On SQLite and on PostgreSQL, with real processes."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from jobs.sample.generate import write_bench_csv
from service.store import Store
from tests.faults.facts import files_under, received, sha256, vintage_rows
from tests.faults.processes import start, until

pytestmark = pytest.mark.integration

#: Large enough that the ingest takes seconds (about 4 s on SQLite, 2 on PostgreSQL here).
ROWS = 300_000
#: After the run is seen running: well inside its one ingest transaction.
KILL_AFTER_SECONDS = 0.8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'remitwatch.db'}"
    url = request.getfixturevalue("postgres_url")
    assert isinstance(url, str)
    return url


def _scheduler(tmp_path: Path, store_url: str, log: Path) -> subprocess.Popen[str]:
    process = start(
        ["scheduler"],
        {
            "REMITWATCH_PATHS__DATA_DIR": str(tmp_path / "var"),
            "REMITWATCH_DATABASE__URL": store_url,
            "REMITWATCH_SCHEDULER__WATCH_INBOX__EVERY_SECONDS": "0.5",
            "REMITWATCH_SCHEDULER__REQUEST_POLL_SECONDS": "0.3",
        },
        log,
    )
    until(lambda: "scheduler started as leader" in log.read_text(), 60, log, process)
    return process


def _ingest_runs(store: Store) -> dict[int, str]:
    return {r.id: r.status for r in store.recent_runs(limit=50, job="ingest_transfers")}


def test_an_ingest_killed_mid_file_is_redone_exactly_once(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url)
    store.upgrade()
    inbox = tmp_path / "var" / "inbox"
    inbox.mkdir(parents=True)
    written = inbox / ".bank-big.csv.part"  # not taken until renamed: whole when seen
    write_bench_csv(written, ROWS)
    report = written.rename(inbox / "bank-big.csv")
    digest = sha256(report)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    process = _scheduler(tmp_path, store_url, first_log)
    try:
        until(lambda: "running" in _ingest_runs(store).values(), 60, first_log, process)
        time.sleep(KILL_AFTER_SECONDS)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    [killed] = [i for i, status in _ingest_runs(store).items() if status == "running"]
    assert received(store, digest) == [], "the ingest ended before the kill"
    assert vintage_rows(store) == 0, "rows of a half-ingested file are in the store"
    assert report.exists() and sha256(report) == digest
    assert files_under(tmp_path / "var" / "archive") == []

    restarted = _scheduler(tmp_path, store_url, second_log)
    try:
        until(lambda: not report.exists(), 120, second_log, restarted)
        until(lambda: "running" not in _ingest_runs(store).values(), 60, second_log, restarted)
        time.sleep(1.5)  # more inbox polls and recovery passes: nothing is ingested twice
    finally:
        restarted.send_signal(signal.SIGINT)
        assert restarted.wait(timeout=120) == 0, second_log.read_text()[-4000:]

    [(file_id, status, rows)] = received(store, digest)
    assert (status, rows) == ("ingested", ROWS)
    assert vintage_rows(store, file_id) == ROWS == vintage_rows(store)
    [archived] = files_under(tmp_path / "var" / "archive")
    assert sha256(archived) == digest and files_under(inbox) == []
    runs = _ingest_runs(store)
    assert runs[killed] == "interrupted"
    assert "ok" in [s for i, s in runs.items() if i > killed]
    assert "failed" not in runs.values(), runs
    assert "was interrupted (its process stopped)" in second_log.read_text()
    store.close()
