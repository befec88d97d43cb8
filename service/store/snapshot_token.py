"""A cheap test of whether the metrics snapshot would read differently now.

`change_token` is one query of a dozen scalar subqueries that returns one row. It
changes whenever a write changes anything `metrics_snapshot` reads:

- tables that are only ever inserted into (official rates, model runs, forecasts with
  their points, backtest scores, series): their newest id;
- observations (vintages: a change is a new row): their number, summed from
  series_stats, which their writer keeps in the same transaction (one row per series,
  not a count of every observation);
- received files: the newest id and the sums of the row counts (a file's counts are set
  after its rows, in the same transaction, but the sums cover a later update too);
- job runs: the newest id (a start), the number finished and the newest end (a finish);
- shock events: the open ones by severity, which is all the snapshot reads of them;
- transfers: the newest report date, which is all the snapshot reads of them.

Nothing in the store is deleted, so an id or a row count only grows; the open event
counts may come back to earlier values, but they are then the same figures. The token is
read before the figures (see snapshot.metrics_snapshot): figures read after it are at
least as new as it, so an unchanged token never hides a write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, ScalarSelect, func, select
from sqlalchemy.exc import SQLAlchemyError

from service.store.engine import StoreError, db_reason, masked
from service.store.schema import (
    backtest_scores,
    forecasts,
    job_runs,
    model_runs,
    official_rates,
    received_files,
    series,
    series_stats,
    shock_events,
    transfers_current,
)
from service.store.snapshot_records import SEVERITIES

#: The values of change_token's one row, in a fixed order.
ChangeToken = tuple[Any, ...]


def _scalars() -> list[ScalarSelect[Any]]:
    f, j, e = received_files.c, job_runs.c, shock_events.c
    counted = f.rows_total + f.rows_new + f.rows_corrected + f.rows_unchanged + f.rows_quarantined
    open_events = [
        select(func.count()).where(e.status == "open", e.severity == severity)
        for severity in SEVERITIES
    ]
    queries = [
        select(func.max(official_rates.c.id)),
        select(func.max(model_runs.c.id)),
        select(func.max(forecasts.c.id)),
        select(func.max(backtest_scores.c.id)),
        select(func.max(series.c.id)),
        select(func.coalesce(func.sum(series_stats.c.vintages), 0)),
        select(func.max(f.id)),
        select(func.coalesce(func.sum(counted), 0)),
        select(func.max(j.id)),
        select(func.count(j.finished_at)),
        select(func.max(j.finished_at)),
        select(func.count()).where(e.status == "open"),
        *open_events,
        select(func.max(transfers_current.c.report_date)),
    ]
    return [query.scalar_subquery() for query in queries]


def change_token(connection: Connection) -> ChangeToken:
    """The store's change token for the metrics snapshot (see the module docstring)."""
    return tuple(connection.execute(select(*_scalars())).one())


def read_change_token(engine: Engine) -> ChangeToken:
    """change_token on a connection of `engine`; StoreError if the store cannot answer."""
    try:
        with engine.connect() as connection:
            return change_token(connection)
    except SQLAlchemyError as exc:
        url = masked(engine.url.render_as_string(hide_password=False))
        raise StoreError(f"reading the store at {url} failed: {db_reason(exc)}") from exc
