"""The fuzz properties run on SQLite only: one store per test, shared by its examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store import Store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'fuzz.db'}")
    opened.upgrade()
    yield opened
    opened.close()
