"""A store holding the bundled sample with its models fitted, built once per test session.

Building it (ingest and fits) takes about half a minute, so the first xdist worker that
asks builds an SQLite file under a lock and every module gets its own copy of that file.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import Settings
from jobs.executor import InlineExecutor
from jobs.ingest_sample import ingest_sample
from jobs.refit import run_models
from service.store import Store


def sample_settings(data_dir: Path, **sections: dict[str, object]) -> Settings:
    """Settings for the fitted sample: a small order grid and few bootstrap replications.

    The statistics of each model are tested in tests/models against statsmodels itself.
    """
    values: dict[str, object] = {
        "paths": {"data_dir": data_dir},
        "models": {
            "orders": [[0, 1, 1], [1, 1, 0]],
            "seasonal_orders": [[0, 1, 1]],
            "top_countries": 2,
            "top_systems": 1,
        },
        "var": {"bootstrap_reps": 50},
        "backtest": {"origins": 12},
        "compute": {"workers": 1},
    }
    values.update(sections)
    return Settings(**values)  # type: ignore[arg-type]


#: The same model sections as `sample_settings`, for a remitwatch process's TOML file.
SAMPLE_MODEL_TOML = """
[models]
orders = [[0, 1, 1], [1, 1, 0]]
seasonal_orders = [[0, 1, 1]]
top_countries = 2
top_systems = 1

[var]
bootstrap_reps = 50

[backtest]
origins = 12

[compute]
workers = 1
"""


@dataclass
class FittedSample:
    store: Store
    settings: Settings
    data_dir: Path


def _build(data_dir: Path) -> None:
    settings = sample_settings(data_dir)
    store = Store.open(settings.database_url)
    try:
        store.upgrade()
        assert not ingest_sample(store, settings).failed
        report = run_models(store, settings, mode="select", executor=InlineExecutor())
        assert not report.failed, report.errors
    finally:
        store.close()


@pytest.fixture(scope="session")
def fitted_sample_db(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The path of the built SQLite file, shared by all workers of the session."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the directory all xdist workers of this run share
    target = shared / "fitted-sample" / "remitwatch.db"
    target.parent.mkdir(exist_ok=True)
    with (shared / "fitted-sample.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            building = shared / "fitted-sample-build"
            shutil.rmtree(building, ignore_errors=True)
            _build(building)
            shutil.copy(building / "remitwatch.db", target)
    return target


@pytest.fixture(scope="module")
def fitted_sample(
    fitted_sample_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FittedSample]:
    """A private copy of the fitted sample store for one test module."""
    data_dir = tmp_path_factory.mktemp("fitted") / "var"
    data_dir.mkdir()
    shutil.copy(fitted_sample_db, data_dir / "remitwatch.db")
    settings = sample_settings(data_dir)
    store = Store.open(settings.database_url)
    yield FittedSample(store, settings, data_dir)
    store.close()
