"""The monthly backtest: every stored model checked on rolling origins, scores stored."""

from __future__ import annotations

from datetime import UTC, datetime

from config import Settings
from jobs.impact import VAR_KEY, var_config, var_input
from jobs.model_inputs import TOTAL_INFLOWS, modelled_series
from jobs.refit import COMPONENT_PREFIXES, ModelReport, with_contributors
from jobs.series_model import run_series
from jobs.tasks import build_task
from models.backtest import BacktestScore
from models.var_backtest import rolling_origin_var
from service.store import Store


def _backtest_row(run_id: int, backtest: BacktestScore) -> dict[str, object]:
    return {
        "series": backtest.series,
        "model_run_id": run_id,
        "status": backtest.status,
        "reason": backtest.reason,
        "mase": backtest.mase,
        "beats_seasonal_naive": backtest.beats_seasonal_naive,
        "n_forecasts": backtest.n_forecasts,
    }


def _backtest_var(store: Store, settings: Settings, at: datetime, report: ModelReport) -> None:
    """The VAR's own check (refitted at each origin, as when it is fitted), if one is stored."""
    run = store.latest_model_run(VAR_KEY, fitted_before=at)
    if run is None:
        return
    backtest = rolling_origin_var(
        var_input(store), var_config(settings), origins=settings.backtest.origins
    )
    store.save_scoring(
        series_key=backtest.series,
        model_run_id=run.id,
        forecast=None,
        events=[],
        backtest=backtest.to_dict(),
        at=at,
    )
    if backtest.status == "failed":
        report.errors.append(f"{backtest.series}: {backtest.reason}")
    report.series.append(_backtest_row(run.id, backtest))


def backtest_models(store: Store, settings: Settings) -> ModelReport:
    """Rolling-origin backtest of every fitted model; the scores are stored.

    A series model is tested with its stored spec and parameters, re-filtered at each
    origin (no re-estimation). Its shock events are stored again with the score, in one
    transaction, as the scoring pass finds them (the same as the last scoring's); no
    forecast is stored. The VAR is tested as when it is fitted.
    """
    report = ModelReport(job="backtest")
    at = datetime.now(UTC)
    runs = {
        key: store.latest_model_run(key, fitted_before=at)
        for key in modelled_series(store, settings)
    }
    outcomes = [
        run_series(build_task(store, settings, key, "update", as_of=at, backtest=True))
        for key, run in runs.items()
        if run is not None
    ]
    components = [o for o in outcomes if o.key.startswith(COMPONENT_PREFIXES)]
    for outcome in outcomes:
        run = runs[outcome.key]
        assert run is not None
        if outcome.fit.status != "ok" or outcome.backtest is None:
            report.errors.append(f"{outcome.key}: no backtest: {outcome.fit.reason}")
            continue
        total = outcome.key == TOTAL_INFLOWS
        events = with_contributors(outcome, components) if total else outcome.events
        store.save_scoring(
            series_key=outcome.key,
            model_run_id=run.id,
            forecast=None,
            events=[event.to_dict() for event in events],
            backtest=outcome.backtest.to_dict(),
            at=at,
        )
        if outcome.backtest.status == "failed":
            report.errors.append(f"{outcome.key}: {outcome.backtest.reason}")
        report.series.append(_backtest_row(run.id, outcome.backtest))
    _backtest_var(store, settings, at, report)
    return report
