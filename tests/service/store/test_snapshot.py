"""`Store.metrics_snapshot` on SQLite and PostgreSQL: newest rows per key, in a few queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from sqlalchemy import event, insert

from service.store import OBSERVATION_SCHEMA, OfficialRate, ReceivedFile, SeriesSpec, Store
from service.store.schema import job_runs
from tests.service.store.forecast_points import forecast_point

BOUNDS = (1.0, 10.0, 60.0)
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _snapshot(store: Store, currencies: tuple[str, ...] = ("USD", "RUB")) -> Any:
    return store.metrics_snapshot(currencies=currencies, duration_bounds=BOUNDS)


def _spec(key: str) -> SeriesSpec:
    kind = "fx" if key.startswith("fx.") else "remittance"
    return SeriesSpec(key, kind, key[-1], "USD", {}, key)


def _observe(store: Store, values: dict[tuple[str, date], float], at: datetime) -> None:
    keys = sorted({key for key, _ in values})
    frame = pl.DataFrame(
        [(key, period, value) for (key, period), value in values.items()],
        schema=OBSERVATION_SCHEMA,
        orient="row",
    )
    store.write_series([_spec(key) for key in keys], frame, at)


def _run(store: Store, key: str, at: datetime, status: str = "ok", **result: Any) -> int:
    return store.record_model_run(
        series_key=key,
        kind="var" if key == "var" else "sarimax",
        status=status,
        reason=None if status == "ok" else "did not converge",
        spec=None,
        params=None,
        result=result,
        last_period=date(2025, 1, 1),
        data_as_of=at,
        fitted_at=at,
        seconds=0.1,
    )


def _scored(period: str, observed: float) -> dict[str, object]:
    return {
        "period": period,
        "observed": observed,
        "expected": 100.0,
        "lower_95": 80.0,
        "upper_95": 125.0,
        "zscore": -3.1,
        "severity": "warning",
    }


def _event(key: str, start: str, severity: str, status: str) -> dict[str, object]:
    return {
        "series": key,
        "start": start,
        "end": None if status == "open" else start,
        "period": start,
        "observed": 1.0,
        "expected": 2.0,
        "lower_95": 1.5,
        "upper_95": 2.5,
        "zscore": -4.0,
        "severity": severity,
        "status": status,
        "periods": 1,
    }


def _backtest(key: str, mase: float) -> dict[str, object]:
    return {
        "series": key,
        "mase": mase,
        "coverage_80": 0.75,
        "coverage_95": 0.9,
        "beats_seasonal_naive": mase < 1,
        "n_forecasts": 12,
        "horizon": 1,
    }


def test_an_empty_store_gives_empty_figures(store: Store) -> None:
    snapshot = _snapshot(store)
    assert snapshot.models == () and snapshot.var is None and snapshot.jobs == ()
    assert snapshot.rates == () and snapshot.daily_rates == ()
    assert snapshot.open_events == {"warning": 0, "critical": 0}
    assert snapshot.ingest_rows["rates"] == dict.fromkeys(
        ("new", "corrected", "unchanged", "quarantined", "rejected"), 0
    )
    assert snapshot.ingest_files["transfers"] == {"ingested": 0, "rejected": 0}
    assert snapshot.last_arrivals == {"rates": None, "transfers": None}
    assert snapshot.latest_dates == {"rates": None, "transfers": None}


def test_models_take_the_newest_run_forecast_backtest_and_value(store: Store) -> None:
    total, ru = "remit.in.total.M", "remit.in.country.RU.M"
    _observe(store, {(total, date(2025, 1, 1)): 90.0, (ru, date(2024, 12, 1)): 50.0}, T0)
    _observe(store, {(total, date(2025, 1, 1)): 95.0}, T0 + timedelta(days=1))  # a correction
    old = _run(store, total, T0, last_scored=_scored("2024-12-01", 1.0))
    good = _run(store, total, T0 + timedelta(hours=1), last_scored=_scored("2025-01-01", 90.0))
    _run(store, total, T0 + timedelta(hours=2), status="failed")
    legacy = _run(store, ru, T0)  # stored before scoring recorded its last period
    for run_id, key, origin, at in (
        (old, total, "2024-12-01", T0),
        (good, total, "2025-01-01", T0 + timedelta(hours=1)),
        (legacy, ru, "2024-12-01", T0),
    ):
        month = "2025-01-01" if origin == "2024-12-01" else "2025-02-01"
        points = [
            forecast_point(month, 3.0 if run_id == good else 5.0),
            forecast_point("2025-03-01", 7.0),
        ]
        forecast = {"series": key, "origin": origin, "points": points}
        store.save_scoring(
            series_key=key,
            model_run_id=run_id,
            forecast=forecast,
            events=[],
            backtest=_backtest(key, 0.5 if run_id == good else 2.0),
            at=at,
        )
    store.save_scoring(
        series_key="var.som_usd",
        model_run_id=good,
        forecast=None,
        events=[],
        backtest=_backtest("var.som_usd", 1.2),
        at=T0,
    )
    figures = {item.key: item for item in _snapshot(store).models}
    assert list(figures) == [ru, total, "var.som_usd"]
    newest = figures[total]
    assert (newest.kind, newest.last_run_status) == ("sarimax", "failed")
    assert newest.last_run_at == T0 + timedelta(hours=2)
    assert newest.last_ok_at == T0 + timedelta(hours=1)
    assert newest.last_scored == _scored("2025-01-01", 90.0)
    assert (newest.period, newest.observed) == (date(2025, 1, 1), 95.0)  # current vintage
    assert newest.next_forecast is not None
    assert newest.next_forecast.to_dict() == forecast_point("2025-02-01", 3.0)
    assert newest.backtest is not None and newest.backtest.mase == 0.5
    assert newest.backtest.beats_seasonal_naive is True
    assert (figures[ru].period, figures[ru].observed) == (date(2024, 12, 1), 50.0)  # origin
    assert figures[ru].last_scored is None
    only_backtest = figures["var.som_usd"]
    assert only_backtest.kind is None and only_backtest.backtest is not None
    assert only_backtest.backtest.mase == 1.2


def test_var_figures_come_from_the_newest_successful_run(store: Store) -> None:
    impact = [{"horizon": 1, "pct": 0.5, "lower": 0.1, "upper": 0.9}]
    granger = [{"cause": "remittances", "effect": "som_usd", "pvalue": 0.03}]
    _run(store, "var", T0, impact=impact, granger=granger, input={"big": list(range(9))})
    _run(store, "var", T0 + timedelta(hours=1), status="insufficient_data")
    snapshot = _snapshot(store)
    assert snapshot.var is not None
    assert snapshot.var.to_dict() == {
        "fitted_at": T0.isoformat(),
        "impact": impact,
        "granger": granger,
    }
    (var,) = snapshot.models
    assert (var.kind, var.last_run_status, var.period) == ("var", "insufficient_data", None)


def test_open_events_are_counted_by_severity(store: Store) -> None:
    run_id = _run(store, "remit.in.total.M", T0)
    for key, events in (
        (
            "remit.in.total.M",
            [("2024-01-01", "critical", "closed"), ("2024-06-01", "warning", "open")],
        ),
        ("remit.in.country.RU.M", [("2024-05-01", "warning", "open")]),
    ):
        store.save_scoring(
            series_key=key,
            model_run_id=run_id,
            forecast=None,
            events=[_event(key, *spec) for spec in events],
            backtest=None,
            at=T0,
        )
    expected = {"warning": 0, "critical": 0}
    for found in store.shock_events(status="open"):
        expected[found["severity"]] += 1
    assert _snapshot(store).open_events == expected == {"warning": 2, "critical": 0}


def _rates_file(store: Store, sha: str, rates: list[OfficialRate]) -> None:
    received = ReceivedFile(name=f"{sha}.xml", source="rates", sha256=sha * 64, size=1)
    store.ingest_rates_file(received, rates, [], len(rates))


def test_rates_are_the_newest_vintage_of_the_newest_day(store: Store) -> None:
    day1, day2 = date(2025, 3, 3), date(2025, 3, 4)
    _rates_file(
        store,
        "a",
        [
            OfficialRate(day1, "USD", 1, Decimal("87.1")),
            OfficialRate(day2, "USD", 1, Decimal("87.2")),
            OfficialRate(day2, "RUB", 1, Decimal("0.98")),
            OfficialRate(day2, "KZT", 10, Decimal("1.75")),
        ],
    )
    _rates_file(store, "b", [OfficialRate(day2, "USD", 1, Decimal("87.3"))])  # a correction
    snapshot = _snapshot(store, ("USD", "KZT", "CNY"))
    found = {rate.currency: (rate.rate_date, rate.som_per_unit) for rate in snapshot.rates}
    current = store.current_rates().filter(pl.col("rate_date") == day2)
    assert found == {
        row["currency"]: (day2, row["som_per_unit"])
        for row in current.iter_rows(named=True)
        if row["currency"] in ("USD", "KZT")
    }
    assert found == {"KZT": (day2, 0.175), "USD": (day2, 87.3)}
    assert snapshot.ingest_rows["rates"]["new"] == 4
    assert snapshot.ingest_rows["rates"]["corrected"] == 1
    assert snapshot.ingest_files["rates"] == {"ingested": 2, "rejected": 0}
    assert snapshot.latest_dates["rates"] == day2
    assert snapshot.last_arrivals == store.last_arrivals()


def test_daily_rates_cover_the_volatility_windows(store: Store) -> None:
    last = date(2025, 6, 30)
    days = [last - timedelta(days=n) for n in range(200)]
    _observe(store, {("fx.USD.D", day): 80.0 + day.day / 100 for day in days}, T0)
    _observe(store, {("fx.USD.D", last): 99.0}, T0 + timedelta(days=1))
    (daily,) = _snapshot(store).daily_rates
    assert daily.currency == "USD"
    assert daily.periods[0] == last - timedelta(days=120) and daily.periods[-1] == last
    assert len(daily.periods) == 121 == len(daily.values)
    assert daily.values[-1] == 99.0


def _job(store: Store, job: str, status: str, seconds: float | None, end: datetime) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            insert(job_runs).values(
                job=job,
                started_at=end - timedelta(seconds=seconds or 0.0),
                finished_at=None if seconds is None else end,
                status=status,
                rows=0,
            )
        )


def test_jobs_give_counts_last_ends_and_duration_buckets(store: Store) -> None:
    _job(store, "refit", "ok", 0.5, T0)
    _job(store, "refit", "ok", 30.0, T0 + timedelta(hours=1))
    _job(store, "refit", "failed", 4000.0, T0 + timedelta(hours=3))
    _job(store, "refit", "running", None, T0 + timedelta(hours=4))
    _job(store, "score", "ok", 2.0, T0)
    jobs = {job.job: job for job in _snapshot(store).jobs}
    refit = jobs["refit"]
    assert refit.runs == {"ok": 2, "failed": 1} and refit.running == 1
    assert refit.last_success_at == T0 + timedelta(hours=1)
    assert refit.last_failure_at == T0 + timedelta(hours=3)
    assert refit.duration_buckets == (1, 1, 2) and refit.duration_count == 3
    assert refit.duration_sum == pytest.approx(4030.5, abs=0.01)
    assert jobs["score"].duration_buckets == (0, 1, 1)
    assert jobs["score"].last_failure_at is None


def test_rejected_files_count_as_files_and_their_rows(store: Store) -> None:
    received = ReceivedFile(name="bad.csv", source="transfers", sha256="c" * 64, size=1)
    store.record_rejected_file(received, "no header")
    snapshot = _snapshot(store)
    assert snapshot.ingest_files["transfers"] == {"ingested": 0, "rejected": 1}
    assert snapshot.ingest_rows["transfers"]["rejected"] == 0  # refused before counting rows


@pytest.fixture
def statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    yield seen
    event.remove(store.engine, "before_cursor_execute", count)


def test_the_number_of_queries_does_not_grow_with_the_series(
    store: Store, statements: list[str]
) -> None:
    def add(first: int, count: int) -> None:
        keys = [f"remit.in.country.C{n}.M" for n in range(first, first + count)]
        _observe(store, {(key, date(2025, 1, 1)): 10.0 for key in keys}, T0)
        for key in keys:
            run_id = _run(store, key, T0, last_scored=_scored("2025-01-01", 10.0))
            forecast = {
                "series": key,
                "origin": "2025-01-01",
                "points": [forecast_point("2025-02-01", 1)],
            }
            store.save_scoring(
                series_key=key,
                model_run_id=run_id,
                forecast=forecast,
                events=[],
                backtest=_backtest(key, 0.9),
                at=T0,
            )

    add(0, 1)
    statements.clear()
    assert len(_snapshot(store).models) == 1
    few = len(statements)
    add(1, 30)
    statements.clear()
    snapshot = _snapshot(store)
    assert len(snapshot.models) == 31 and all(m.observed == 10.0 for m in snapshot.models)
    assert len(statements) == few <= 15
