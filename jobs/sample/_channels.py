"""The sample's reporting channels and how a month's USD total is shared among them.

A channel is one (bank, transfer system, counterparty country, direction, currency). Not
every bank carries every system, a small bank carries only a system's main corridors, and
each corridor settles in one or two currencies, so the table is sparse (~130 channels, not
10 × 6 × 10 × 2 × 4). Everything here is SYNTHETIC except where a comment names a figure.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from jobs.sample._targets import RU_INFLOW_SHARE

CHANNEL_COLUMNS: tuple[str, ...] = ("bank_code", "system", "country", "direction", "currency")
COUNTRIES: tuple[str, ...] = ("RU", "KZ", "US", "KR", "TR", "DE", "GB", "AE", "UZ", "CN")

#: Bank: (relative size, systems carried). Small banks carry fewer systems and corridors.
_BANKS: dict[str, tuple[float, tuple[str, ...]]] = {
    "BANK01": (0.22, ("ZOLOTAYA_KORONA", "UNISTREAM", "CONTACT", "WESTERN_UNION", "BANK_CARD")),
    "BANK02": (0.16, ("ZOLOTAYA_KORONA", "CONTACT", "BANK_CARD")),
    "BANK03": (0.14, ("ZOLOTAYA_KORONA", "UNISTREAM", "WESTERN_UNION", "MONEYGRAM")),
    "BANK04": (0.11, ("CONTACT", "BANK_CARD")),
    "BANK05": (0.09, ("ZOLOTAYA_KORONA", "MONEYGRAM")),
    "BANK06": (0.08, ("UNISTREAM", "WESTERN_UNION")),
    "BANK07": (0.07, ("ZOLOTAYA_KORONA",)),
    "BANK08": (0.06, ("BANK_CARD",)),
    "BANK09": (0.04, ("CONTACT",)),
    "BANK10": (0.03, ("WESTERN_UNION",)),
}
#: How many of a system's corridors (in the order below) a bank carries, by its rank.
_CORRIDORS_BY_RANK = (99, 99, 4, 2, 2, 2, 1, 1, 1, 1)
#: Banks that also report outgoing transfers, and in how many corridors of each system.
_OUTFLOW_CORRIDORS = {"BANK01": 99, "BANK02": 1}

#: System: its corridors, most important first.
_SYSTEM_COUNTRIES: dict[str, tuple[str, ...]] = {
    "ZOLOTAYA_KORONA": ("RU", "KZ", "UZ", "TR"),
    "UNISTREAM": ("RU", "KZ", "KR", "UZ"),
    "CONTACT": ("RU", "KZ", "TR", "DE"),
    "WESTERN_UNION": ("RU", "US", "KR", "TR", "DE", "GB", "AE", "KZ", "CN"),
    "MONEYGRAM": ("RU", "US", "KR", "GB", "AE", "DE"),
    "BANK_CARD": ("RU", "KZ", "CN", "UZ"),
}
#: System's weight in a corridor in 2014 and in 2026 (linear in between, and the same line
#: continued back through 2013): card transfers grow, the international systems shrink.
_SYSTEM_WEIGHT: dict[str, tuple[float, float]] = {
    "ZOLOTAYA_KORONA": (0.36, 0.36),
    "UNISTREAM": (0.18, 0.08),
    "CONTACT": (0.24, 0.12),
    "WESTERN_UNION": (0.12, 0.05),
    "MONEYGRAM": (0.06, 0.02),
    "BANK_CARD": (0.0, 0.37),
}
_CARD_TRANSFERS_FROM = (2016, 7)
#: Western Union and MoneyGram suspended their Russian business in March 2022.
_CLOSED_FROM: dict[tuple[str, str], tuple[int, int]] = {
    ("WESTERN_UNION", "RU"): (2022, 3),
    ("MONEYGRAM", "RU"): (2022, 3),
}
#: About 70 % of inflows were in roubles in 2015 (Kabar, 26 June 2015).
_CURRENCIES_BY_COUNTRY: dict[str, dict[str, float]] = {
    "RU": {"RUB": 0.7, "USD": 0.3},
    "KZ": {"KZT": 0.6, "USD": 0.4},
    "DE": {"EUR": 1.0},
}
_CURRENCIES_BY_SYSTEM: dict[str, dict[str, dict[str, float]]] = {
    "WESTERN_UNION": {"RU": {"USD": 1.0}, "KZ": {"USD": 1.0}, "DE": {"EUR": 0.5, "USD": 0.5}},
    "MONEYGRAM": {"RU": {"USD": 1.0}, "DE": {"EUR": 0.5, "USD": 0.5}},
    "BANK_CARD": {"RU": {"RUB": 1.0}, "KZ": {"KZT": 1.0}},
}

#: Shares of countries in each direction; RU's inflow share is fixed (see _targets).
_COUNTRY_SHARE: dict[str, dict[str, float]] = {
    "in": {
        "RU": RU_INFLOW_SHARE,
        "KZ": 0.04,
        "US": 0.015,
        "KR": 0.013,
        "TR": 0.009,
        "DE": 0.006,
        "GB": 0.005,
        "AE": 0.005,
        "UZ": 0.004,
        "CN": 0.003,
    },
    "out": {
        "RU": 0.76,
        "TR": 0.07,
        "KZ": 0.05,
        "CN": 0.04,
        "UZ": 0.03,
        "AE": 0.015,
        "KR": 0.01,
        "US": 0.01,
        "DE": 0.008,
        "GB": 0.007,
    },
}
#: Year overrides. 2022: Jan–Aug outflow to Russia 572.24 of 608.92; 2023: Turkey took a
#: larger part (January 2023: 29.5 of 57.9); 2025: from South Korea 1 of 1367 in Jan–May.
_COUNTRY_SHARE_BY_YEAR: dict[tuple[str, int], dict[str, float]] = {
    ("out", 2022): {"RU": 0.92},
    ("out", 2023): {"RU": 0.7, "TR": 0.15},
    ("in", 2025): {"KR": 0.001, "US": 0.02},
    ("in", 2026): {"KR": 0.001, "US": 0.02},
}
#: Average transfer, USD, by counterparty country; systems scale it.
_TRANSFER_SIZE_USD = {
    "RU": 330.0,
    "KZ": 290.0,
    "US": 650.0,
    "KR": 600.0,
    "TR": 420.0,
    "DE": 520.0,
    "GB": 560.0,
    "AE": 600.0,
    "UZ": 240.0,
    "CN": 900.0,
}
_SYSTEM_SIZE = {
    "ZOLOTAYA_KORONA": 1.0,
    "UNISTREAM": 1.0,
    "CONTACT": 1.0,
    "WESTERN_UNION": 1.3,
    "MONEYGRAM": 1.3,
    "BANK_CARD": 0.75,
}
_CHANNEL_NOISE_SD = 0.12  # log sd of a channel's monthly share around its expected one
_COUNTRY_NOISE_SD = 0.08  # log sd of the monthly shares of the countries other than RU


def _currencies(system: str, country: str) -> dict[str, float]:
    by_system = _CURRENCIES_BY_SYSTEM.get(system, {})
    return by_system.get(country, _CURRENCIES_BY_COUNTRY.get(country, {"USD": 1.0}))


def channel_table() -> pl.DataFrame:
    """Every channel with its static weights: bank size and the currency's share."""
    records = []
    for rank, (bank, (size, systems)) in enumerate(_BANKS.items()):
        for system in systems:
            corridors = _SYSTEM_COUNTRIES[system]
            for position, country in enumerate(corridors[: _CORRIDORS_BY_RANK[rank]]):
                directions = (
                    ("in", "out") if position < _OUTFLOW_CORRIDORS.get(bank, 0) else ("in",)
                )
                for direction in directions:
                    for currency, share in _currencies(system, country).items():
                        records.append((bank, system, country, direction, currency, size, share))
    return pl.DataFrame(
        records,
        schema=[*CHANNEL_COLUMNS, "bank_size", "currency_share"],
        orient="row",
    )


def _country_shares(direction: str, year: int, rng: np.random.Generator) -> dict[str, float]:
    shares = dict(_COUNTRY_SHARE[direction])
    shares.update(_COUNTRY_SHARE_BY_YEAR.get((direction, year), {}))
    others = [c for c in COUNTRIES if c != "RU"]
    noisy = np.array([shares[c] for c in others]) * rng.lognormal(0, _COUNTRY_NOISE_SD, len(others))
    noisy *= (1.0 - shares["RU"]) / noisy.sum()
    return {"RU": shares["RU"], **dict(zip(others, noisy.tolist(), strict=True))}


def month_weights(
    channels: pl.DataFrame, year: int, month: int, rng: np.random.Generator
) -> np.ndarray:
    """Each channel's share of its direction's USD total in the month (sums to 1 per direction).

    Within a corridor the systems share by their weight of the year (closed systems get
    nothing), the banks by size, the currencies by their split; seeded noise on top.
    """
    progress = (year + (month - 1) / 12 - 2014) / 12
    system_weight = {s: w0 + (w1 - w0) * progress for s, (w0, w1) in _SYSTEM_WEIGHT.items()}
    system_weight["BANK_CARD"] *= (year, month) >= _CARD_TRANSFERS_FROM
    raw = np.array(
        [
            system_weight[system] * ((year, month) < _CLOSED_FROM.get((system, country), (9999, 1)))
            for system, country in channels.select("system", "country").iter_rows()
        ]
    )
    raw = raw * channels["bank_size"].to_numpy() * channels["currency_share"].to_numpy()
    raw = raw * rng.lognormal(0.0, _CHANNEL_NOISE_SD, len(raw))
    weights = np.zeros(len(raw))
    directions = channels["direction"].to_numpy()
    countries = channels["country"].to_numpy()
    for direction in ("in", "out"):
        for country, share in _country_shares(direction, year, rng).items():
            corridor = (directions == direction) & (countries == country)
            if raw[corridor].sum() <= 0:
                raise ValueError(f"no open channel for {direction} {country} in {year}-{month}")
            weights[corridor] = share * raw[corridor] / raw[corridor].sum()
    return weights


def transfer_size_usd(channels: pl.DataFrame, year: int) -> np.ndarray:
    """Average transfer per channel, USD; sizes drift up about 1 % a year."""
    drift = 1.01 ** (year - 2014)
    return np.array(
        [
            _TRANSFER_SIZE_USD[country] * _SYSTEM_SIZE[system] * drift
            for system, country in channels.select("system", "country").iter_rows()
        ]
    )
