"""Rerun shock detection and backtests on the data as it was known at a past moment.

Nothing is stored: the answer is what remitwatch would have said then, with the
model that was fitted then (or, if none was, one fitted on that day's data).
"""

from __future__ import annotations

from datetime import datetime

from config import Settings
from jobs.model_inputs import modelled_series
from jobs.series_model import SeriesOutcome, run_series
from jobs.tasks import build_task
from service.store import Store


def replay(
    store: Store, settings: Settings, as_of: datetime, *, backtest: bool
) -> list[SeriesOutcome]:
    """Each modelled series scored (and backtested) on its vintage at `as_of`."""
    return [
        run_series(build_task(store, settings, key, "update", as_of=as_of, backtest=backtest))
        for key in modelled_series(store, settings, as_of)
    ]
