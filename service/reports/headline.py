"""The headline figures of a monthly report, computed from the store's current vintage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from config import Settings
from service.reports.errors import ReportError
from service.reports.series_frames import (
    SOM_USD_DAILY,
    TOTAL_INFLOWS,
    Series,
    add_months,
    month_end,
    read_series,
)
from service.store import Store


@dataclass(frozen=True)
class Headline:
    """Inflows in USD, their changes in %, the share of GDP in % and som per USD."""

    month: date
    inflows_usd: float
    previous_month_usd: float | None
    year_ago_usd: float | None
    mom_pct: float | None
    yoy_pct: float | None
    inflows_12m_usd: float | None
    gdp_year: int | None
    gdp_share_pct: float | None
    som_usd: float | None
    som_usd_date: date | None
    som_usd_change_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _change_pct(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return 100.0 * (now / before - 1.0)


def _last_on_or_before(daily: Series, day: date) -> tuple[float | None, date | None]:
    known = daily.until(day)
    if not len(known):
        return None, None
    return float(known.values[-1]), known.periods[-1].astype(object)


def _gdp_share(
    inflows: Series, month: date, gdp_usd: dict[int, float]
) -> tuple[float | None, int | None, float | None]:
    """Inflows of the 12 months to `month` and their % of the GDP of the latest configured
    year not after the month's year (or the earliest configured year)."""
    window = inflows.since(add_months(month, -11)).until(month)
    total = float(window.values.sum()) if len(window) == 12 else None
    if not gdp_usd or total is None:
        return total, None, None
    years = [year for year in gdp_usd if year <= month.year] or [min(gdp_usd)]
    year = max(years)
    return total, year, 100.0 * total / gdp_usd[year]


def compute_headline(store: Store, settings: Settings, month: date) -> Headline:
    """The headline of `month` (first day of the month), which must have inflows."""
    inflows = read_series(store, TOTAL_INFLOWS)
    value = inflows.at(month)
    if value is None:
        raise ReportError(
            f"no total inflows stored for {month:%Y-%m}: ingest that month or pick another"
        )
    previous = inflows.at(add_months(month, -1))
    year_ago = inflows.at(add_months(month, -12))
    total_12m, gdp_year, share = _gdp_share(inflows, month, settings.reports.gdp_usd)
    som = read_series(store, SOM_USD_DAILY)
    rate, rate_date = _last_on_or_before(som, month_end(month))
    rate_before, _ = _last_on_or_before(som, month_end(add_months(month, -1)))
    return Headline(
        month=month,
        inflows_usd=value,
        previous_month_usd=previous,
        year_ago_usd=year_ago,
        mom_pct=_change_pct(value, previous),
        yoy_pct=_change_pct(value, year_ago),
        inflows_12m_usd=total_12m,
        gdp_year=gdp_year,
        gdp_share_pct=share,
        som_usd=rate,
        som_usd_date=rate_date,
        som_usd_change_pct=_change_pct(rate, rate_before),
    )
