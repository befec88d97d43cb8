"""Model runs, forecasts, shock events and backtest scores.

The store does not import `models/`: results arrive as the plain dicts their
`to_dict()` produce (the public JSON contracts) and leave the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service.store.schema import (
    backtest_scores,
    forecast_points,
    forecasts,
    model_runs,
    shock_events,
)


@dataclass(frozen=True)
class ModelRun:
    id: int
    series_key: str
    kind: str
    status: str
    reason: str | None
    spec: dict[str, Any] | None
    params: list[float] | None
    result: dict[str, Any]
    last_period: date | None
    data_as_of: datetime | None
    fitted_at: datetime
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "series": self.series_key,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "spec": self.spec,
            "last_period": self.last_period.isoformat() if self.last_period else None,
            "fitted_at": self.fitted_at.isoformat(),
            "seconds": self.seconds,
        }


def record_model_run(
    connection: Connection,
    *,
    series_key: str,
    kind: str,
    status: str,
    reason: str | None,
    spec: Mapping[str, Any] | None,
    params: Sequence[float] | None,
    result: Mapping[str, Any],
    last_period: date | None,
    data_as_of: datetime | None,
    fitted_at: datetime,
    seconds: float,
) -> int:
    inserted = connection.execute(
        insert(model_runs).values(
            series_key=series_key,
            kind=kind,
            status=status,
            reason=reason,
            spec=dict(spec) if spec is not None else None,
            params=list(params) if params is not None else None,
            result=dict(result),
            last_period=last_period,
            data_as_of=data_as_of,
            fitted_at=fitted_at,
            seconds=seconds,
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def latest_model_run(
    connection: Connection,
    series_key: str,
    *,
    ok_only: bool = True,
    fitted_before: datetime | None = None,
) -> ModelRun | None:
    """The newest run of a series (of a successful fit by default), optionally as of a moment."""
    query = select(model_runs).where(model_runs.c.series_key == series_key)
    if ok_only:
        query = query.where(model_runs.c.status == "ok")
    if fitted_before is not None:
        query = query.where(model_runs.c.fitted_at <= fitted_before)
    row = connection.execute(
        query.order_by(model_runs.c.fitted_at.desc(), model_runs.c.id.desc()).limit(1)
    ).first()
    return None if row is None else ModelRun(**row._asdict())


def model_runs_list(connection: Connection, limit: int = 50) -> list[ModelRun]:
    rows = connection.execute(
        select(model_runs)
        .order_by(model_runs.c.fitted_at.desc(), model_runs.c.id.desc())
        .limit(limit)
    )
    return [ModelRun(**row._asdict()) for row in rows]


def record_forecast(
    connection: Connection,
    model_run_id: int,
    forecast: Mapping[str, Any],
    made_at: datetime,
) -> int:
    """Store a forecast in its JSON contract form ({"series", "origin", "points": [...]})."""
    inserted = connection.execute(
        insert(forecasts).values(
            series_key=forecast["series"],
            model_run_id=model_run_id,
            origin=date.fromisoformat(forecast["origin"]),
            made_at=made_at,
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None
    forecast_id = int(key[0])
    points = [
        {
            "forecast_id": forecast_id,
            "period": date.fromisoformat(point["period"]),
            **{
                name: float(point[name])
                for name in ("mean", "lower_80", "upper_80", "lower_95", "upper_95")
            },
        }
        for point in forecast["points"]
    ]
    if points:
        connection.execute(insert(forecast_points), points)
    return forecast_id


def latest_forecast(
    connection: Connection,
    series_key: str,
    made_before: datetime | None = None,
    origin_until: date | None = None,
) -> dict[str, Any] | None:
    """The newest forecast of a series as {"series", "origin", "made_at", "model", "points"}.

    `origin_until`: only forecasts made from that period or an earlier one, the latest
    origin first (what was forecast from the data up to a past month).
    """
    query = select(forecasts, model_runs.c.spec).join(
        model_runs, model_runs.c.id == forecasts.c.model_run_id
    )
    query = query.where(forecasts.c.series_key == series_key)
    if made_before is not None:
        query = query.where(forecasts.c.made_at <= made_before)
    order = [forecasts.c.made_at.desc(), forecasts.c.id.desc()]
    if origin_until is not None:
        query = query.where(forecasts.c.origin <= origin_until)
        order.insert(0, forecasts.c.origin.desc())
    head = connection.execute(query.order_by(*order).limit(1)).first()
    if head is None:
        return None
    p = forecast_points.c
    rows = connection.execute(
        select(p.period, p.mean, p.lower_80, p.upper_80, p.lower_95, p.upper_95)
        .where(p.forecast_id == head.id)
        .order_by(p.period)
    )
    return {
        "series": head.series_key,
        "model": head.spec,
        "origin": head.origin.isoformat(),
        "made_at": head.made_at.isoformat(),
        "points": [
            {
                "period": row.period.isoformat(),
                "mean": row.mean,
                "lower_80": row.lower_80,
                "upper_80": row.upper_80,
                "lower_95": row.lower_95,
                "upper_95": row.upper_95,
            }
            for row in rows
        ],
    }


_EVENT_FIELDS = (
    "end_period",
    "peak_period",
    "observed",
    "expected",
    "lower_95",
    "upper_95",
    "zscore",
    "severity",
    "status",
    "periods",
    "contributors",
)


def _event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "series_key": event["series"],
        "start_period": date.fromisoformat(event["start"]),
        "end_period": date.fromisoformat(event["end"]) if event.get("end") else None,
        "peak_period": date.fromisoformat(event["period"]),
        "observed": float(event["observed"]),
        "expected": float(event["expected"]),
        "lower_95": float(event["lower_95"]),
        "upper_95": float(event["upper_95"]),
        "zscore": float(event["zscore"]),
        "severity": event["severity"],
        "status": event["status"],
        "periods": int(event["periods"]),
        "contributors": list(event.get("contributors") or []),
    }


def replace_shock_events(
    connection: Connection,
    series_key: str,
    events: Sequence[Mapping[str, Any]],
    model_run_id: int | None,
    at: datetime,
) -> tuple[int, int]:
    """Make the stored events of a series what scoring found: (new, updated).

    An event is known by (series, start period). Stored events no longer found by a
    later scoring (the data was corrected) are closed, never deleted.
    """
    c = shock_events.c
    known = {
        row.start_period: row
        for row in connection.execute(select(shock_events).where(c.series_key == series_key))
    }
    new = updated = 0
    found: set[date] = set()
    for event in events:
        row = _event_row(event)
        found.add(row["start_period"])
        previous = known.get(row["start_period"])
        if previous is None:
            connection.execute(
                insert(shock_events).values(
                    **row, model_run_id=model_run_id, detected_at=at, updated_at=at
                )
            )
            new += 1
        elif any(getattr(previous, name) != row[name] for name in _EVENT_FIELDS):
            connection.execute(
                update(shock_events)
                .where(c.id == previous.id)
                .values(
                    **{name: row[name] for name in _EVENT_FIELDS},
                    updated_at=at,
                    model_run_id=model_run_id,
                )
            )
            updated += 1
    for start, previous in known.items():
        if start not in found and previous.status == "open":
            connection.execute(
                update(shock_events)
                .where(c.id == previous.id)
                .values(status="closed", end_period=previous.peak_period, updated_at=at)
            )
            updated += 1
    return new, updated


def list_shock_events(
    connection: Connection,
    *,
    since: date | None = None,
    status: str | None = None,
    series_key: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Shock events in their JSON contract form, newest peak first."""
    c = shock_events.c
    query = select(shock_events)
    if since is not None:
        query = query.where(c.peak_period >= since)
    if status is not None:
        query = query.where(c.status == status)
    if series_key is not None:
        query = query.where(c.series_key == series_key)
    rows = connection.execute(query.order_by(c.peak_period.desc(), c.id.desc()).limit(limit))
    return [
        {
            "series": row.series_key,
            "period": row.peak_period.isoformat(),
            "start": row.start_period.isoformat(),
            "end": row.end_period.isoformat() if row.end_period else None,
            "observed": row.observed,
            "expected": row.expected,
            "lower_95": row.lower_95,
            "upper_95": row.upper_95,
            "zscore": row.zscore,
            "severity": row.severity,
            "status": row.status,
            "periods": row.periods,
            "contributors": row.contributors,
            "detected_at": row.detected_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]


def record_backtest(
    connection: Connection, score: Mapping[str, Any], model_run_id: int | None, at: datetime
) -> None:
    """Store a backtest score in its JSON contract form."""
    connection.execute(
        insert(backtest_scores).values(
            series_key=score["series"],
            model_run_id=model_run_id,
            made_at=at,
            status=score.get("status", "ok"),
            mase=score.get("mase"),
            naive_mase=score.get("naive_mase"),
            coverage_80=score.get("coverage_80"),
            coverage_95=score.get("coverage_95"),
            false_alarms_per_year=score.get("false_alarms_per_year"),
            beats_seasonal_naive=score.get("beats_seasonal_naive"),
            n_forecasts=int(score.get("n_forecasts") or 0),
            horizon=int(score.get("horizon") or 0),
            result=dict(score),
        )
    )


def latest_backtests(connection: Connection) -> list[dict[str, Any]]:
    """The newest backtest score of every series."""
    rows = connection.execute(
        select(backtest_scores).order_by(backtest_scores.c.made_at, backtest_scores.c.id)
    )
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        newest[row.series_key] = {**row.result, "made_at": row.made_at.isoformat()}
    return [newest[key] for key in sorted(newest)]
