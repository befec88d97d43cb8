"""`remitwatch fit`, `forecast`, `shocks`, `impact`, `scenario`, `backtest`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from jobs.fx import fx_stability_of
from jobs.impact import VAR_KEY, fit_impact, scenario
from jobs.job_run import run_recorded
from jobs.model_inputs import TOTAL_INFLOWS, load_complete_series, load_series
from jobs.model_restore import fit_from_run
from jobs.refit import run_models
from jobs.replay import replay
from models.sarimax import forecast as sarimax_forecast
from service.cli.context import CliContext, parse_as_of, pass_context
from service.cli.output import echo_json
from service.cli.tables import (
    echo_backtests,
    echo_events,
    echo_forecast,
    echo_impact,
    echo_scenario,
)

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the JSON contract.")
_as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="ISO-8601",
    help="Rerun on the data and the model known at this moment (nothing is stored).",
)


@click.command("fit")
@click.option(
    "--series",
    "keys",
    multiple=True,
    metavar="KEY",
    help="Fit only this series (repeatable). Default: models.series plus the top "
    "countries and systems, and the VAR.",
)
@click.option(
    "--warm",
    is_flag=True,
    help="Refit at the stored orders, warm-started from the stored parameters, "
    "instead of selecting the orders again.",
)
@_json_option
@pass_context
def fit_command(state: CliContext, keys: tuple[str, ...], warm: bool, as_json: bool) -> None:
    """Fit the SARIMAX models (order chosen by AICc/BIC over the configured grid) and the
    VAR; store the runs, forecasts, shock events (history included) and backtests."""
    store = state.store()
    for key in keys:
        if store.find_series(key) is None:
            raise click.BadParameter(f"unknown series {key!r}", param_hint="--series")
    report = run_recorded(
        store,
        "refit",
        lambda: run_models(
            store,
            state.settings,
            mode="refit" if warm else "select",
            keys=keys or None,
            with_var=not keys,
        ),
    )
    if as_json:
        echo_json(report.to_dict())
    else:
        for row in report.series:
            model = row["model"] if isinstance(row["model"], dict) else {}
            click.echo(
                f"{row['series']}: {row['status']}"
                + (f" {model.get('order')}x{model.get('seasonal_order')}" if model else "")
                + f", {row['events']} shock events, {row['seconds']} s"
                + (f" ({row['reason']})" if row["reason"] else "")
            )
        if report.var is not None:
            click.echo(f"var: {report.var.get('status')}, {report.var.get('lags')} lags")
    raise click.exceptions.Exit(1 if report.failed else 0)


@click.command("forecast")
@click.argument("key")
@click.option(
    "--horizon",
    type=click.IntRange(1, 120),
    default=None,
    help="Periods ahead (default: models.forecast_horizon).",
)
@_json_option
@pass_context
def forecast_command(state: CliContext, key: str, horizon: int | None, as_json: bool) -> None:
    """Forecast series KEY in USD with 80% and 95% bands, from its latest fitted model
    and all the data known now (no re-estimation)."""
    store = state.store()
    run = store.latest_model_run(key)
    fit = fit_from_run(run) if run is not None else None
    if fit is None:
        raise click.UsageError(f"no fitted model for {key!r}: run `remitwatch fit --series {key}`")
    series = load_complete_series(store, key)
    result = sarimax_forecast(fit, series, horizon or state.settings.models.forecast_horizon)
    if as_json:
        echo_json(result.to_dict())
    else:
        echo_forecast(result.to_dict())


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name) from exc


@click.command("shocks")
@click.option("--since", metavar="YYYY-MM-DD", help="Only events whose peak is on or after this.")
@click.option("--status", type=click.Choice(["open", "closed"]), help="Only open or closed events.")
@click.option("--series", "key", metavar="KEY", help="Only the events of this series.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@_as_of_option
@_json_option
@pass_context
def shocks_command(
    state: CliContext,
    since: str | None,
    status: str | None,
    key: str | None,
    limit: int,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Shock events: periods where a series broke out of its one-step-ahead forecast band.

    One episode is one event (hysteresis); severity is warning or critical by |z|. With
    --as-of, the detection is rerun on the data vintage known then, as the alert was raised.
    """
    first = _parse_day(since, "--since")
    moment = parse_as_of(as_of)
    store = state.store()
    if moment is None:
        events = store.shock_events(since=first, status=status, series_key=key, limit=limit)
    else:
        events = [
            event.to_dict()
            for outcome in replay(store, state.settings, moment, backtest=False)
            for event in outcome.events
        ]
        events = [
            e
            for e in events
            if (first is None or e["period"] >= first.isoformat())
            and (status is None or e["status"] == status)
            and (key is None or e["series"] == key)
        ]
        events.sort(key=lambda e: str(e["period"]), reverse=True)
        events = events[:limit]
    payload: dict[str, Any] = {"as_of": moment.isoformat() if moment else None, "events": events}
    if as_json:
        echo_json(payload)
    else:
        echo_events(events)


@click.command("impact")
@_json_option
@pass_context
def impact_command(state: CliContext, as_json: bool) -> None:
    """How much a 10% fall in remittances moves som/USD: the VAR's impulse responses,
    variance decomposition, Granger tests and the cumulative impact at 1, 3, 6, 12 months;
    with the som's current volatility (30/90-day realised, EWMA, largest daily move)."""
    store = state.store()
    run = store.latest_model_run(VAR_KEY, ok_only=False)
    result = run.result if run is not None else fit_impact(store, state.settings)
    result = {**result, "fx_stability": fx_stability_of(store).to_dict()}
    if as_json:
        echo_json(result)
    else:
        echo_impact(result)


def _parse_change(value: str) -> float:
    try:
        return float(value.strip().rstrip("%"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a percent change such as -20%") from exc


@click.command("scenario")
@click.option(
    "--series",
    "key",
    default=TOTAL_INFLOWS,
    show_default=True,
    help="The inflow series the change applies to (e.g. remit.in.country.RU.M).",
)
@click.option("--change", required=True, help="Percent change of that series, e.g. -20%.")
@click.option(
    "--months",
    type=click.IntRange(1, 36),
    default=3,
    show_default=True,
    help="How many months the change lasts (then inflows return to baseline).",
)
@_json_option
@pass_context
def scenario_command(state: CliContext, key: str, change: str, months: int, as_json: bool) -> None:
    """Project som/USD under a remittance scenario (e.g. inflows from Russia -20% for
    three months), with the baseline and 95% bands. A component's change moves the total
    by its share of inflows over the last 12 months."""
    change_pct = _parse_change(change)
    store = state.store()
    series = load_series(store, key)
    total = load_series(store, TOTAL_INFLOWS)
    if not len(series) or not len(total):
        raise click.BadParameter(f"no data for series {key!r}", param_hint="--series")
    share = float(series.values[-12:].sum() / total.values[-12:].sum())
    projection = scenario(store, state.settings, share, change_pct, months)
    payload = {
        "series": key,
        "change_pct": change_pct,
        "months": months,
        "share": share,
        **projection.to_dict(),
    }
    if as_json:
        echo_json(payload)
    else:
        echo_scenario(payload)


@click.command("backtest")
@_as_of_option
@_json_option
@pass_context
def backtest_command(state: CliContext, as_of: str | None, as_json: bool) -> None:
    """Rolling-origin backtests: MASE against the seasonal-naive forecast, 80%/95%
    interval coverage and the shock rule's alarm rate on history, per model."""
    moment: datetime | None = parse_as_of(as_of)
    store = state.store()
    if moment is None:
        models = store.latest_backtests()
        if not models:
            raise click.UsageError("no backtests stored yet: run `remitwatch fit` first")
    else:
        models = [
            outcome.backtest.to_dict()
            for outcome in replay(store, state.settings, moment, backtest=True)
            if outcome.backtest is not None
        ]
    payload = {"as_of": moment.isoformat() if moment else None, "models": models}
    if as_json:
        echo_json(payload)
    else:
        echo_backtests(models)
