"""The store reads behind the Prometheus metrics: a dozen queries, however many series.

Every read takes the newest row per key with one windowed or grouped query, never one
query per series, so a scrape stays fast with hundreds of modelled series.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, extract, func, or_, select

from service.store.reads import SOURCES, last_arrivals
from service.store.schema import (
    job_runs,
    observations,
    official_rates,
    received_files,
    series,
    shock_events,
    transfers_current,
)
from service.store.snapshot_models import model_figures, newest_per_key, var_figures
from service.store.snapshot_records import (
    FILE_STATUSES,
    ROW_OUTCOMES,
    SEVERITIES,
    DailyRates,
    JobFigures,
    MetricsSnapshot,
    RateFigures,
)
from service.store.snapshot_token import change_token

#: Days of daily rates read before the newest one: the 90-day volatility window plus a
#: margin for gaps, so the figures equal those computed over the whole series.
DAILY_RATE_DAYS = 120


def _open_events(connection: Connection) -> dict[str, int]:
    c = shock_events.c
    counts = dict.fromkeys(SEVERITIES, 0)
    query = select(c.severity, func.count()).where(c.status == "open").group_by(c.severity)
    for severity, count in connection.execute(query):
        counts[str(severity)] = int(count)
    return counts


def _rates(connection: Connection, currencies: Sequence[str]) -> tuple[RateFigures, ...]:
    """The newest official rate (latest vintage) of each currency asked for."""
    r = official_rates.c
    newest = newest_per_key(
        connection,
        official_rates,
        r.currency,
        r.rate_date,
        (r.currency, r.rate_date, r.nominal, r.value),
        where=(r.currency.in_(list(currencies)),),
        tie_break=r.vintage,
    )
    return tuple(
        RateFigures(currency, row.rate_date, float(row.value / row.nominal))
        for currency, row in sorted(newest.items())
    )


def _daily_rates(connection: Connection, currencies: Sequence[str]) -> tuple[DailyRates, ...]:
    """The last DAILY_RATE_DAYS days of each `fx.<CUR>.D` series (current vintages)."""
    o, s = observations.c, series.c
    keys = {f"fx.{currency}.D": currency for currency in currencies}
    newest = connection.execute(
        select(s.key, func.max(o.period))
        .join(series, s.id == o.series_id)
        .where(s.key.in_(list(keys)))
        .group_by(s.key)
    ).all()
    if not newest:
        return ()
    since = [
        and_(s.key == key, o.period >= last - timedelta(days=DAILY_RATE_DAYS))
        for key, last in newest
    ]
    rows = connection.execute(
        select(s.key, o.period, o.value)
        .join(series, s.id == o.series_id)
        .where(or_(*since))
        .order_by(o.vintage_at)
    )
    days: dict[str, dict[date, float]] = {key: {} for key, _ in newest}
    for key, period, value in rows:
        days[key][period] = float(value)  # later vintages overwrite earlier ones
    return tuple(
        DailyRates(keys[key], tuple(sorted(by_day)), tuple(by_day[d] for d in sorted(by_day)))
        for key, by_day in sorted(days.items(), key=lambda item: keys[item[0]])
    )


def _run_seconds(connection: Connection) -> ColumnElement[Any]:
    """A job run's duration in seconds, in the dialect's own date arithmetic."""
    j = job_runs.c
    if connection.dialect.name == "sqlite":
        return (func.julianday(j.finished_at) - func.julianday(j.started_at)) * 86400.0
    return extract("epoch", j.finished_at - j.started_at)


def _jobs(connection: Connection, bounds: Sequence[float]) -> tuple[JobFigures, ...]:
    j = job_runs.c
    seconds = _run_seconds(connection)
    rows = connection.execute(
        select(
            j.job,
            j.status,
            func.count(),
            func.count(j.finished_at),
            func.max(j.finished_at),
            func.sum(seconds),
            *(func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds),
        ).group_by(j.job, j.status)
    )
    by_job: dict[str, list[Any]] = {}
    for row in rows:
        by_job.setdefault(row[0], []).append(row)
    figures = []
    for job, groups in sorted(by_job.items()):
        finished = [g for g in groups if g[3]]
        last = {g[1]: g[4] for g in finished}
        figures.append(
            JobFigures(
                job=job,
                runs={g[1]: int(g[3]) for g in finished},
                running=sum(int(g[2]) - int(g[3]) for g in groups),
                last_success_at=last.get("ok"),
                last_failure_at=last.get("failed"),
                bucket_bounds=tuple(bounds),
                duration_buckets=tuple(
                    sum(int(g[6 + i] or 0) for g in finished) for i in range(len(bounds))
                ),
                duration_count=sum(int(g[3]) for g in finished),
                duration_sum=sum(float(g[5] or 0.0) for g in finished),
            )
        )
    return tuple(figures)


def _ingest(connection: Connection) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Rows received by source and outcome, and files by source and status."""
    f = received_files.c
    rows_by: dict[str, dict[str, int]] = {
        source: dict.fromkeys(ROW_OUTCOMES, 0) for source in SOURCES
    }
    files_by: dict[str, dict[str, int]] = {
        source: dict.fromkeys(FILE_STATUSES, 0) for source in SOURCES
    }
    query = select(
        f.source,
        f.status,
        func.count(),
        func.sum(f.rows_new),
        func.sum(f.rows_corrected),
        func.sum(f.rows_unchanged),
        func.sum(f.rows_quarantined),
        func.sum(f.rows_total),
    ).group_by(f.source, f.status)
    for source, status, files, new, corrected, unchanged, quarantined, total in connection.execute(
        query
    ):
        rows = rows_by.setdefault(source, dict.fromkeys(ROW_OUTCOMES, 0))
        files_by.setdefault(source, dict.fromkeys(FILE_STATUSES, 0))[status] = int(files)
        rows["new"] += int(new or 0)
        rows["corrected"] += int(corrected or 0)
        rows["unchanged"] += int(unchanged or 0)
        rows["quarantined"] += int(quarantined or 0)
        if status == "rejected":
            rows["rejected"] += int(total or 0)
    return rows_by, files_by


def _latest_dates(connection: Connection) -> dict[str, date | None]:
    """The newest rate date and transfer report date stored."""
    rates, transfers = connection.execute(
        select(
            select(func.max(official_rates.c.rate_date)).scalar_subquery(),
            select(func.max(transfers_current.c.report_date)).scalar_subquery(),
        )
    ).one()
    return {"rates": rates, "transfers": transfers}


def metrics_snapshot(
    connection: Connection, *, currencies: Sequence[str], duration_bounds: Sequence[float]
) -> MetricsSnapshot:
    """The store's figures for the metrics (see MetricsSnapshot); `duration_bounds` are the
    job duration histogram's finite bucket bounds in seconds, ascending.

    The change token is read first: what follows is at least as new as it."""
    token = change_token(connection)
    rows, files = _ingest(connection)
    models = model_figures(connection)
    return MetricsSnapshot(
        models=models,
        var=var_figures(connection, models),
        open_events=_open_events(connection),
        rates=_rates(connection, currencies),
        daily_rates=_daily_rates(connection, currencies),
        jobs=_jobs(connection, duration_bounds),
        ingest_rows=rows,
        ingest_files=files,
        last_arrivals=last_arrivals(connection),
        latest_dates=_latest_dates(connection),
        change_token=token,
    )
