"""Shared pytest configuration for the remitwatch test suite."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store import Store

pytest_plugins = ["tests.pg_server", "tests.fitted_sample"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store URL on each backend: an SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = request.getfixturevalue("postgres_url")
    assert isinstance(url, str)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    opened = Store.open(store_url)
    opened.upgrade()
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty SQLite store (for what needs no second backend)."""
    opened = Store.open(f"sqlite:///{tmp_path / 'sqlite-store.db'}")
    opened.upgrade()
    yield opened
    opened.close()
