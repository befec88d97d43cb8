"""Fixtures the metrics tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.fitted_sample import FittedSample


@pytest.fixture
def statements(fitted_sample: FittedSample) -> Iterator[list[str]]:
    """The SQL statements run on this module's fitted sample store during the test."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = fitted_sample.store.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)
