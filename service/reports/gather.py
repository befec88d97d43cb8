"""Everything a monthly report shows, read from the store once (current vintage)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pycountry

from config import Settings
from models.volatility import rolling_volatility
from service.reports.errors import ReportError
from service.reports.headline import Headline, compute_headline
from service.reports.series_frames import (
    SOM_RUB_DAILY,
    SOM_USD_DAILY,
    TOTAL_INFLOWS,
    TOTAL_INFLOWS_DAILY,
    Series,
    add_months,
    latest_complete_month,
    month_end,
    read_series,
)
from service.store import Store

#: The model-run key of the VAR (as stored by jobs.impact).
VAR_KEY = "var"
#: Months of history drawn before the report month.
HISTORY_MONTHS = 36
COMPOSITION_MONTHS = 24
SEASONAL_YEARS = 5
#: Components drawn on their own in the stacked charts; the rest is "other".
STACK_COMPONENTS = 5
#: Quarantined rows read to group them by reason.
QUARANTINE_SAMPLE = 5000


@dataclass(frozen=True)
class FanPanel:
    """Inflows of one series against its latest forecast; shocks as (period, severity)."""

    label: str
    actual: Series
    forecast: list[dict[str, Any]]
    shocks: list[tuple[date, str]]


@dataclass(frozen=True)
class FxPanel:
    """A daily rate (som per USD or roubles per USD) with its 30/90-day volatility (%/yr)."""

    label: str
    rate: Series
    vol_30: Series
    vol_90: Series


@dataclass(frozen=True)
class ReportData:
    month: date
    headline: Headline
    fans: list[FanPanel]
    by_country: dict[str, Series]
    by_system: dict[str, Series]
    seasonal: Series  # long monthly history of total inflows for the seasonal profile
    fx: list[FxPanel]
    impact: dict[str, Any] | None
    events_open: list[dict[str, Any]]
    events_recent: list[dict[str, Any]]
    status: dict[str, Any]
    arrivals: dict[str, Any]
    quarantine_reasons: list[tuple[str, int]]
    backtests: list[dict[str, Any]]


def country_name(code: str) -> str:
    """`Russian Federation` for RU; codes pycountry does not know (and "Other") as given."""
    if len(code) != 2:
        return code
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


def _components(store: Store, dimension: str) -> dict[str, Series]:
    """Monthly inflow series by country or by transfer system, by dimension value."""
    found: dict[str, Series] = {}
    for summary in store.list_series():
        spec = summary.spec
        if spec.frequency == "M" and spec.dimensions.get("direction") == "in":
            value = spec.dimensions.get(dimension)
            if value is not None and set(spec.dimensions) == {"direction", dimension}:
                found[value] = read_series(store, spec.key)
    return found


def _sum_over(series: Series, first: date, last: date) -> float:
    return float(series.since(first).until(last).values.sum())


def _stacked(parts: dict[str, Series], total: Series, first: date, last: date) -> dict[str, Series]:
    """The largest components over [first, last] by name, then "Other" = total − them."""
    ranked = sorted(parts, key=lambda name: -_sum_over(parts[name], first, last))
    window = total.since(first).until(last)
    stacked: dict[str, Series] = {}
    rest = window.values.copy()
    for name in ranked[:STACK_COMPONENTS]:
        part = parts[name].since(first).until(last)
        aligned = np.array([part.at(p.astype(object)) or 0.0 for p in window.periods])
        stacked[name] = Series(part.key, window.periods, aligned)
        rest = rest - aligned
    if len(parts) > STACK_COMPONENTS:
        stacked["Other"] = Series("other", window.periods, np.clip(rest, 0.0, None))
    return stacked


def _events_of(store: Store, key: str) -> list[tuple[date, str]]:
    return [
        (date.fromisoformat(str(event["period"])), str(event["severity"]))
        for event in store.shock_events(series_key=key, limit=1000)
    ]


def _fans(
    store: Store, settings: Settings, month: date, countries: dict[str, Series]
) -> list[FanPanel]:
    first = add_months(month, -HISTORY_MONTHS + 1)
    last_year = add_months(month, -11)
    top = sorted(countries, key=lambda code: -_sum_over(countries[code], last_year, month))
    panels = [(TOTAL_INFLOWS, "Total inflows")] + [
        (countries[code].key, f"Inflows from {country_name(code)}")
        for code in top[: settings.reports.top_countries]
    ]
    fans = []
    for key, label in panels:
        # What was forecast from the report month (or before): a past month's report shows
        # the fan of its day, not today's.
        forecast = store.latest_forecast(key, origin_until=month)
        points = list(forecast["points"]) if forecast else []
        actual = read_series(store, key).since(first)
        origin = date.fromisoformat(str(forecast["origin"])) if forecast else month
        fans.append(
            FanPanel(label, actual.until(max(month, origin)), points, _events_of(store, key))
        )
    return fans


def _fx_panel(label: str, rate: Series, first: date, last: date) -> FxPanel:
    vols = []
    for window in (30, 90):
        days, values = rolling_volatility(rate.periods, rate.values, window)
        vols.append(Series(f"vol{window}", days, values).since(first).until(last))
    return FxPanel(label, rate.since(first).until(last), vols[0], vols[1])


def _rub_per_usd(som_usd: Series, som_rub: Series) -> Series:
    days, usd_at, rub_at = np.intersect1d(som_usd.periods, som_rub.periods, return_indices=True)
    return Series("RUB per USD", days, som_usd.values[usd_at] / som_rub.values[rub_at])


def _quarantine_reasons(store: Store) -> list[tuple[str, int]]:
    rows = store.quarantined_rows(limit=QUARANTINE_SAMPLE)
    reasons = Counter(f"{row.column}: {row.reason}" if row.column else row.reason for row in rows)
    return reasons.most_common(10)


def default_month(store: Store) -> date:
    """The latest month with every day's inflows in the store."""
    month = latest_complete_month(read_series(store, TOTAL_INFLOWS_DAILY))
    if month is None:
        raise ReportError("the store holds no inflows yet: run `remitwatch ingest` first")
    return month


def gather(store: Store, settings: Settings, month: date) -> ReportData:
    """Read what the report of `month` (first day of the month) shows."""
    headline = compute_headline(store, settings, month)
    total = read_series(store, TOTAL_INFLOWS)
    countries = _components(store, "country")
    systems = _components(store, "system")
    first = add_months(month, -COMPOSITION_MONTHS + 1)
    som_usd = read_series(store, SOM_USD_DAILY)
    fx_first = add_months(month, -HISTORY_MONTHS + 1)
    fx_last = month_end(month)
    run = store.latest_model_run(VAR_KEY, ok_only=False)
    recent = store.shock_events(since=add_months(month, -11), limit=1000)
    return ReportData(
        month=month,
        headline=headline,
        fans=_fans(store, settings, month, countries),
        by_country={
            country_name(c): s for c, s in _stacked(countries, total, first, month).items()
        },
        by_system=_stacked(systems, total, first, month),
        seasonal=total.since(date(month.year - SEASONAL_YEARS, 1, 1)).until(month),
        fx=[
            _fx_panel("som per US dollar", som_usd, fx_first, fx_last),
            _fx_panel(
                "roubles per US dollar",
                _rub_per_usd(som_usd, read_series(store, SOM_RUB_DAILY)),
                fx_first,
                fx_last,
            ),
        ],
        impact=run.result if run is not None else None,
        events_open=store.shock_events(status="open", limit=1000),
        events_recent=[e for e in recent if str(e["period"]) <= month_end(month).isoformat()],
        status=store.status_figures(),
        arrivals=store.last_arrivals(),
        quarantine_reasons=_quarantine_reasons(store),
        backtests=store.latest_backtests(),
    )
