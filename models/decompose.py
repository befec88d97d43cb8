"""Split the change of a US-dollar remittance series between two months into volume and
valuation.

A group is one (currency, country, direction) cell. Its USD value in a month is
V = A × r̄, where A is the amount in the original currency and r̄ = V / A the month's
effective rate (USD per unit, amount-weighted over the report dates). Between the earlier
month (0) and the later month (1):

    volume    = (A1 − A0) × r̄0        the amounts moved, valued at the earlier rates
    valuation = A1 × (r̄1 − r̄0)        the same later amounts, revalued
    volume + valuation = V1 − V0      exactly, group by group

A group present only in the later month is all volume (+V1); one present only in the
earlier month is all volume (−V0). Each group enters with its `sign` (+1, or −1 for the
outflows of a net series), so a net series is inflows minus outflows part by part.

Pure: no I/O, no clock. Every amount out of here is in US dollars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import polars as pl

#: One row per month × currency × country × direction: the input of `decompose`.
#: month is the first day of the month; sign is +1 (counted as is) or −1 (subtracted, the
#: outflows of a net series); amount is in units of `currency`; usd is its US-dollar value.
GROUPS_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "currency": pl.String(),
    "country": pl.String(),
    "sign": pl.Int8(),
    "amount": pl.Float64(),
    "usd": pl.Float64(),
}

_GROUP_KEYS = ("currency", "country", "sign")


def _usd(value: float) -> float | None:
    """A JSON-ready US-dollar figure: rounded to the cent, no negative zero, NaN/inf as None."""
    return round(value, 2) + 0.0 if math.isfinite(value) else None


@dataclass(frozen=True)
class DecompositionPart:
    """One currency's share of the change, USD."""

    currency: str
    volume: float
    valuation: float
    change: float

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "volume": _usd(self.volume),
            "valuation": _usd(self.valuation),
            "change": _usd(self.change),
        }


@dataclass(frozen=True)
class CountryPart:
    """One counterparty country's share of the change, USD."""

    country: str
    volume: float
    valuation: float
    change: float

    def to_dict(self) -> dict[str, object]:
        return {
            "country": self.country,
            "volume": _usd(self.volume),
            "valuation": _usd(self.valuation),
            "change": _usd(self.change),
        }


@dataclass(frozen=True)
class Decomposition:
    """The change of `series` from `from_period` to `to_period` (first days of months), USD.

    volume + valuation == change == value_to − value_from (to floating-point rounding);
    the parts are ordered by the size of their change, largest first.
    """

    series: str
    from_period: date
    to_period: date
    value_from: float
    value_to: float
    change: float
    volume: float
    valuation: float
    by_currency: tuple[DecompositionPart, ...]
    by_country: tuple[CountryPart, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: months as 'YYYY-MM', US dollars rounded to the cent."""
        return {
            "series": self.series,
            "from": self.from_period.strftime("%Y-%m"),
            "to": self.to_period.strftime("%Y-%m"),
            "unit": "USD",
            "value_from": _usd(self.value_from),
            "value_to": _usd(self.value_to),
            "change": _usd(self.change),
            "volume": _usd(self.volume),
            "valuation": _usd(self.valuation),
            "by_currency": [part.to_dict() for part in self.by_currency],
            "by_country": [part.to_dict() for part in self.by_country],
        }


def _checked(groups: pl.DataFrame) -> pl.DataFrame:
    missing = [name for name in GROUPS_SCHEMA if name not in groups.columns]
    if missing:
        raise ValueError(f"groups lacks the columns {missing} (see GROUPS_SCHEMA)")
    typed = groups.select(pl.col(name).cast(dtype) for name, dtype in GROUPS_SCHEMA.items())
    with_nulls = [name for name in GROUPS_SCHEMA if typed[name].null_count()]
    if with_nulls:
        raise ValueError(f"groups has missing values in {with_nulls}")
    if not typed["sign"].is_in([1, -1]).all():
        raise ValueError("groups.sign must be +1 or -1")
    return typed


def _month_sums(groups: pl.DataFrame, month: date, suffix: str) -> pl.DataFrame:
    return (
        groups.filter(pl.col("month") == month)
        .group_by(_GROUP_KEYS)
        .agg(pl.col("amount").sum().alias(f"a{suffix}"), pl.col("usd").sum().alias(f"v{suffix}"))
    )


def group_parts(groups: pl.DataFrame, from_period: date, to_period: date) -> pl.DataFrame:
    """Per currency × country × sign: the signed USD values v0, v1 and the volume and
    valuation parts (USD, sign applied) of the change from `from_period` to `to_period`."""
    a0, a1, v0, v1 = (pl.col(name) for name in ("a0", "a1", "v0", "v1"))
    rate0 = v0 / a0
    # Written as V1 − A1·r̄0 (= A1·(r̄1 − r̄0) when A1 ≠ 0) so the parts always add up.
    volume = pl.when(a0 == 0).then(v1 - v0).otherwise((a1 - a0) * rate0)
    valuation = pl.when(a0 == 0).then(pl.lit(0.0)).otherwise(v1 - a1 * rate0)
    sign = pl.col("sign").cast(pl.Float64)
    return (
        _month_sums(groups, from_period, "0")
        .join(_month_sums(groups, to_period, "1"), on=_GROUP_KEYS, how="full", coalesce=True)
        .with_columns(pl.col("a0", "a1", "v0", "v1").fill_null(0.0))
        .with_columns(volume=volume, valuation=valuation)
        .select(
            *_GROUP_KEYS,
            v0=v0 * sign,
            v1=v1 * sign,
            volume=pl.col("volume") * sign,
            valuation=pl.col("valuation") * sign,
        )
    )


def _shares(parts: pl.DataFrame, by: str) -> list[tuple[str, float, float, float]]:
    summed = (
        parts.group_by(by)
        .agg(
            pl.col("volume").sum(),
            pl.col("valuation").sum(),
            change=(pl.col("v1") - pl.col("v0")).sum(),
        )
        # Largest change first; among equal changes, the larger offsetting parts first.
        .sort(
            [
                pl.col("change").abs(),
                pl.col("volume").abs() + pl.col("valuation").abs(),
                pl.col(by),
            ],
            descending=[True, True, False],
        )
    )
    return [
        (str(name), float(volume), float(valuation), float(change))
        for name, volume, valuation, change in summed.select(
            by, "volume", "valuation", "change"
        ).iter_rows()
    ]


def decompose(
    series: str, from_period: date, to_period: date, groups: pl.DataFrame
) -> Decomposition:
    """Decompose the change of `series` between the months of `from_period` and `to_period`.

    `groups` follows GROUPS_SCHEMA (other months are ignored; a month without rows counts
    as zero). Raises ValueError if `from_period` is not a month before `to_period` or if
    `groups` is malformed: the caller checks its data first.
    """
    start, end = from_period.replace(day=1), to_period.replace(day=1)
    if start >= end:
        raise ValueError(f"from_period {start} must be a month before to_period {end}")
    parts = group_parts(_checked(groups), start, end)
    value_from, value_to = float(parts["v0"].sum()), float(parts["v1"].sum())
    return Decomposition(
        series=series,
        from_period=start,
        to_period=end,
        value_from=value_from,
        value_to=value_to,
        change=value_to - value_from,
        volume=float(parts["volume"].sum()),
        valuation=float(parts["valuation"].sum()),
        by_currency=tuple(DecompositionPart(*share) for share in _shares(parts, "currency")),
        by_country=tuple(CountryPart(*share) for share in _shares(parts, "country")),
    )
