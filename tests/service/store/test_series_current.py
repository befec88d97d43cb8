"""The series_current view (what dashboards read): the newest vintage of each observation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import text

from service.store import SeriesSpec, Store

SPEC = SeriesSpec("remit.in.total.M", "remittance", "M", "USD", {}, "total inflows")


def _write(store: Store, values: dict[date, float], at: datetime) -> None:
    frame = pl.DataFrame(
        {"key": [SPEC.key] * len(values), "period": list(values), "value": list(values.values())}
    )
    store.write_series([SPEC], frame, at)


def test_the_view_holds_the_newest_vintage_of_each_period(store: Store) -> None:
    first, second = datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)
    _write(store, {date(2024, 1, 1): 100.0, date(2023, 12, 1): 90.0}, first)
    _write(store, {date(2024, 1, 1): 120.0, date(2023, 12, 1): 90.0}, second)  # a correction
    with store.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT series_key, kind, frequency, unit, period, value FROM series_current "
                "ORDER BY period"
            )
        ).all()
    assert [(r.series_key, r.kind, r.frequency, r.unit) for r in rows] == [
        (SPEC.key, "remittance", "M", "USD")
    ] * 2
    assert [str(r.period) for r in rows] == ["2023-12-01", "2024-01-01"]
    assert [r.value for r in rows] == [90.0, 120.0]
    current = store.series_as_of(SPEC.key)
    assert current["value"].to_list() == [r.value for r in rows]
