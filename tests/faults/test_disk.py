"""Disk full under the archive, the rejected folder or the store, and a read-only inbox:
the job run records a clear error, no partial file is left behind, the file stays in the
inbox, and the next run after the operator's fix finishes the work exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings
from jobs.sample.generate import write_bench_csv
from jobs.scheduled import JOBS
from service.store import Store
from tests.faults.facts import files_under, received, sha256, vintage_rows
from tests.faults.mounts import make_writable, read_only_view, resize, tmpfs

pytestmark = pytest.mark.integration

ROWS = 4000  # about 200 KB of CSV: more than the 64 KB filesystems below can hold


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(paths={"data_dir": tmp_path / "var"})


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.database_url)
    opened.upgrade()
    yield opened
    opened.close()


def _report(settings: Settings, name: str = "bank-a.csv") -> Path:
    settings.paths.inbox.mkdir(parents=True, exist_ok=True)
    path = settings.paths.inbox / name
    write_bench_csv(path, ROWS)
    return path


def _watch_inbox(store: Store, settings: Settings) -> tuple[str, str]:
    """Run the inbox job as the scheduler does: (its status, its recorded error)."""
    outcome = JOBS["watch_inbox"](store, settings)
    [run] = store.recent_runs(limit=1, job="ingest_transfers")
    assert run.id == outcome.run_id and run.status == outcome.status
    return outcome.status, run.error or ""


def test_a_full_archive_disk_leaves_the_file_in_the_inbox_and_no_partial_copy(
    store: Store, settings: Settings
) -> None:
    report = _report(settings)
    digest = sha256(report)
    with tmpfs(settings.paths.archive, "64k") as archive:
        status, error = _watch_inbox(store, settings)
        assert status == "failed"
        assert str(report) in error and "No space left on device" in error, error
        assert "stays in the inbox" in error
        assert files_under(archive) == [], "a partial copy was left in the archive"
        assert report.exists() and sha256(report) == digest
        [(file_id, state, rows)] = received(store, digest)  # ingested once, all rows
        assert (state, rows, vintage_rows(store, file_id)) == ("ingested", ROWS, ROWS)

        resize(archive, "4m")  # the operator frees space
        assert _watch_inbox(store, settings)[0] == "ok"
        [archived] = files_under(archive)
        assert sha256(archived) == digest and not report.exists()
        assert received(store, digest) == [(file_id, "ingested", ROWS)]
        assert vintage_rows(store) == ROWS


def test_a_full_rejected_folder_leaves_neither_the_file_nor_its_reason_there(
    store: Store, settings: Settings
) -> None:
    settings.paths.inbox.mkdir(parents=True)
    refused = settings.paths.inbox / "garbage.csv"
    refused.write_bytes(b"not,a,transfer,report\n" + b"\x00\xff" * 100_000)
    with tmpfs(settings.paths.rejected, "64k") as rejected:
        status, error = _watch_inbox(store, settings)
        assert status == "failed"
        assert str(refused) in error and "No space left on device" in error, error
        assert files_under(rejected) == [], "a partial copy or a lone .reason was left"
        assert refused.exists()
        digest = sha256(refused)
        assert [state for _, state, _ in received(store, digest)] == ["rejected"]

        resize(rejected, "4m")  # the operator frees space
        assert _watch_inbox(store, settings)[0] == "ok"
        # Its checksum is recorded, yet it goes to rejected/ with its reason, not to the archive.
        moved, reason = files_under(rejected)
        assert sha256(moved) == digest and reason.name == "garbage.csv.reason"
        assert reason.read_text().startswith("not UTF-8"), reason.read_text()
        assert not refused.exists() and files_under(settings.paths.archive) == []


def test_a_read_only_inbox_keeps_the_file_there_and_the_archive_clean(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    # The reports are written into `drop`, which the service sees read-only as its inbox.
    drop = Settings(paths={"data_dir": tmp_path / "drop"})
    report = _report(drop)
    digest = sha256(report)
    with read_only_view(drop.paths.inbox, settings.paths.inbox) as inbox:
        status, error = _watch_inbox(store, settings)
        assert status == "failed"
        assert "Read-only file system" in error and "stays in the inbox" in error, error
        assert files_under(settings.paths.archive) == [], "a copy was left in the archive"
        assert (inbox / report.name).exists()
        [(file_id, _, rows)] = received(store, digest)
        assert rows == ROWS == vintage_rows(store, file_id)

        make_writable(inbox)
        assert _watch_inbox(store, settings)[0] == "ok"
        assert [sha256(p) for p in files_under(settings.paths.archive)] == [digest]
        assert not report.exists()
        assert received(store, digest) == [(file_id, "ingested", ROWS)]
        assert vintage_rows(store) == ROWS


def test_a_full_store_disk_fails_the_run_and_writes_nothing_of_the_file(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "db", "1m") as folder:
        settings = Settings(
            paths={"data_dir": tmp_path / "var"},
            database={"url": f"sqlite:///{folder / 'remitwatch.db'}"},
        )
        store = Store.open(settings.database_url)
        store.upgrade()
        try:
            settings.paths.inbox.mkdir(parents=True)
            report = settings.paths.inbox / "big.csv"
            write_bench_csv(report, 40_000)
            digest = sha256(report)
            outcome = JOBS["watch_inbox"](store, settings)
            assert outcome.status == "failed"
            assert "full" in (outcome.error or ""), outcome.error
            [run] = store.recent_runs(limit=1, job="ingest_transfers")
            assert (run.id, run.status) == (outcome.run_id, "failed")
            assert received(store, digest) == [] and vintage_rows(store) == 0
            assert report.exists() and files_under(settings.paths.archive) == []

            resize(folder, "64m")
            assert JOBS["watch_inbox"](store, settings).status == "ok"
            [(file_id, _, rows)] = received(store, digest)
            assert rows == 40_000 == vintage_rows(store, file_id) == vintage_rows(store)
            assert not report.exists()
        finally:
            store.close()
