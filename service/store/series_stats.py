"""series_stats: what listing the series answers, kept by every write of observations.

`refresh` recomputes the figures of some series from their observations (an index range
scan per series) in the writer's transaction, so they are never out of step with the
rows. `vintages` (the number of rows) grows with every write that adds one, since
observations are only ever inserted: readers compare it to know a series is unchanged.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, delete, func, insert, select

from service.store.schema import observations, series, series_stats


def lock_series(connection: Connection, series_ids: Collection[int]) -> None:
    """Hold the series rows until the transaction ends (PostgreSQL; SQLite has one
    writer at a time anyway): two writers of one series take turns, so each compares
    with, and counts, the other's committed rows. In id order, so they cannot deadlock."""
    if connection.dialect.name == "postgresql" and series_ids:
        connection.execute(
            select(series.c.id)
            .where(series.c.id.in_(sorted(series_ids)))
            .order_by(series.c.id)
            .with_for_update()
        )


def refresh(connection: Connection, series_ids: Collection[int]) -> None:
    """Recompute the series_stats rows of `series_ids` from their observations."""
    if not series_ids:
        return
    ids = sorted(series_ids)
    o = observations.c
    connection.execute(delete(series_stats).where(series_stats.c.series_id.in_(ids)))
    connection.execute(
        insert(series_stats).from_select(
            [
                "series_id",
                "periods",
                "vintages",
                "first_period",
                "last_period",
                "last_vintage_at",
            ],
            select(
                o.series_id,
                func.count(func.distinct(o.period)),
                func.count(),
                func.min(o.period),
                func.max(o.period),
                func.max(o.vintage_at),
            )
            .where(o.series_id.in_(ids))
            .group_by(o.series_id),
        )
    )


def vintages_of(connection: Connection, key: str) -> tuple[int, int] | None:
    """(series id, number of observation rows) of series `key`; None if it is unknown."""
    row = connection.execute(
        select(series.c.id, func.coalesce(series_stats.c.vintages, 0))
        .select_from(series.outerjoin(series_stats, series_stats.c.series_id == series.c.id))
        .where(series.c.key == key)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))
