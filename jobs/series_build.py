"""Derive the US-dollar remittance series and the official-rate series from the raw layer.

Pure polars: frames in, frames out. The rate in force on a report date is the
latest one published on or before it; transfers with no rate yet wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from service.store import OBSERVATION_SCHEMA, SeriesSpec

FREQUENCIES: dict[str, str] = {"D": "1d", "W": "1w", "M": "1mo"}
_FREQUENCY_WORDS = {"D": "daily", "W": "weekly (ISO weeks, period = Monday)", "M": "monthly"}
_DIRECTION_WORDS = {"in": "inflows", "out": "outflows", "net": "net inflows (in - out)"}


@dataclass(frozen=True)
class DerivedSeries:
    specs: list[SeriesSpec]
    observations: pl.DataFrame  # OBSERVATION_SCHEMA
    waiting_rows: int  # transfer totals with no official rate yet
    waiting_first_date: date | None


def series_code(name: str) -> str:
    """A series key part from a system name: `Western Union` -> `WESTERN_UNION`."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "UNKNOWN"


def _period(column: str, frequency: str) -> pl.Expr:
    return pl.col(column).dt.truncate(FREQUENCIES[frequency]).alias("period")


def to_usd(totals: pl.DataFrame, rates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split transfer totals into (converted with `amount_usd`, waiting for a rate)."""
    usd_rates = rates.filter(pl.col("currency") == "USD").select(
        "rate_date", usd_som=pl.col("som_per_unit")
    )
    keyed = totals.with_row_index("_row").sort("report_date")
    with_usd = keyed.join_asof(
        usd_rates.sort("rate_date"),
        left_on="report_date",
        right_on="rate_date",
        strategy="backward",
    ).drop("rate_date")
    with_ccy = (
        with_usd.sort("report_date")
        .join_asof(
            rates.sort("rate_date"),
            left_on="report_date",
            right_on="rate_date",
            by="currency",
            strategy="backward",
            check_sortedness=False,  # sorted above; polars cannot check it per `by` group
        )
        .drop("rate_date")
    )
    ccy_som = (
        pl.when(pl.col("currency") == "KGS").then(pl.lit(1.0)).otherwise(pl.col("som_per_unit"))
    )
    factor = (
        pl.when(pl.col("currency") == "USD")
        .then(pl.lit(1.0))
        .otherwise(ccy_som / pl.col("usd_som"))
    )
    converted = with_ccy.with_columns(amount_usd=pl.col("amount").cast(pl.Float64) * factor)
    ready = converted.filter(pl.col("amount_usd").is_not_null())
    waiting = converted.filter(pl.col("amount_usd").is_null()).drop("amount_usd")
    return ready.drop("_row", "usd_som", "som_per_unit"), waiting.drop("_row")


def _remittance_spec(key: str, frequency: str, direction: str, dims: dict[str, str]) -> SeriesSpec:
    what = _DIRECTION_WORDS[direction]
    scope = ", ".join(f"{k} {v}" for k, v in dims.items() if k not in ("direction",)) or "total"
    return SeriesSpec(
        key=key,
        kind="remittance",
        frequency=frequency,
        unit="USD",
        dimensions={"direction": direction, **dims},
        description=f"{_FREQUENCY_WORDS[frequency].capitalize()} remittance {what}, {scope}, "
        "in US dollars at the official rate of the report date",
    )


def _remittance_series(ready: pl.DataFrame) -> tuple[list[SeriesSpec], list[pl.DataFrame]]:
    specs: list[SeriesSpec] = []
    frames: list[pl.DataFrame] = []
    for frequency in FREQUENCIES:
        dated = ready.with_columns(_period("report_date", frequency))
        by_direction = dated.group_by("period", "direction").agg(pl.col("amount_usd").sum())
        wide = by_direction.pivot(on="direction", index="period", values="amount_usd")
        for direction in ("in", "out"):
            if direction not in wide.columns:
                wide = wide.with_columns(pl.lit(0.0).alias(direction))
        wide = wide.with_columns(pl.col("in", "out").fill_null(0.0))
        totals = wide.with_columns(net=pl.col("in") - pl.col("out"))
        present = set(dated["direction"].unique().to_list())
        for direction in ("in", "out", "net"):
            if direction != "net" and direction not in present:
                continue
            key = f"remit.{direction}.total.{frequency}"
            specs.append(_remittance_spec(key, frequency, direction, {}))
            frames.append(
                totals.select(pl.lit(key).alias("key"), "period", pl.col(direction).alias("value"))
            )
        inflows = dated.filter(pl.col("direction") == "in")
        for dimension, column in (("country", "country"), ("system", "system")):
            grouped = inflows.group_by("period", column).agg(pl.col("amount_usd").sum())
            for name in sorted(grouped[column].unique().to_list()):
                code = name if dimension == "country" else series_code(name)
                key = f"remit.in.{dimension}.{code}.{frequency}"
                specs.append(_remittance_spec(key, frequency, "in", {dimension: name}))
                frames.append(
                    grouped.filter(pl.col(column) == name).select(
                        pl.lit(key).alias("key"), "period", pl.col("amount_usd").alias("value")
                    )
                )
    return specs, frames


def _fx_series(
    rates: pl.DataFrame, currencies: tuple[str, ...]
) -> tuple[list[SeriesSpec], list[pl.DataFrame]]:
    specs: list[SeriesSpec] = []
    frames: list[pl.DataFrame] = []
    for currency in currencies:
        published = rates.filter(pl.col("currency") == currency).sort("rate_date")
        if published.is_empty():
            continue
        first, last = published["rate_date"].min(), published["rate_date"].max()
        assert isinstance(first, date) and isinstance(last, date)
        days = pl.DataFrame({"period": pl.date_range(first, last, timedelta(days=1), eager=True)})
        daily = days.join_asof(
            published.select("rate_date", "som_per_unit"),
            left_on="period",
            right_on="rate_date",
            strategy="backward",
        ).select("period", value=pl.col("som_per_unit"))
        monthly = daily.group_by(_period("period", "M")).agg(pl.col("value").mean())
        for frequency, frame, words in (
            ("D", daily, "Official NBKR rate in force on each calendar day"),
            ("M", monthly, "Monthly average of the official NBKR rate in force each day"),
        ):
            key = f"fx.{currency}.{frequency}"
            specs.append(
                SeriesSpec(
                    key=key,
                    kind="fx",
                    frequency=frequency,
                    unit=f"KGS per {currency}",
                    dimensions={"currency": currency},
                    description=f"{words}, som per one {currency}",
                )
            )
            frames.append(frame.select(pl.lit(key).alias("key"), "period", "value"))
    return specs, frames


def derive_series(
    totals: pl.DataFrame, rates: pl.DataFrame, fx_currencies: tuple[str, ...]
) -> DerivedSeries:
    """All derived series from transfer totals (TRANSFER_TOTALS_SCHEMA) and rates (RATES_SCHEMA)."""
    ready, waiting = to_usd(totals, rates)
    remit_specs, remit_frames = _remittance_series(ready)
    fx_specs, fx_frames = _fx_series(rates, fx_currencies)
    frames = [
        frame.select(
            pl.col("key").cast(pl.String),
            pl.col("period").cast(pl.Date),
            pl.col("value").cast(pl.Float64),
        )
        for frame in remit_frames + fx_frames
    ]
    observations = (
        pl.concat(frames) if frames else pl.DataFrame(schema=OBSERVATION_SCHEMA)
    ).with_columns(
        pl.when(pl.col("key").str.starts_with("fx."))
        .then(pl.col("value").round(6))
        .otherwise(pl.col("value").round(2))
    )
    first_waiting = waiting["report_date"].min() if waiting.height else None
    assert first_waiting is None or isinstance(first_waiting, date)
    return DerivedSeries(remit_specs + fx_specs, observations, waiting.height, first_waiting)
