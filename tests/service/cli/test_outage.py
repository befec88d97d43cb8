"""PostgreSQL down at start and stopped while `remitwatch serve` runs: the process stays
up, /readyz says not ready, the scheduler backs off, and everything resumes by itself
when the database returns (a real server of this test's own, stopped and restarted)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.store import Store
from tests.monitoring_servers import free_port
from tests.pg_server import PostgresServer, find_bindir, running_server
from tests.service.cli.waiting import until

REMITWATCH = str(Path(sys.executable).parent / "remitwatch")
TOKEN = "outage-admin-token"
SHA = hashlib.sha256(TOKEN.encode()).hexdigest()
AUTH = {"Authorization": f"Bearer {TOKEN}"}

pytestmark = pytest.mark.integration


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL is not installed (apt-get install postgresql)"
    with running_server(bindir) as server:
        yield server


def _status(base: str, path: str) -> int:
    try:
        return httpx.get(base + path, timeout=5).status_code
    except httpx.TransportError:
        return 0


def _job_done(base: str, job: str) -> Callable[[], bool]:
    made = httpx.post(f"{base}/api/v1/jobs/{job}/requests", headers=AUTH, timeout=10)
    assert made.status_code == 202, made.text
    url = f"{base}/api/v1/jobs/requests/{made.json()['id']}"

    def done() -> bool:
        response = httpx.get(url, headers=AUTH, timeout=5)
        return response.status_code == 200 and response.json()["status"] == "ok"

    return done


def test_serve_waits_for_the_database_and_survives_its_restart(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.url("postgres")
    own_server.stop()  # down before the service starts
    port = free_port()
    log = tmp_path / "serve.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REMITWATCH_")}
    environment |= {
        "REMITWATCH_DATABASE__URL": url,
        "REMITWATCH_PATHS__DATA_DIR": str(tmp_path / "var"),
        "REMITWATCH_SCHEDULER__STANDBY_POLL_SECONDS": "0.5",
        "REMITWATCH_SCHEDULER__REQUEST_POLL_SECONDS": "0.5",
        "REMITWATCH_READINESS__RATES_MAX_AGE_HOURS": "0",
        "REMITWATCH_READINESS__TRANSFERS_MAX_AGE_HOURS": "0",
        "REMITWATCH_API__TOKENS": f'[{{"name": "ops", "sha256": "{SHA}", "scope": "admin"}}]',
    }
    process = subprocess.Popen(
        [REMITWATCH, "serve", "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _status(base, "/healthz") == 200, 60, "serve answers /healthz", log)
        assert _status(base, "/readyz") == 503
        assert process.poll() is None
        # The scheduler (a child process) waits as a standby.
        until(lambda: "cannot be used yet" in log.read_text(), 30, "standby", log)

        own_server.start()  # the database returns: migrated, led, ready, jobs run
        until(lambda: _status(base, "/readyz") == 200, 60, "ready after the start", log)
        until(lambda: "took the leader lock" in log.read_text(), 30, "leader", log)
        until(_job_done(base, "backtest"), 60, "a requested job runs", log)

        own_server.stop()  # an outage while it runs
        until(lambda: _status(base, "/readyz") == 503, 30, "not ready in the outage", log)
        until(lambda: "lost the leader lock" in log.read_text(), 30, "lead lost", log)
        assert _status(base, "/healthz") == 200 and process.poll() is None
        time.sleep(3)  # several failed tries: they back off (logged with the pause)
        assert "retrying in" in log.read_text()

        own_server.start()
        until(lambda: _status(base, "/readyz") == 200, 90, "ready after the outage", log)
        until(_job_done(base, "backtest"), 120, "jobs run again", log)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
    assert code == 0, log.read_text()[-4000:]
    store = Store.open(url)
    try:
        assert all(run.status != "running" for run in store.recent_runs(limit=100))
        assert [r.status for r in store.recent_runs(limit=100, job="backtest")][:2] == [
            "ok",
            "ok",
        ]
    finally:
        store.close()
