"""Fixtures of the API tests: tokens, settings with an [api] section, apps and clients.

Routes that need real model output run on the fitted sample (a private copy per
module); access control and bookkeeping routes run on an empty migrated store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.store import Store
from tests.fitted_sample import FittedSample
from tests.service.api.support import TOKENS, Api, MakeApi, settings_for


def _factory(store: Store, data_dir: Path) -> Iterator[MakeApi]:
    clients: list[TestClient] = []

    def make(**sections: dict[str, object]) -> Api:
        settings = settings_for(data_dir, **sections)
        app = create_app(settings, store)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return Api(app, client, settings, store)

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def make_sample_api(fitted_sample: FittedSample) -> Iterator[MakeApi]:
    """Builds apps over this module's copy of the fitted sample."""
    yield from _factory(fitted_sample.store, fitted_sample.data_dir)


@pytest.fixture(scope="module")
def sample_api(make_sample_api: MakeApi) -> Api:
    """The fitted sample served with read and admin tokens configured."""
    return make_sample_api(api={"tokens": TOKENS})


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A migrated, empty SQLite store shared by one module."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('api-store') / 'store.db'}")
    store.upgrade()
    yield store
    store.close()


@pytest.fixture(scope="module")
def make_empty_api(
    empty_store: Store, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MakeApi]:
    """Builds apps over this module's empty store."""
    yield from _factory(empty_store, tmp_path_factory.mktemp("api-data"))


@pytest.fixture
def make_store_api(store: Store, tmp_path: Path) -> Iterator[MakeApi]:
    """Builds apps over an empty store on each backend (SQLite and PostgreSQL)."""
    yield from _factory(store, tmp_path)
