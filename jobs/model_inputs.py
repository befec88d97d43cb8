"""Read the series the models need from the store, as they were known at a moment."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import cast

import numpy as np
import polars as pl

from config import Settings
from models.series import DatedSeries, FloatArray, Frequency
from service.store import Store

TOTAL_INFLOWS = "remit.in.total.M"
_MONTHLY_COMPONENT = re.compile(r"^remit\.in\.(country|system)\.([A-Z0-9_]+)\.M$")


def frequency_of(key: str) -> Frequency:
    """The frequency letter that ends a series key (`remit.in.total.M` -> "M")."""
    letter = key.rsplit(".", 1)[-1]
    if letter not in ("D", "W", "M"):
        raise ValueError(f"series key {key!r} does not end in .D, .W or .M")
    return cast(Frequency, letter)


def load_series(store: Store, key: str, as_of: datetime | None = None) -> DatedSeries:
    """The series as known at `as_of` (now if None); empty when it is unknown."""
    frame = store.series_as_of(key, as_of)
    return DatedSeries.from_frame(key, frequency_of(key), frame.select("period", "value"))


def _period_end(period: np.datetime64, frequency: Frequency) -> np.datetime64:
    if frequency == "M":
        end: np.datetime64 = (period.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
        return end
    return period + np.timedelta64(6 if frequency == "W" else 0, "D")


def load_complete_series(store: Store, key: str, as_of: datetime | None = None) -> DatedSeries:
    """The series without a last period that the reports do not cover to its end yet.

    A month whose reports stop on the 22nd would look like a collapse of inflows; it is
    modelled once the reports reach its last day. Coverage is the last day with any
    report in `remit.in.total.D` (as known at `as_of`).
    """
    series = load_series(store, key, as_of)
    daily = store.series_as_of("remit.in.total.D", as_of)
    if not len(series) or daily.is_empty():
        return series
    last_day = daily["period"].max()
    assert isinstance(last_day, date)
    covered = np.datetime64(last_day, "D")
    keep = len(series)
    while keep and _period_end(series.periods[keep - 1], series.frequency) > covered:
        keep -= 1
    return series.head(keep)


def _last_year_total(series: DatedSeries) -> float:
    return float(np.sum(series.values[-12:])) if len(series) else 0.0


def modelled_series(store: Store, settings: Settings, as_of: datetime | None = None) -> list[str]:
    """The configured series plus the top countries and systems by inflows in the last year."""
    chosen = list(settings.models.series)
    ranked: dict[str, list[tuple[float, str]]] = {"country": [], "system": []}
    for summary in store.list_series():
        match = _MONTHLY_COMPONENT.match(summary.spec.key)
        if match is None:
            continue
        total = _last_year_total(load_series(store, summary.spec.key, as_of))
        ranked[match.group(1)].append((total, summary.spec.key))
    for dimension, top in (
        ("country", settings.models.top_countries),
        ("system", settings.models.top_systems),
    ):
        best = sorted(ranked[dimension], key=lambda item: (-item[0], item[1]))[:top]
        chosen.extend(key for _, key in best if key not in chosen)
    return chosen


def rub_change(store: Store, series: DatedSeries, as_of: datetime | None = None) -> FloatArray:
    """Monthly log change of roubles per US dollar, aligned on `series` (0 where unknown)."""
    usd = store.series_as_of("fx.USD.M", as_of).select("period", usd="value")
    rub = store.series_as_of("fx.RUB.M", as_of).select("period", rub="value")
    rates = (
        usd.join(rub, on="period")
        .sort("period")
        .with_columns(change=(pl.col("usd") / pl.col("rub")).log().diff().fill_null(0.0))
    )
    periods = pl.DataFrame({"period": series.periods.astype("datetime64[D]")}).with_columns(
        pl.col("period").cast(pl.Date)
    )
    aligned = periods.join(rates.select("period", "change"), on="period", how="left")
    values: FloatArray = aligned["change"].fill_null(0.0).to_numpy().astype(np.float64)
    return values
