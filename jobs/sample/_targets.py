"""Monthly USD targets of the sample's gross inflows and outflows, 2013-01 … 2026-12.

Real figures (from `remittance_figures.csv` and `remittances_annual.csv` of the shared
reference data, with their sources in `jobs/sample/README.md`) are matched exactly; months
without one are filled from the seasonal profile, shaped by the known episodes, with a little
seeded noise, and scaled so that the year (or the block of months) adds up to its figure.

Where a figure is only "from Russia" it is turned into a total with the sample's Russian
share of inflows, `RU_INFLOW_SHARE` (the sample's channels keep it exactly).

The sample started in 2014 until 2013 was added in front of it. The years from 2014 on
still draw their noise in sequence from the original stream `(seed, 2)`; 2013 draws from its
own stream `(seed, 2, 2013)`, so adding it left every later month exactly as it was.
"""

from __future__ import annotations

import numpy as np
import polars as pl

FIRST_YEAR, LAST_YEAR = 2013, 2026
#: The first year before 2013 was added; earlier years draw from their own streams.
ORIGINAL_FIRST_YEAR = 2014
RU_INFLOW_SHARE = 0.90

#: Monthly targets, USD millions, one row per month.
TARGET_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "month": pl.Int8(),
    "inflow_usd_m": pl.Float64(),
    "outflow_usd_m": pl.Float64(),
}

# 2019, the one year with five real months (April 200.1; January–March and May derived
# from the real 2020 months and their real changes on a year earlier) and a real total
# (2406.85); June–December (1476.05 in all) are filled to peak in late summer.
_PROFILE_2019 = (
    165.2,
    175.4,
    195.8,
    200.1,
    194.3,
    205.0,
    218.0,
    226.0,
    219.0,
    214.0,
    203.0,
    191.05,
)
SEASONAL_PROFILE = np.array(_PROFILE_2019) / sum(_PROFILE_2019)

_R = RU_INFLOW_SHARE
#: Annual gross inflow, USD m. Real: 2015 (~1.6bn), 2016 (>1.99bn), 2017 (~2.4bn), 2019,
#: 2020, 2023 (2.7bn), 2024 (~3bn); 2014 = 2170 from Russia / share; 2013 = 2014 / 0.99
#: (the World Bank's ~1 % fall in 2014); 2022 = 2023 + 380 (2023 was "12%, or $380 million
#: less"). 2018, 2021, 2025, 2026 are filled.
ANNUAL_INFLOW_USD_M: dict[int, float] = {
    2013: 2170 / _R / (1 - 0.01),
    2014: 2170 / _R,
    2015: 1600,
    2016: 1995,
    2017: 2400,
    2018: 2480,
    2019: 2406.85,
    2020: 2377.16,
    2021: 2960,
    2022: 3080,
    2023: 2700,
    2024: 3000,
    2025: 3450,
    2026: 3550,
}

#: Real sums of inflow over months (year, first month, last month) -> USD m.
INFLOW_BLOCKS: dict[tuple[int, int, int], float] = {
    (2013, 1, 3): 411 / _R,  # Q1 2013 from Russia 411, the Q1 record until 2017 (Izvestia)
    (2014, 1, 3): 267.4 / (1 - 0.33) / _R,  # Q1 2015 from Russia 267.4, −33 % y/y
    (2015, 1, 3): 267.4 / _R,
    (2016, 1, 3): 291 / _R,  # Q1 2016 from Russia, NBKR data
    (2017, 1, 2): 615.1 - 191 - 170.7,  # January–April 2017 was 615.1
    (2017, 3, 3): 191,
    (2017, 4, 4): 170.7,
    (2017, 5, 9): 1810 - 615.1,  # "more than $1.8 billion" in January–September 2017
    (2018, 1, 4): 700,  # "more than $700 million", +84.5 on January–April 2017
    (2019, 1, 1): 148.5 + 16.7,
    (2019, 2, 2): 161.1 + 14.3,
    (2019, 3, 3): 144 + 51.8,
    (2019, 4, 4): 200.1,
    (2019, 5, 5): 165.3 + 29,
    (2020, 1, 1): 148.5,
    (2020, 2, 2): 161.1,
    (2020, 3, 3): 144,
    (2020, 4, 4): 76.3,
    (2020, 5, 5): 165.3,
    (2020, 6, 6): 277.9,
    (2021, 1, 11): 2450 / _R,  # January–November 2021 from Russia "about 2.45 bn"
    (2022, 1, 11): 2600 / _R,  # January–November 2022 from Russia, a record 2.6 bn
    (2023, 1, 1): 146.7 / _R,  # January 2023 from Russia
    (2024, 1, 4): 1367 / 1.16 - 253,
    (2024, 5, 5): 253,  # January–May 2025 was +16 %
    (2025, 1, 4): 1367 - 299,
    (2025, 5, 5): 299,
}

#: Episodes: multipliers on the profile of months without a real figure (before scaling).
INFLOW_EPISODES: dict[tuple[int, int], float] = {
    (2014, 4): 0.88,
    (2014, 5): 0.95,
    (2014, 11): 0.97,
    (2014, 12): 0.95,  # the rouble fell from mid-December; transfers in USD fell from January
    (2015, 1): 0.8,  # January 2015 took the fall; Q1 2015 as a whole is a real figure
    (2015, 4): 0.92,
    (2015, 8): 0.95,
    (2015, 9): 0.93,
    (2016, 4): 0.82,
    (2016, 5): 0.88,
    (2016, 6): 0.92,  # recovery through 2016
    (2016, 10): 1.08,
    (2016, 11): 1.12,
    (2016, 12): 1.12,
    (2021, 1): 0.95,
    (2021, 2): 0.95,
    (2022, 3): 0.72,
    (2022, 4): 0.82,  # the rouble's crash of March 2022
    (2022, 6): 1.22,
    (2022, 7): 1.3,
    (2022, 8): 1.32,
    (2022, 9): 1.28,
    (2022, 10): 1.16,
    (2023, 2): 0.92,
    (2023, 3): 0.95,
}

#: Outflows where no real figure applies: this share of the month's inflow.
OUTFLOW_SHARE: dict[int, float] = {
    2013: 0.17,
    2014: 0.17,
    2015: 0.17,
    2016: 0.17,
    2017: 0.19,
    2018: 0.19,
    2019: 0.19,
    2020: 0.18,
    2021: 0.2,
    2022: 0.3,
    2023: 0.2,
    2024: 0.2,
    2025: 0.2,
    2026: 0.2,
}
ANNUAL_OUTFLOW_USD_M: dict[int, float] = {2023: 561}
OUTFLOW_BLOCKS: dict[tuple[int, int, int], float] = {
    (2017, 1, 3): 119.5 - 32.1,
    (2017, 4, 4): 32.1,
    (2022, 1, 8): 608.92,
    (2022, 9, 9): 172,  # "more than $170 million" in September 2022
    (2023, 1, 1): 57.9,
    (2023, 2, 8): 324.9 - 57.9,
}
_NOISE_SD = 0.04  # log sd of the seeded month noise on filled months
_TARGETS_STREAM = 2


def _shape_year(
    defaults: np.ndarray,
    blocks: dict[tuple[int, int], float],
    annual: float | None,
) -> np.ndarray:
    """Scale `defaults` (12 months) so each block and the free months meet their totals.

    Without an annual total, the free months keep their defaults.
    """
    values = defaults.astype(float)
    free = np.ones(12, dtype=bool)
    for (first, last), total in blocks.items():
        span = slice(first - 1, last)
        values[span] *= total / values[span].sum()
        free[span] = False
    if annual is not None and free.any():
        remaining = annual - values[~free].sum()
        if remaining <= 0:
            raise ValueError(f"blocks exceed the annual total {annual}")
        values[free] *= remaining / values[free].sum()
    return values


def _blocks_of(year: int, table: dict[tuple[int, int, int], float]) -> dict[tuple[int, int], float]:
    return {(first, last): total for (y, first, last), total in table.items() if y == year}


def monthly_targets(seed: int) -> pl.DataFrame:
    """Inflow and outflow targets (USD m) for every month 2013-01 … 2026-12, `TARGET_SCHEMA`."""
    original = np.random.default_rng([seed, _TARGETS_STREAM])
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    inflows, outflows = [], []
    for year in years:
        rng = (
            original
            if year >= ORIGINAL_FIRST_YEAR
            else np.random.default_rng([seed, _TARGETS_STREAM, year])
        )
        episodes = np.array([INFLOW_EPISODES.get((year, m), 1.0) for m in range(1, 13)])
        noise = rng.lognormal(0.0, _NOISE_SD, 12)
        inflow = _shape_year(
            SEASONAL_PROFILE * episodes * noise,
            _blocks_of(year, INFLOW_BLOCKS),
            ANNUAL_INFLOW_USD_M[year],
        )
        outflow = _shape_year(
            inflow * OUTFLOW_SHARE[year] * rng.lognormal(0.0, _NOISE_SD, 12),
            _blocks_of(year, OUTFLOW_BLOCKS),
            ANNUAL_OUTFLOW_USD_M.get(year),
        )
        inflows.append(inflow)
        outflows.append(outflow)
    return pl.DataFrame(
        {
            "year": np.repeat(np.array(years), 12),
            "month": np.tile(np.arange(1, 13), len(years)),
            "inflow_usd_m": np.concatenate(inflows),
            "outflow_usd_m": np.concatenate(outflows),
        },
        schema=TARGET_SCHEMA,
    )
