"""Readable tables of the model results, printed from their JSON contract form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click


def _usd_m(value: Any) -> str:
    return "-" if value is None else f"{float(value) / 1e6:,.1f}"


def _num(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"


def echo_forecast(forecast: Mapping[str, Any]) -> None:
    model = forecast.get("model") or {}
    click.echo(
        f"{forecast['series']}  SARIMAX {model.get('order')}x{model.get('seasonal_order')}, "
        f"origin {forecast.get('origin')}  (USD millions)"
    )
    click.echo(f"{'period':<10}  {'mean':>9}  {'80% band':>19}  {'95% band':>19}")
    for p in forecast["points"]:
        click.echo(
            f"{p['period']:<10}  {_usd_m(p['mean']):>9}  "
            f"{_usd_m(p['lower_80']):>9}-{_usd_m(p['upper_80']):<9}  "
            f"{_usd_m(p['lower_95']):>9}-{_usd_m(p['upper_95']):<9}"
        )


def echo_events(events: Sequence[Mapping[str, Any]]) -> None:
    if not events:
        click.echo("no shock events")
        return
    click.echo(
        f"{'series':<34} {'peak':<10} {'status':<6} {'severity':<8} {'z':>6} "
        f"{'observed':>9} {'expected':>9}  contributors (USD millions)"
    )
    for e in events:
        contributors = ", ".join(
            f"{c['name']} {float(c['gap']) / 1e6:+,.1f}" for c in (e.get("contributors") or [])[:3]
        )
        click.echo(
            f"{e['series']:<34} {e['period']:<10} {e['status']:<6} {e['severity']:<8} "
            f"{_num(e['zscore']):>6} {_usd_m(e['observed']):>9} {_usd_m(e['expected']):>9}  "
            f"{contributors}"
        )


def echo_impact(result: Mapping[str, Any]) -> None:
    if result.get("status") != "ok":
        click.echo(f"VAR: {result.get('status')}: {result.get('reason')}")
        return
    click.echo(
        f"VAR({result['lags']}) on {', '.join(result['variables'])}, "
        f"{result.get('first_period')} .. {result.get('last_period')}, "
        f"stable: {result.get('stable')}"
    )
    click.echo("som/USD after a 10% fall in remittances (cumulative %, 95% band):")
    for point in result["impact"]:
        click.echo(
            f"  {point['horizon']:>2} months: {_num(point['pct']):>6}%  "
            f"[{_num(point['lower'])}, {_num(point['upper'])}]"
        )
    click.echo("Granger causality (p-values):")
    for test in result["granger"]:
        click.echo(f"  {test['cause']} -> {test['effect']}: {_num(test['pvalue'], 3)}")
    fx = result.get("fx_stability") or {}
    if fx:
        click.echo(
            f"som/USD volatility as of {fx.get('as_of')} (annualised %): "
            f"30-day {_num(fx.get('realised_vol_30d'))}, "
            f"90-day {_num(fx.get('realised_vol_90d'))}, EWMA {_num(fx.get('ewma_vol'))}; "
            f"largest daily move {_num(fx.get('largest_move_pct'))}% "
            f"on {fx.get('largest_move_date')}"
        )


def echo_scenario(payload: Mapping[str, Any]) -> None:
    click.echo(
        f"{payload['series']} {payload['change_pct']:+.1f}% for {payload['months']} months "
        f"(share of inflows {payload['share']:.0%}); som per USD:"
    )
    if payload.get("status") != "ok":
        click.echo(f"  {payload.get('status')}: {payload.get('reason')}")
        return
    click.echo(f"  {'period':<10} {'baseline':>9} {'scenario':>9} {'95% band':>17}")
    for p in payload["points"]:
        click.echo(
            f"  {p['period']:<10} {_num(p['baseline']):>9} {_num(p['projected']):>9} "
            f"{_num(p['lower']):>8}-{_num(p['upper']):<8}"
        )


def echo_backtests(models: Sequence[Mapping[str, Any]]) -> None:
    click.echo(
        f"{'series':<34} {'MASE':>6} {'naive':>6} {'cov80':>6} {'cov95':>6} "
        f"{'alarms/yr':>9}  beats seasonal-naive"
    )
    for m in models:
        click.echo(
            f"{m['series']:<34} {_num(m.get('mase')):>6} {_num(m.get('naive_mase')):>6} "
            f"{_num(m.get('coverage_80')):>6} {_num(m.get('coverage_95')):>6} "
            f"{_num(m.get('false_alarms_per_year')):>9}  {m.get('beats_seasonal_naive')}"
        )
