"""Rerun shock detection and backtests on the data as it was known at a past moment.

Nothing is stored: the answer is what remitwatch would have said then, with the
model that was fitted then (or, if none was, one fitted on that day's data).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from config import Settings
from jobs.model_inputs import TOTAL_INFLOWS, modelled_series
from jobs.refit import COMPONENT_PREFIXES, with_contributors
from jobs.series_model import SeriesOutcome, run_series
from jobs.tasks import build_task
from service.store import Store


def replay(
    store: Store, settings: Settings, as_of: datetime, *, backtest: bool
) -> list[SeriesOutcome]:
    """Each modelled series scored (and backtested) on its vintage at `as_of`."""
    outcomes = [
        run_series(build_task(store, settings, key, "update", as_of=as_of, backtest=backtest))
        for key in modelled_series(store, settings, as_of)
    ]
    components = [o for o in outcomes if o.key.startswith(COMPONENT_PREFIXES)]
    return [
        replace(o, events=with_contributors(o, components)) if o.key == TOTAL_INFLOWS else o
        for o in outcomes
    ]
