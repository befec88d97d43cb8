"""After an ingest: update the fitted models with the new observations and rescore."""

from __future__ import annotations

from config import Settings
from jobs.executor import InlineExecutor
from jobs.model_inputs import modelled_series
from jobs.refit import ModelReport, run_models
from service.store import Store


def score_models(store: Store, settings: Settings) -> ModelReport:
    """Forecasts and shock events from the stored parameters (no re-estimation).

    Only series that have a fitted model are scored (none before `remitwatch fit`).
    """
    keys = [
        key for key in modelled_series(store, settings) if store.latest_model_run(key) is not None
    ]
    if not keys:
        return ModelReport(job="score")
    # An update is a few Kalman filter passes: cheaper here than starting worker processes.
    return run_models(
        store, settings, mode="update", keys=keys, executor=InlineExecutor(), with_var=False
    )
