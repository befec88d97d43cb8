"""series_stats and the cached series reads: what listing and reading a series answer,
against the observations themselves and against a replay of the writes."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import text

from service.store import SeriesSpec, Store, migrate

DAILY = SeriesSpec("remit.in.total.D", "remittance", "D", "USD", {}, "total inflows")
MONTHLY = SeriesSpec("remit.in.total.M", "remittance", "M", "USD", {}, "total inflows")
EMPTY = SeriesSpec("fx.EUR.D", "fx", "D", "KGS per unit", {"currency": "EUR"}, "euro")

#: What list_series aggregated on every call before series_stats: the oracle.
AGGREGATE = """
SELECT s.key, count(DISTINCT o.period) AS periods, min(o.period) AS first,
       max(o.period) AS last, max(o.vintage_at) AS vintage
FROM series s JOIN observations o ON o.series_id = s.id
GROUP BY s.key
"""

Replay = dict[str, list[tuple[date, float, datetime]]]


def _write(
    store: Store, spec: SeriesSpec, values: dict[date, float], at: datetime, replay: Replay
) -> None:
    """Write `values` and record in `replay` the vintages a write creates: new periods and
    changed values only."""
    current = _known(replay.get(spec.key, []), None)
    for period, value in values.items():
        if period not in current or current[period] != value:
            replay.setdefault(spec.key, []).append((period, value, at))
    frame = pl.DataFrame(
        {"key": [spec.key] * len(values), "period": list(values), "value": list(values.values())},
        schema={"key": pl.String(), "period": pl.Date(), "value": pl.Float64()},
    )
    store.write_series([spec], frame, at)


def _known(
    vintages: list[tuple[date, float, datetime]], as_of: datetime | None
) -> dict[date, float]:
    known: dict[date, float] = {}
    for period, value, at in sorted(vintages, key=lambda v: v[2]):
        if as_of is None or at <= as_of:
            known[period] = value
    return known


def _history(store: Store, seed: int) -> tuple[Replay, list[datetime]]:
    """Eight writes of two series: new days and months, corrections, unchanged values."""
    rng = random.Random(seed)
    replay: Replay = {}
    moments = []
    start = date(2024, 1, 1)
    for step in range(8):
        at = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(days=step, hours=rng.randint(0, 5))
        moments.append(at)
        days = {start + timedelta(days=d): float(rng.randint(1, 4)) for d in range(10 * step + 20)}
        _write(store, DAILY, days, at, replay)
        months = {date(2023, m, 1): float(rng.randint(1, 3)) for m in range(1, step + 3)}
        _write(store, MONTHLY, months, at, replay)
    return replay, moments


def test_listing_matches_an_aggregate_of_the_observations(store: Store) -> None:
    _history(store, seed=1)
    store.write_series(
        [EMPTY],
        pl.DataFrame(schema={"key": pl.String(), "period": pl.Date(), "value": pl.Float64()}),
        datetime(2024, 7, 1, tzinfo=UTC),
    )
    with store.engine.connect() as connection:
        expected = {row.key: row for row in connection.execute(text(AGGREGATE))}
    listed = {summary.spec.key: summary for summary in store.list_series()}
    assert set(listed) == {DAILY.key, MONTHLY.key, EMPTY.key}
    assert listed[EMPTY.key].observations == 0 and listed[EMPTY.key].first_period is None
    for key in (DAILY.key, MONTHLY.key):
        row, summary = expected[key], listed[key]
        assert summary.observations == row.periods
        assert str(summary.first_period) == str(row.first)[:10]
        assert str(summary.last_period) == str(row.last)[:10]
        assert summary.last_vintage_at is not None
        assert summary.last_vintage_at == max(at for *_, at in _vintages(store, key))


def _vintages(store: Store, key: str) -> list[tuple[date, float, datetime]]:
    frame = store.series_as_of(key)
    return list(frame.iter_rows())


def test_reads_follow_the_replay_at_any_moment_and_window(store: Store) -> None:
    replay, moments = _history(store, seed=2)
    rng = random.Random(3)
    for _ in range(30):
        key = rng.choice([DAILY.key, MONTHLY.key])
        as_of = rng.choice([None, *moments, moments[0] - timedelta(days=1)])
        start = rng.choice([None, date(2023, 3, 1), date(2024, 1, 15)])
        end = rng.choice([None, date(2024, 1, 20), date(2024, 3, 1)])
        known = _known(replay[key], as_of)
        expected = {
            period: value
            for period, value in known.items()
            if (start is None or period >= start) and (end is None or period <= end)
        }
        frame = store.series_as_of(key, as_of, start, end)
        assert (
            dict(zip(frame["period"].to_list(), frame["value"].to_list(), strict=True)) == expected
        )
        assert frame["period"].is_sorted()
    assert store.series_frames.hits > 0  # the reads were served from memory


def test_a_reader_sees_another_stores_write_at_once(store_url: str, store: Store) -> None:
    """The API's store and the scheduler's are different processes' caches: a write by one
    is read by the other on its very next read."""
    replay, moments = _history(store, seed=4)
    reader = Store.open(store_url)
    try:
        before = reader.series_as_of(DAILY.key)
        assert reader.series_as_of(DAILY.key).equals(before)
        assert (reader.series_frames.hits, reader.series_frames.misses) == (1, 1)
        later = moments[-1] + timedelta(days=1)
        first_day = before["period"][0]
        _write(store, DAILY, {first_day: before["value"][0] + 10}, later, replay)
        after = reader.series_as_of(DAILY.key)
        assert after["value"][0] == before["value"][0] + 10
        assert after["vintage_at"][0] == later
        assert reader.series_frames.misses == 2
        assert {s.spec.key: s.last_vintage_at for s in reader.list_series()}[DAILY.key] == later
    finally:
        reader.close()


def test_the_migration_fills_the_figures_of_an_existing_store(store_url: str) -> None:
    old = Store.open(store_url)
    try:
        migrate.upgrade(old.engine, "0005")
        with old.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO series (key, kind, frequency, unit, dimensions, description) "
                    "VALUES ('remit.in.total.M', 'remittance', 'M', 'USD', '{}', 'total')"
                )
            )
            for month, at, value in [(1, 1, 5.0), (2, 1, 6.0), (1, 3, 7.0)]:
                connection.execute(
                    text(
                        "INSERT INTO observations (series_id, period, vintage_at, value) "
                        "SELECT id, :period, :at, :value FROM series"
                    ),
                    {
                        "period": date(2024, month, 1),
                        "at": f"2024-0{at}-05 00:00:00.000000",
                        "value": value,
                    },
                )
        old.upgrade()
        assert old.schema_revision() == "0006"
        (summary,) = old.list_series()
        assert (summary.observations, summary.first_period, summary.last_period) == (
            2,
            date(2024, 1, 1),
            date(2024, 2, 1),
        )
        assert summary.last_vintage_at == datetime(2024, 3, 5, tzinfo=UTC)
        assert old.series_version(summary.spec.key) == (1, 3)
        assert old.series_as_of(summary.spec.key)["value"].to_list() == [7.0, 6.0]
    finally:
        old.close()


@pytest.mark.postgres
def test_two_writers_of_one_series_take_turns(postgres_url: str) -> None:
    """Without the series lock the second writer's refresh of series_stats collides with the
    first one's (a duplicate key) or counts without its rows."""
    stores = [Store.open(postgres_url) for _ in range(2)]
    try:
        stores[0].upgrade()
        replay: Replay = {}
        _write(stores[0], DAILY, {date(2024, 1, 1): 1.0}, datetime(2024, 1, 2, tzinfo=UTC), replay)
        errors: list[BaseException] = []
        for round_ in range(15):
            barrier = threading.Barrier(2)

            def write(
                index: int, round_: int = round_, barrier: threading.Barrier = barrier
            ) -> None:
                at = datetime(2024, 2, 1, tzinfo=UTC) + timedelta(hours=2 * round_ + index)
                day = date(2024, 1, 2) + timedelta(days=2 * round_ + index)
                frame = pl.DataFrame({"key": [DAILY.key], "period": [day], "value": [1.0]})
                barrier.wait()
                try:
                    stores[index].write_series([DAILY], frame, at)
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
        with stores[0].engine.connect() as connection:
            (row,) = connection.execute(text(AGGREGATE)).all()
        (summary,) = stores[0].list_series()
        assert summary.observations == row.periods == 31
        assert stores[1].series_version(DAILY.key) == (summary_id(stores[1]), 31)
    finally:
        for opened in stores:
            opened.close()


def summary_id(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT id FROM series")).scalar_one())


def test_a_reader_appends_newer_vintages_and_rereads_older_ones(
    store_url: str, store: Store
) -> None:
    """A write with a newer vintage is read as just its rows; one with a vintage older than
    the newest held (a backfill) cannot be told from them, and the series is read whole."""
    replay, moments = _history(store, seed=5)
    reader = Store.open(store_url)
    try:
        reader.series_as_of(DAILY.key)
        later = moments[-1] + timedelta(days=2)
        _write(store, DAILY, {date(2030, 1, 1): 7.0, date(2024, 1, 1): 99.0}, later, replay)
        after = reader.series_as_of(DAILY.key)
        assert reader.series_frames.appended == 1
        assert dict(zip(after["period"], after["value"], strict=True)) == _known(
            replay[DAILY.key], None
        )
        backfill = moments[0] - timedelta(days=30)
        _write(store, DAILY, {date(2019, 1, 1): 3.0}, backfill, replay)
        misses = reader.series_frames.misses
        again = reader.series_as_of(DAILY.key)
        assert reader.series_frames.appended == 1 and reader.series_frames.misses == misses + 1
        assert dict(zip(again["period"], again["value"], strict=True)) == _known(
            replay[DAILY.key], None
        )
        assert again["period"][0] == date(2019, 1, 1)
        assert reader.series_as_of(DAILY.key).equals(again)  # held again
        assert reader.series_frames.misses == misses + 1
    finally:
        reader.close()


def test_readers_of_a_changed_series_read_it_once(store_url: str, store: Store) -> None:
    replay, moments = _history(store, seed=6)
    reader = Store.open(store_url)
    try:
        reader.series_as_of(DAILY.key)
        _write(store, DAILY, {date(2030, 1, 1): 7.0}, moments[-1] + timedelta(days=1), replay)
        barrier = threading.Barrier(8)
        answers: list[pl.DataFrame] = []

        def read() -> None:
            barrier.wait()
            answers.append(reader.series_as_of(DAILY.key))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 8 and all(a.equals(answers[0]) for a in answers)
        assert answers[0]["value"][-1] == 7.0
        assert reader.series_frames.appended == 1  # one read of the new rows, not eight
    finally:
        reader.close()
