"""`remitwatch serve` and `api` as real processes on loopback: start, answer, stop cleanly."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.store import Store
from tests.fitted_sample import SAMPLE_MODEL_TOML
from tests.monitoring_servers import free_port
from tests.service.cli.waiting import until

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
ADMIN_TOKEN = "test-admin-token-for-serve"
ADMIN_SHA256 = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()

pytestmark = pytest.mark.integration

# The fitted sample's small grid, so that a refit requested in a test is quick.
CONFIG = (
    SAMPLE_MODEL_TOML
    + f"""
[scheduler]
request_poll_seconds = 0.5

[metrics]
cache_seconds = 0

[api]
tokens = [{{ name = "ops", sha256 = "{ADMIN_SHA256}", scope = "admin" }}]
"""
)


@dataclass
class Running:
    process: subprocess.Popen[str]
    base: str
    log: Path

    def stop(self, sig: int = signal.SIGINT, timeout: float = 120) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def workdir(fitted_sample_db: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(fitted_sample_db, data_dir / "remitwatch.db")
    (tmp_path / "remitwatch.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _environment(workdir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment["REMITWATCH_PATHS__DATA_DIR"] = str(workdir / "var")
    environment["REMITWATCH_CONFIG"] = str(workdir / "remitwatch.toml")
    return environment


def _start(workdir: Path, *args: str) -> Running:
    port = free_port()
    log = workdir / f"remitwatch-{port}.log"
    process = subprocess.Popen(
        [REMITWATCH, *args, "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(workdir),
    )
    running = Running(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"remitwatch {args[0]} exited early:\n{running.output()}")
        try:
            if httpx.get(f"{running.base}/healthz", timeout=2).status_code == 200:
                return running
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"remitwatch {args[0]} did not answer within 60 s:\n{running.output()}")


@pytest.fixture
def serving(workdir: Path) -> Iterator[Running]:
    running = _start(workdir, "serve")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_serve_answers_and_stops_cleanly_after_the_job_in_flight(
    serving: Running, workdir: Path
) -> None:
    metrics = _families(httpx.get(f"{serving.base}/metrics", timeout=30).text)
    inflow = dict(
        (labels["series"], value) for labels, value in metrics["remitwatch_remittance_inflow_usd"]
    )
    assert inflow["remit.in.total.M"] > 0
    assert "remitwatch_fx_rate_som" in metrics and "remitwatch_shock_events_open" in metrics

    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    series = httpx.get(f"{serving.base}/api/v1/series", headers=auth, timeout=30)
    assert series.status_code == 200, series.text

    # A refit requested through the API, then Ctrl-C while it runs: it must finish.
    made = httpx.post(f"{serving.base}/api/v1/jobs/refit/requests", headers=auth, timeout=30)
    assert made.status_code == 202, made.text
    request_id = made.json()["id"]
    deadline = time.monotonic() + 60
    status = "pending"
    while status == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = httpx.get(
            f"{serving.base}/api/v1/jobs/requests/{request_id}", headers=auth, timeout=30
        ).json()["status"]
    assert status == "running", serving.output()
    assert serving.stop(signal.SIGINT) == 0, serving.output()

    store = Store.open(f"sqlite:///{workdir / 'var' / 'remitwatch.db'}")
    try:
        request = store.job_request(request_id)
        assert request is not None and request.status == "ok", request
        assert all(run.status != "running" for run in store.recent_runs(limit=1000))
        assert request.run_id is not None
        refits = [
            run for run in store.recent_runs(limit=10, job="refit") if run.id == request.run_id
        ]
        assert refits and refits[0].status == "ok"
    finally:
        store.close()
    assert "scheduler stopped" in serving.output()


def test_sigterm_stops_serve_with_exit_code_zero(serving: Running) -> None:
    assert serving.stop(signal.SIGTERM, timeout=60) == 0, serving.output()


def test_api_replicas_show_the_same_figures(workdir: Path) -> None:
    replicas = [_start(workdir, "api"), _start(workdir, "api")]
    try:
        texts = [httpx.get(f"{r.base}/metrics", timeout=30).text for r in replicas]
        first, second = (_families(text) for text in texts)
        for name in ("remitwatch_remittance_inflow_usd", "remitwatch_shock_zscore"):
            assert first[name] == second[name] and first[name]
    finally:
        for replica in replicas:
            assert replica.stop(signal.SIGTERM, timeout=60) == 0, replica.output()


def test_serving_beyond_loopback_without_tokens_is_refused(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment["REMITWATCH_PATHS__DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [REMITWATCH, "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "anonymous_read" in result.stderr


def _wait_for(running: subprocess.Popen[str], log: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(encoding="utf-8", errors="replace")
        if text in output:
            return output
        if running.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"{text!r} not logged within {timeout} s:\n{log.read_text()}")


def test_a_second_scheduler_waits_as_standby_and_takes_over(workdir: Path) -> None:
    environment = _environment(workdir) | {"REMITWATCH_SCHEDULER__STANDBY_POLL_SECONDS": "0.5"}
    logs = [workdir / "first.log", workdir / "second.log"]
    processes = []
    for log in logs:
        processes.append(
            subprocess.Popen(
                [REMITWATCH, "scheduler"],
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                text=True,
                env=environment,
            )
        )
        _wait_for(processes[-1], log, "scheduler started as", 60)
    try:
        first, second = (log.read_text() for log in logs)
        assert "started as leader" in first and "started as standby" in second
        processes[0].send_signal(signal.SIGINT)
        assert processes[0].wait(timeout=60) == 0, logs[0].read_text()
        _wait_for(processes[1], logs[1], "took the leader lock", 30)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    assert processes[1].returncode == 0, logs[1].read_text()


def _scheduler_pids(running: Running) -> list[int]:
    return [int(pid) for pid in re.findall(r"scheduler process (\d+) started", running.output())]


def _gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie left to a non-reaping init counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_a_killed_scheduler_process_is_started_again(serving: Running) -> None:
    """serve runs the jobs in a child process: kill -9 it, the API keeps answering, a new
    child starts and runs the jobs asked for."""
    until(lambda: len(_scheduler_pids(serving)) == 1, 30, "the scheduler child", serving.log)
    (first,) = _scheduler_pids(serving)
    os.kill(first, signal.SIGKILL)
    until(lambda: _gone(first), 10, "the child is killed", serving.log)
    assert httpx.get(f"{serving.base}/healthz", timeout=10).status_code == 200
    until(lambda: len(_scheduler_pids(serving)) == 2, 60, "a second child", serving.log)
    assert f"scheduler process {first} exited with code -9" in serving.output()

    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    made = httpx.post(f"{serving.base}/api/v1/jobs/backtest/requests", headers=auth, timeout=30)
    assert made.status_code == 202, made.text
    url = f"{serving.base}/api/v1/jobs/requests/{made.json()['id']}"
    until(
        lambda: httpx.get(url, headers=auth, timeout=30).json()["status"] == "ok",
        120,
        "the requested backtest runs in the new child",
        serving.log,
    )
    assert serving.stop(signal.SIGTERM, timeout=60) == 0, serving.output()
    assert all(_gone(pid) for pid in _scheduler_pids(serving))


def test_the_scheduler_process_stops_when_serve_is_killed(serving: Running) -> None:
    until(lambda: len(_scheduler_pids(serving)) == 1, 30, "the scheduler child", serving.log)
    (child,) = _scheduler_pids(serving)
    serving.process.kill()
    serving.process.wait()
    until(lambda: _gone(child), 60, "the orphaned scheduler stops by itself", serving.log)
    assert "is gone: stopping the scheduler" in serving.output()
