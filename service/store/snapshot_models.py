"""The model reads behind the metrics: newest runs, forecasts, backtests and the VAR.

One windowed query per table picks the newest row of every key; the observed values of
the scored periods come in one more query. Nothing here runs once per series.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, func, select

from service.store.schema import (
    backtest_scores,
    forecast_points,
    forecasts,
    model_runs,
    observations,
    series,
)
from service.store.snapshot_records import BacktestFigures, BandFigures, ModelFigures, VarFigures


def newest_per_key(
    connection: Connection,
    table: Table,
    key: ColumnElement[Any],
    moment: ColumnElement[Any],
    columns: Sequence[ColumnElement[Any]],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    tie_break: ColumnElement[Any] | None = None,
) -> dict[Any, Row[Any]]:
    """The row with the newest `moment` of each `key` (ties: the greatest `tie_break`,
    by default the id), keyed by the first of `columns`.

    A grouped MAX that the (key, moment) indexes answer, then a join back: this stays
    fast as the history grows, where a window over every row would not.
    """
    latest = (
        select(key.label("key"), func.max(moment).label("moment"))
        .where(*where)
        .group_by(key)
        .subquery()
    )
    rows = connection.execute(
        select(*columns)
        .join(latest, and_(key == latest.c.key, moment == latest.c.moment))
        .where(*where)
        .order_by(tie_break if tie_break is not None else table.c.id)
    )
    return {row[0]: row for row in rows}  # later rows (greater tie-break) overwrite


def _runs(connection: Connection) -> dict[str, dict[str, Any]]:
    """Per key: the newest run (status, time) and the newest successful one (what it scored)."""
    r = model_runs.c
    columns = (r.series_key, r.kind, r.status, r.fitted_at, r.last_period)
    scored = r.result["last_scored"].label("last_scored")
    newest = newest_per_key(connection, model_runs, r.series_key, r.fitted_at, (*columns, scored))
    failed = sorted(key for key, row in newest.items() if row.status != "ok")
    newest_ok = {key: row for key, row in newest.items() if row.status == "ok"}
    if failed:  # only then is the newest successful run an older one
        where = (r.status == "ok", r.series_key.in_(failed))
        newest_ok |= newest_per_key(
            connection, model_runs, r.series_key, r.fitted_at, (*columns, scored), where=where
        )
    found: dict[str, dict[str, Any]] = {}
    for key, row in newest.items():
        found[key] = {"kind": row.kind, "last_run_status": row.status, "last_run_at": row.fitted_at}
        if (ok := newest_ok.get(key)) is not None:
            found[key] |= {
                "last_ok_at": ok.fitted_at,
                "last_period": ok.last_period,
                "last_scored": ok.last_scored if isinstance(ok.last_scored, dict) else None,
            }
    return found


def _next_forecasts(connection: Connection) -> dict[str, tuple[date, BandFigures | None]]:
    """Per series: the origin of its newest forecast and that forecast's first point."""
    f, p = forecasts.c, forecast_points.c
    latest = newest_per_key(
        connection, forecasts, f.series_key, f.made_at, (f.series_key, f.id, f.origin)
    )
    found: dict[str, tuple[date, BandFigures | None]] = {
        key: (row.origin, None) for key, row in latest.items()
    }
    if not latest:
        return found
    series_of = {row.id: key for key, row in latest.items()}
    # The first point of each of these forecasts, found by primary key (forecast_id,
    # period): a grouped MIN over the table joined back would make PostgreSQL scan every
    # forecast point ever stored, and fetching every point (a dozen each) would make
    # Python turn a dozen rows into objects for each one it keeps.
    earlier = forecast_points.alias("earlier")
    first_period = (
        select(func.min(earlier.c.period))
        .where(earlier.c.forecast_id == p.forecast_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            p.forecast_id, p.period, p.mean, p.lower_80, p.upper_80, p.lower_95, p.upper_95
        ).where(p.forecast_id.in_(sorted(series_of)), p.period == first_period)
    )
    for forecast_id, *point in rows:
        key = series_of[forecast_id]
        found[key] = (found[key][0], BandFigures(*point))
    return found


def _latest_values(
    connection: Connection, wanted: Iterable[tuple[str, date]]
) -> dict[tuple[str, date], float]:
    """The current value (latest vintage) of each (series key, period) asked for."""
    pairs = set(wanted)
    if not pairs:
        return {}
    o, s = observations.c, series.c
    rows = connection.execute(
        select(s.key, o.period, o.value)
        .join(series, s.id == o.series_id)
        .where(
            s.key.in_(sorted({key for key, _ in pairs})),
            o.period.in_(sorted({day for _, day in pairs})),
        )
        .order_by(o.vintage_at)
    )
    values: dict[tuple[str, date], float] = {}
    for key, period, value in rows:
        if (key, period) in pairs:
            values[(key, period)] = float(value)  # later vintages overwrite earlier ones
    return values


def _backtests(connection: Connection) -> dict[str, BacktestFigures]:
    b = backtest_scores.c
    columns = (
        b.series_key,
        b.status,
        b.mase,
        b.coverage_80,
        b.coverage_95,
        b.beats_seasonal_naive,
        b.made_at,
    )
    newest = newest_per_key(connection, backtest_scores, b.series_key, b.made_at, columns)
    return {
        key: BacktestFigures(
            row.status,
            row.mase,
            row.coverage_80,
            row.coverage_95,
            None if row.beats_seasonal_naive is None else bool(row.beats_seasonal_naive),
            row.made_at,
        )
        for key, row in newest.items()
    }


def model_figures(connection: Connection) -> tuple[ModelFigures, ...]:
    runs = _runs(connection)
    ahead = _next_forecasts(connection)
    backtests = _backtests(connection)
    periods: dict[str, date] = {}
    for key, run in runs.items():
        scored = run.get("last_scored") or {}
        origin = ahead.get(key, (None, None))[0]
        period = (date.fromisoformat(scored["period"]) if scored.get("period") else None) or origin
        if period is None and run["kind"] == "sarimax":
            period = run.get("last_period")
        if period is not None:
            periods[key] = period
    observed = _latest_values(connection, periods.items())
    figures = [
        ModelFigures(
            key=key,
            kind=run["kind"],
            last_run_status=run.get("last_run_status"),
            last_run_at=run.get("last_run_at"),
            last_ok_at=run.get("last_ok_at"),
            period=periods.get(key),
            observed=observed.get((key, periods[key])) if key in periods else None,
            last_scored=run.get("last_scored"),
            next_forecast=ahead.get(key, (None, None))[1],
            backtest=backtests.get(key),
        )
        for key, run in runs.items()
    ]
    figures += [
        ModelFigures(key, None, None, None, None, backtest=score)
        for key, score in backtests.items()
        if key not in runs
    ]
    return tuple(sorted(figures, key=lambda item: item.key))


def var_figures(connection: Connection, models: Sequence[ModelFigures]) -> VarFigures | None:
    """Impact and Granger figures of the newest successful run of the VAR keys in `models`."""
    keys = sorted(figures.key for figures in models if figures.kind == "var")
    if not keys:
        return None
    r = model_runs.c
    row = connection.execute(
        select(
            r.fitted_at, r.result["impact"].label("impact"), r.result["granger"].label("granger")
        )
        .where(r.series_key.in_(keys), r.kind == "var", r.status == "ok")
        .order_by(r.fitted_at.desc(), r.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return VarFigures(row.fitted_at, tuple(row.impact or ()), tuple(row.granger or ()))
