"""Fit every configured series (in parallel) and the VAR; store runs, forecasts, events, scores.

`refit_models` is the weekly refit (order selection, or a warm-started refit at the
stored order) and `score_models` the update after each ingest (stored parameters,
new observations through the Kalman filter, no re-estimation).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from config import Settings
from jobs.executor import make_executor
from jobs.impact import fit_impact
from jobs.model_inputs import TOTAL_INFLOWS, modelled_series
from jobs.series_model import Mode, SeriesOutcome, run_series
from jobs.tasks import build_task
from models.shocks import ShockEvent, attribute, periods_below_band
from service.store import Store

log = logging.getLogger(__name__)

#: The series whose gaps explain an event of the total.
COMPONENT_PREFIXES = ("remit.in.country.", "remit.in.system.")


@dataclass
class ModelReport:
    """What a refit or scoring run did, per series."""

    job: str
    series: list[dict[str, object]] = field(default_factory=list)
    var: dict[str, object] | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def rows_written(self) -> int:
        return len(self.series)

    def error_summary(self) -> str | None:
        return "; ".join(self.errors) or None

    def to_dict(self) -> dict[str, object]:
        return {"job": self.job, "series": self.series, "var": self.var, "errors": self.errors}


def with_contributors(
    total: SeriesOutcome, components: Sequence[SeriesOutcome]
) -> tuple[ShockEvent, ...]:
    """Attach to each event of the total the countries and systems that explain it."""
    events = []
    for event in total.events:
        at_peak: dict[tuple[str, str], tuple[float, float]] = {}
        for outcome in components:
            _, _, dimension, name, _ = outcome.key.split(".")
            for scored in outcome.scored:
                if scored.period == event.period:
                    at_peak[(dimension, name)] = (scored.observed, scored.expected)
        events.append(attribute(event, at_peak) if at_peak else event)
    return tuple(events)


def _store_outcome(
    store: Store,
    outcome: SeriesOutcome,
    events: tuple[ShockEvent, ...],
    mode: Mode,
    as_of: datetime | None,
    at: datetime,
) -> dict[str, object]:
    fit = outcome.fit
    run = {
        "series_key": outcome.key,
        "kind": "sarimax",
        "status": fit.status,
        "reason": fit.reason,
        "spec": fit.spec.to_dict() if fit.spec is not None else None,
        "params": list(fit.params),
        # The last scored period (its one-step band and z) feeds the metrics' alert gauges.
        "result": {
            **fit.to_dict(),
            "mode": mode,
            "last_scored": (
                {
                    **outcome.scored[-1].to_dict(),
                    "periods_below_band": periods_below_band(outcome.scored),
                }
                if outcome.scored
                else None
            ),
        },
        "last_period": fit.last_period,
        "data_as_of": as_of or at,
        "fitted_at": at,
        "seconds": outcome.seconds,
    }
    # One transaction: a process killed here leaves either the run with its results or
    # neither, never a run without its forecast.
    _, new, updated = store.save_model_outcome(
        run,
        forecast=outcome.forecast.to_dict() if outcome.forecast is not None else None,
        events=[event.to_dict() for event in events],
        backtest=outcome.backtest.to_dict() if outcome.backtest is not None else None,
        scored=fit.status == "ok",
    )
    return {
        "series": outcome.key,
        "status": fit.status,
        "reason": fit.reason,
        "model": fit.spec.to_dict() if fit.spec is not None else None,
        "events": len(events),
        "new_events": new,
        "updated_events": updated,
        "seconds": round(outcome.seconds, 3),
    }


def run_models(
    store: Store,
    settings: Settings,
    *,
    mode: Mode,
    keys: Sequence[str] | None = None,
    executor: Executor | None = None,
    with_var: bool = True,
) -> ModelReport:
    """Fit or update the series models (and the VAR) and store what they found."""
    report = ModelReport(job={"select": "refit", "refit": "refit", "update": "score"}[mode])
    chosen = list(keys) if keys else modelled_series(store, settings)
    tasks = [build_task(store, settings, key, mode, backtest=mode != "update") for key in chosen]
    pool = executor or make_executor(settings.compute)
    try:
        outcomes = [future.result() for future in [pool.submit(run_series, t) for t in tasks]]
    finally:
        if executor is None:
            pool.shutdown()
    at = datetime.now(UTC)
    components = [o for o in outcomes if o.key.startswith(COMPONENT_PREFIXES)]
    for outcome in outcomes:
        events = outcome.events
        if outcome.key == TOTAL_INFLOWS:
            events = with_contributors(outcome, components)
        report.series.append(_store_outcome(store, outcome, events, mode, None, at))
        if outcome.fit.status != "ok":
            report.errors.append(f"{outcome.key}: {outcome.fit.reason}")
    if with_var and mode != "update":
        report.var = fit_impact(store, settings, at=at)
        if report.var.get("status") != "ok":
            report.errors.append(f"var: {report.var.get('reason')}")
    return report
