"""Volume/valuation decomposition of a monthly US-dollar remittance series, from the store.

The transfer totals of the two months are converted exactly as the stored series are
(`jobs.series_build.to_usd`: the official rate in force on each report date), so the
decomposition's month values equal the stored `remit....M` observations (to the cent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import polars as pl

from config import RemitwatchError
from jobs.series_build import series_code, to_usd
from models.decompose import GROUPS_SCHEMA, Decomposition, decompose
from service.store import Store

log = logging.getLogger(__name__)

KEY_FORMS = "remit.{in,out,net}.total.M, remit.in.country.CC.M or remit.in.system.CODE.M"


class DecomposeError(RemitwatchError):
    """A decomposition cannot be made (key, months or data); the message says what to do."""


@dataclass(frozen=True)
class SeriesSelection:
    """The transfer totals a remittance series key sums: directions with their signs, and
    at most one country (ISO code) or one system (its `series_code`)."""

    signs: dict[str, int]
    country: str | None = None
    system_code: str | None = None


def select_series(key: str) -> SeriesSelection:
    """The selection of a monthly remittance key; DecomposeError for any other key."""
    parts = key.split(".")
    if len(parts) < 4 or parts[0] != "remit":
        raise DecomposeError(
            f"{key!r} is not a remittance series: give one of {KEY_FORMS} "
            "(see `remitwatch series list`)"
        )
    if parts[-1] != "M":
        monthly = ".".join([*parts[:-1], "M"])
        raise DecomposeError(
            f"{key!r} is not monthly: the decomposition compares months, use {monthly!r}"
        )
    direction, dimension = parts[1], parts[2]
    signs = {"in": {"in": 1}, "out": {"out": 1}, "net": {"in": 1, "out": -1}}.get(direction)
    if signs is not None and dimension == "total" and len(parts) == 4:
        return SeriesSelection(signs)
    if direction == "in" and dimension in ("country", "system") and len(parts) == 5:
        code = parts[3]
        if dimension == "country":
            return SeriesSelection(signs={"in": 1}, country=code)
        return SeriesSelection(signs={"in": 1}, system_code=code)
    raise DecomposeError(f"{key!r} is not a known remittance series key: give one of {KEY_FORMS}")


def monthly_groups(ready: pl.DataFrame, selection: SeriesSelection) -> pl.DataFrame:
    """Converted transfer totals (`to_usd` output) summed per month × currency × country ×
    sign for the selected series: GROUPS_SCHEMA (amount in currency units, usd in USD)."""
    rows = ready.filter(pl.col("direction").is_in(list(selection.signs)))
    if selection.country is not None:
        rows = rows.filter(pl.col("country") == selection.country)
    if selection.system_code is not None:
        names = [n for n in rows["system"].unique() if series_code(n) == selection.system_code]
        rows = rows.filter(pl.col("system").is_in(names))
    signs = pl.col("direction").replace_strict(selection.signs, return_dtype=pl.Int8)
    return (
        rows.group_by(
            month=pl.col("report_date").dt.truncate("1mo"),
            currency=pl.col("currency"),
            country=pl.col("country"),
            sign=signs,
        )
        .agg(
            amount=pl.col("amount").cast(pl.Float64).sum(),
            usd=pl.col("amount_usd").sum(),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in GROUPS_SCHEMA.items())
        .sort("month", "currency", "country", "sign")
    )


def decompose_series(store: Store, key: str, from_month: date, to_month: date) -> Decomposition:
    """Split the change of the monthly USD series `key` from `from_month` to `to_month`
    (any day of each month) into volume and valuation parts, by currency and country."""
    selection = select_series(key)
    start, end = from_month.replace(day=1), to_month.replace(day=1)
    if start >= end:
        raise DecomposeError(
            f"--from {start:%Y-%m} must be a month before --to {end:%Y-%m}: "
            "give the earlier month first"
        )
    if store.find_series(key) is None:
        raise DecomposeError(
            f"unknown series {key!r}: see `remitwatch series list` for the keys that have data"
        )
    totals = store.transfer_totals().filter(
        pl.col("report_date").dt.truncate("1mo").is_in([start, end])
    )
    ready, waiting = to_usd(totals, store.current_rates())
    groups = monthly_groups(ready, selection)
    for month in (start, end):
        if groups.filter(pl.col("month") == month).is_empty():
            raise DecomposeError(
                f"{key} has no converted transfers in {month:%Y-%m}: ingest that month's "
                "transfer reports and the official rates for their dates, or choose another "
                "month (see `remitwatch series show " + key + "`)"
            )
    waiting_here = monthly_groups(waiting.with_columns(amount_usd=pl.lit(0.0)), selection)
    if waiting_here.height:
        log.warning(
            "%s: %d transfer groups in %s or %s wait for official rates and are left out, "
            "as in the stored series",
            key,
            waiting_here.height,
            f"{start:%Y-%m}",
            f"{end:%Y-%m}",
        )
    return decompose(key, start, end, groups)
