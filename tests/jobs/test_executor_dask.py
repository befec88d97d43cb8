"""Fits on a real Dask cluster (two worker processes on loopback) match the local pool's."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

import config
from config import ConfigError, Settings
from jobs.dask_executor import ComputeError, DaskExecutor
from jobs.executor import make_executor
from jobs.refit import run_models
from service.store import Store
from tests.fitted_sample import sample_settings

KEYS = ("remit.in.total.M", "remit.in.country.RU.M", "remit.in.country.KZ.M")
#: Keys that differ between two runs by when or where they ran, not by what they found.
RUN_KEYS = {"id", "model_run_id", "fitted_at", "made_at", "seconds", "data_as_of"}
RUN_KEYS |= {"created_at", "updated_at", "detected_at"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local_cluster:
        yield local_cluster


def _refit_copy(db: Path, data_dir: Path, compute: dict[str, object]) -> Store:
    """Refit KEYS on a private copy of the fitted sample through the configured executor."""
    data_dir.mkdir(parents=True)
    shutil.copy(db, data_dir / "remitwatch.db")
    settings = sample_settings(data_dir, compute=compute)
    store = Store.open(settings.database_url)
    report = run_models(store, settings, mode="refit", keys=KEYS, with_var=False)
    assert not report.failed, report.errors
    assert [row["series"] for row in report.series] == list(KEYS)
    return store


def _same(left: object, right: object, where: str = "") -> None:
    """Equal structures, floats within 1e-9 relative (dropping run timestamps and ids)."""
    if isinstance(left, dict) and isinstance(right, dict):
        keys = set(left) - RUN_KEYS
        assert keys == set(right) - RUN_KEYS, where
        for key in keys:
            _same(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
        assert len(left) == len(right), where
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            _same(a, b, f"{where}[{index}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(left) and math.isnan(right)
        ), f"{where}: {left} != {right}"
    else:
        assert left == right, where


def test_dask_refit_stores_what_the_local_pool_stores(
    cluster: LocalCluster, fitted_sample_db: Path, tmp_path: Path
) -> None:
    address = cluster.scheduler_address
    on_dask = _refit_copy(fitted_sample_db, tmp_path / "dask", {"executor": address})
    local = _refit_copy(fitted_sample_db, tmp_path / "local", {"workers": 2})
    try:
        for key in KEYS:
            dask_run, local_run = on_dask.latest_model_run(key), local.latest_model_run(key)
            assert dask_run is not None and local_run is not None
            assert dask_run.status == local_run.status == "ok"
            assert dask_run.spec == local_run.spec
            assert dask_run.result["mode"] == "refit"
            _same(dask_run.params, local_run.params, f"{key} params")
            _same(dask_run.result, local_run.result, f"{key} result")
            _same(on_dask.latest_forecast(key), local.latest_forecast(key), f"{key} forecast")
            dask_events = on_dask.shock_events(series_key=key, limit=1000)
            _same(dask_events, local.shock_events(series_key=key, limit=1000), f"{key} events")
        assert on_dask.shock_events(series_key=KEYS[0]), "the sample's total has shock events"
    finally:
        on_dask.close()
        local.close()


def test_tasks_run_on_the_cluster_workers_and_shutdown_closes_the_client(
    cluster: LocalCluster,
) -> None:
    executor = make_executor(Settings(compute={"executor": cluster.scheduler_address}).compute)
    assert isinstance(executor, DaskExecutor)
    client = executor.client
    worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2
    ran_in = {future.result() for future in [executor.submit(os.getpid) for _ in range(8)]}
    assert ran_in <= worker_pids and os.getpid() not in ran_in
    environments = client.run(os.environ.get, "OPENBLAS_NUM_THREADS")
    assert set(environments.values()) == {"1"}
    executor.shutdown()
    assert client.status == "closed"
    assert cluster.scheduler_info["workers"], "closing the client leaves the cluster running"


def test_an_unreachable_scheduler_is_a_compute_error_naming_the_address() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ComputeError, match=f"compute.executor {address}: cannot reach"):
        DaskExecutor.connect(address, timeout_seconds=1.0)


@pytest.mark.parametrize(
    "value", ["dask", "tcp://", "tcp://host", "tcp://:8786", "tcp://host:port", "http://h:8786"]
)
def test_an_invalid_executor_is_a_config_error_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    for name in list(os.environ):
        if name.startswith("REMITWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REMITWATCH_COMPUTE__EXECUTOR", value)
    with pytest.raises(ConfigError, match=r"^config: compute\.executor: .*tcp://host:port"):
        config.load()


@pytest.mark.parametrize("value", ["local", "tcp://10.0.0.5:8786", "tcp://scheduler.lan:8786"])
def test_valid_executors_load(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    for name in list(os.environ):
        if name.startswith("REMITWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REMITWATCH_COMPUTE__EXECUTOR", value)
    assert config.load().compute.executor == value


LOCAL_RUN = """
import sys
from config import Settings
from jobs.executor import make_executor
from jobs.refit import run_models  # the refit job's imports, too

for workers in (1, 2):
    executor = make_executor(Settings(compute={"workers": workers}).compute)
    assert executor.submit(abs, -3).result() == 3
    executor.shutdown()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
"""


def test_the_local_executor_does_not_import_dask() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOCAL_RUN],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
