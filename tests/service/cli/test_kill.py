"""`kill -9` of the scheduler during a refit: after a restart the store is consistent and
the refit is redone exactly once (a real process on a copy of the fitted sample)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from service.store import Store
from tests.fitted_sample import SAMPLE_MODEL_TOML

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")

pytestmark = pytest.mark.integration

CONFIG = SAMPLE_MODEL_TOML + "\n[scheduler]\nrequest_poll_seconds = 0.3\n"


def _start(workdir: Path, log: Path) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment["REMITWATCH_PATHS__DATA_DIR"] = str(workdir / "var")
    environment["REMITWATCH_CONFIG"] = str(workdir / "remitwatch.toml")
    process = subprocess.Popen(
        [REMITWATCH, "scheduler"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    _until(lambda: "scheduler started as leader" in log.read_text(), 60, log, process)
    return process


def _until(
    condition: Callable[[], object], timeout: float, log: Path, process: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None and process.returncode != 0:
            break
        time.sleep(0.05)
    pytest.fail(f"not reached within {timeout} s:\n{log.read_text()}")


def _orphans(store: Store) -> int:
    """Successful model runs of series stored without their forecast."""
    query = text(
        "SELECT count(*) FROM model_runs m WHERE m.kind = 'sarimax' AND m.status = 'ok' "
        "AND NOT EXISTS (SELECT 1 FROM forecasts f WHERE f.model_run_id = m.id)"
    )
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_a_refit_killed_mid_way_is_recorded_and_redone_once(
    fitted_sample_db: Path, tmp_path: Path
) -> None:
    (tmp_path / "var").mkdir()
    shutil.copy(fitted_sample_db, tmp_path / "var" / "remitwatch.db")
    (tmp_path / "remitwatch.toml").write_text(CONFIG, encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 'var' / 'remitwatch.db'}")
    runs_before = _count(store, "model_runs")
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    process = _start(tmp_path, first_log)
    try:
        request = store.request_job("refit", "test")

        def refit_running() -> bool:
            return any(r.status == "running" for r in store.recent_runs(limit=5, job="refit"))

        _until(refit_running, 60, first_log, process)
        # Let it store some series' results, then kill it without warning.
        _until(lambda: _count(store, "model_runs") > runs_before, 60, first_log, process)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    running = [r for r in store.recent_runs(limit=5, job="refit") if r.status == "running"]
    assert len(running) == 1, "the refit ended before the kill"
    killed = running[0]
    assert _orphans(store) == 0  # every stored fit has its results: one transaction each

    restarted = _start(tmp_path, second_log)
    try:

        def redone() -> bool:
            runs = store.recent_runs(limit=10, job="refit")
            return any(r.id > killed.id and r.status == "ok" for r in runs)

        _until(redone, 120, second_log, restarted)
        time.sleep(1.5)  # a few more polls and recovery passes: nothing runs twice
    finally:
        restarted.send_signal(signal.SIGINT)
        assert restarted.wait(timeout=120) == 0, second_log.read_text()

    runs = {r.id: r for r in store.recent_runs(limit=20, job="refit")}
    assert runs[killed.id].status == "interrupted"
    assert [r.status for i, r in runs.items() if i > killed.id] == ["ok"]
    requests = store.job_requests(limit=10)
    original = next(r for r in requests if r.id == request)
    assert original.status == "failed" and f"run {killed.id}" in (original.error or "")
    redo = [r for r in requests if r.requested_by == f"recovery of interrupted run {killed.id}"]
    assert [r.status for r in redo] == ["ok"]
    assert all(r.status != "running" for r in store.recent_runs(limit=100))
    assert _orphans(store) == 0
    assert "was interrupted (its process stopped)" in second_log.read_text()
    assert not list((tmp_path / "var").glob("*.run-*.lock")), "run lock files left behind"
    store.close()


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
