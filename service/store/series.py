"""The series layer: series definitions and observations with vintages.

A value that changes is written as a new vintage (`vintage_at` = when it became
known); reads take the latest vintage at or before `as_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, insert, select, update

from service.store import series_stats as stats
from service.store.bulk import bulk_insert
from service.store.records import OBSERVATION_SCHEMA, SeriesSpec
from service.store.schema import observations, series, series_stats
from service.store.series_cache import SeriesFrames

#: Values closer than this are the same observation (USD rounded to cents, rates to 1e-6).
_SAME_VALUE = 1e-9

#: Observations as read back: the period, its value and when that value became known.
SERIES_READ_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.Date(),
    "value": pl.Float64(),
    "vintage_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class SeriesSummary:
    spec: SeriesSpec
    observations: int
    first_period: date | None
    last_period: date | None
    last_vintage_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {
            **self.spec.to_dict(),
            "observations": self.observations,
            "first_period": self.first_period.isoformat() if self.first_period else None,
            "last_period": self.last_period.isoformat() if self.last_period else None,
            "last_vintage_at": self.last_vintage_at.isoformat() if self.last_vintage_at else None,
        }


@dataclass(frozen=True)
class SeriesWriteOutcome:
    new_vintages: int
    unchanged: int


def ensure_series(connection: Connection, specs: Sequence[SeriesSpec]) -> dict[str, int]:
    """Create or update the series definitions; return their ids by key."""
    known = {row.key: row for row in connection.execute(select(series))}
    for spec in specs:
        values = {
            "kind": spec.kind,
            "frequency": spec.frequency,
            "unit": spec.unit,
            "dimensions": dict(spec.dimensions),
            "description": spec.description,
        }
        row = known.get(spec.key)
        if row is None:
            connection.execute(insert(series).values(key=spec.key, **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            connection.execute(update(series).where(series.c.key == spec.key).values(**values))
    return {row.key: row.id for row in connection.execute(select(series.c.key, series.c.id))}


def _latest_values(connection: Connection, series_ids: Sequence[int]) -> pl.DataFrame:
    rows = connection.execute(
        select(
            observations.c.series_id,
            observations.c.period,
            observations.c.vintage_at,
            observations.c.value,
        ).where(observations.c.series_id.in_(series_ids))
    )
    frame = pl.DataFrame(
        list(rows),
        schema={
            "series_id": pl.Int64(),
            "period": pl.Date(),
            "vintage_at": pl.Datetime("us", "UTC"),
            "known": pl.Float64(),
        },
        orient="row",
    )
    return frame.sort("vintage_at").group_by("series_id", "period").agg(pl.col("known").last())


def write_observations(
    connection: Connection,
    specs: Sequence[SeriesSpec],
    frame: pl.DataFrame,
    vintage_at: datetime,
) -> SeriesWriteOutcome:
    """Write derived values (OBSERVATION_SCHEMA); only new or changed values become vintages.
    The series' series_stats rows are refreshed in the same transaction."""
    ids = ensure_series(connection, specs)
    stats.lock_series(connection, [ids[spec.key] for spec in specs])
    id_frame = pl.DataFrame(
        {"key": list(ids), "series_id": list(ids.values())},
        schema={"key": pl.String(), "series_id": pl.Int64()},
    )
    incoming = frame.select(list(OBSERVATION_SCHEMA)).join(id_frame, on="key", how="inner")
    latest = _latest_values(connection, [ids[spec.key] for spec in specs])
    compared = incoming.join(latest, on=["series_id", "period"], how="left")
    fresh = compared.filter(
        pl.col("known").is_null() | ((pl.col("value") - pl.col("known")).abs() > _SAME_VALUE)
    )
    bulk_insert(
        connection,
        observations,
        fresh.select(
            "series_id",
            "period",
            "value",
            vintage_at=pl.lit(vintage_at, pl.Datetime("us", "UTC")),
        ),
    )
    stats.refresh(connection, fresh["series_id"].unique().to_list())
    return SeriesWriteOutcome(new_vintages=fresh.height, unchanged=compared.height - fresh.height)


def _spec(row: object) -> SeriesSpec:
    return SeriesSpec(
        key=row.key,  # type: ignore[attr-defined]
        kind=row.kind,  # type: ignore[attr-defined]
        frequency=row.frequency,  # type: ignore[attr-defined]
        unit=row.unit,  # type: ignore[attr-defined]
        dimensions=dict(row.dimensions),  # type: ignore[attr-defined]
        description=row.description,  # type: ignore[attr-defined]
    )


def list_series(connection: Connection) -> list[SeriesSummary]:
    """Every series with its figures from series_stats (zeros before its first value)."""
    st = series_stats.c
    rows = connection.execute(
        select(series, st.periods, st.first_period, st.last_period, st.last_vintage_at)
        .select_from(series.outerjoin(series_stats, st.series_id == series.c.id))
        .order_by(series.c.key)
    )
    return [
        SeriesSummary(
            _spec(row),
            int(row.periods or 0),
            row.first_period,
            row.last_period,
            row.last_vintage_at,
        )
        for row in rows
    ]


def find_series(connection: Connection, key: str) -> SeriesSpec | None:
    row = connection.execute(select(series).where(series.c.key == key)).first()
    return None if row is None else _spec(row)


def _every_vintage(
    connection: Connection, series_id: int, after: datetime | None = None
) -> pl.DataFrame:
    """The observation rows of a series (only those of vintages after `after`), oldest
    vintage first: SERIES_READ_SCHEMA."""
    o = observations.c
    query = select(o.period, o.value, o.vintage_at).where(o.series_id == series_id)
    if after is not None:
        query = query.where(o.vintage_at > after)
    frame = pl.DataFrame(list(connection.execute(query)), schema=SERIES_READ_SCHEMA, orient="row")
    return frame.sort("vintage_at", maintain_order=True)


def _read_through(
    connection: Connection, series_id: int, vintages: int, frames: SeriesFrames
) -> pl.DataFrame:
    """The rows of a series from `frames` if held at `vintages` rows, else read (only the
    newer vintages when they account for every new row) and held."""
    frame = frames.get(series_id, vintages)
    if frame is not None:
        return frame
    with frames.loading(series_id):
        frame = frames.get(series_id, vintages)  # read by another reader meanwhile
        if frame is not None:
            return frame
        held = frames.held(series_id)
        frame, appended = None, False
        if held is not None and held.height:
            newer = _every_vintage(connection, series_id, after=held["vintage_at"].max())  # type: ignore[arg-type]
            if held.height + newer.height == vintages:
                frame, appended = pl.concat([held, newer]), True
        if frame is None:
            frame = _every_vintage(connection, series_id)
        frames.put(series_id, frame.height, frame, appended)
        return frame


def observations_as_of(
    connection: Connection,
    key: str,
    as_of: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
    frames: SeriesFrames | None = None,
) -> pl.DataFrame:
    """The series as it was known at `as_of` (now if None): SERIES_READ_SCHEMA, by period;
    empty for an unknown series. With `frames`, the series' rows are read from the store
    only when its number of rows changed since they were last read."""
    found = stats.vintages_of(connection, key)
    if found is None:
        return pl.DataFrame(schema=SERIES_READ_SCHEMA)
    series_id, vintages = found
    if frames is None:
        frame = _every_vintage(connection, series_id)
    else:
        frame = _read_through(connection, series_id, vintages, frames)
    if as_of is not None:
        frame = frame.filter(pl.col("vintage_at") <= as_of)
    if start is not None:
        frame = frame.filter(pl.col("period") >= start)
    if end is not None:
        frame = frame.filter(pl.col("period") <= end)
    return (
        frame.group_by("period")
        .agg(pl.col("value").last(), pl.col("vintage_at").last())
        .sort("period")
    )
