"""SYNTHETIC daily official rates 2013-01-01 … 2021-07-02, anchored to known levels.

Each currency follows a log-linear path through dated anchors plus a seeded Brownian bridge
between them, so the anchors are hit exactly and two anchors on consecutive days make a jump
(the tenge devaluations, the som's fall on 19 March 2020). The anchors are rounded levels of
the time as generally known (NBKR, Bank of Russia and National Bank of Kazakhstan rates),
NOT read from a stored series; only these come from the shared reference data: USD 68.39
(27 Jan 2018), 68.2191 (15 Feb 2018), 73 → 85 and −22.14 % for the som (March 2020), 84.8
(26 Mar 2021).
EUR, RUB and KZT are built as cross rates on USD (units per USD), so a move of the som moves
all four together. The last anchor is the first day of the real history, so the synthetic
file joins it smoothly.

The sample started on 2014-01-01 until 2013 was added in front of it. The paths from
2014-01-01 on still draw from the original stream `(seed, 1)`, and 2013 (up to the
2014-01-01 anchors, which every table has) from its own stream `(seed, 1, 2013)`, so adding
2013 left every rate from 2014 on exactly as it was.

As in the real file every calendar day has a row. A new rate takes effect Tuesday to
Saturday (NBKR sets it on the working day before); Sunday, Monday and the day after a
holiday repeat the last rate.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import polars as pl

SYNTHETIC_START = date(2013, 1, 1)
#: Where the synthetic history started before 2013 was added; see the module docstring.
ORIGINAL_START = date(2014, 1, 1)
SYNTHETIC_END = date(2021, 7, 2)
RATE_CURRENCIES: tuple[str, ...] = ("EUR", "KZT", "RUB", "USD")

#: NBKR history CSV: `value` is som per `nominal` units of `currency` in force on `date`.
RATE_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "currency": pl.String(),
    "nominal": pl.Int64(),
    "value": pl.Float64(),
}

_Anchors = tuple[tuple[str, float], ...]

#: Som per USD.
_USD_ANCHORS: _Anchors = (
    ("2013-01-01", 47.4),
    ("2013-04-30", 47.3),
    ("2013-06-30", 48.3),
    ("2013-08-31", 48.8),
    ("2013-10-31", 48.6),
    ("2014-01-01", 49.25),
    ("2014-03-03", 53.8),
    ("2014-06-30", 52.0),
    ("2014-09-30", 53.5),
    ("2014-11-14", 55.2),
    ("2014-12-31", 58.9),
    ("2015-01-31", 61.5),
    ("2015-03-31", 62.0),
    ("2015-06-30", 61.8),
    ("2015-08-31", 67.5),
    ("2015-10-15", 69.5),
    ("2015-12-31", 75.9),
    ("2016-01-25", 76.5),
    ("2016-03-31", 71.0),
    ("2016-06-30", 67.8),
    ("2016-09-30", 68.6),
    ("2016-12-31", 69.2),
    ("2017-06-30", 68.6),
    ("2017-12-31", 69.85),
    ("2018-01-27", 68.39),
    ("2018-02-15", 68.2191),
    ("2018-06-30", 68.1),
    ("2018-12-31", 69.85),
    ("2019-06-30", 69.6),
    ("2019-12-31", 69.64),
    ("2020-03-01", 71.5),
    ("2020-03-12", 73.0),
    ("2020-03-18", 73.5),
    # The dollar went from 73 to 85 som within an hour; −22.14 % for the som since 1 January.
    ("2020-03-19", 84.9),
    ("2020-03-20", 85.06),
    ("2020-04-15", 82.0),
    ("2020-05-31", 75.8),
    ("2020-08-31", 77.6),
    ("2020-10-10", 80.0),
    ("2020-10-31", 82.0),
    ("2020-12-31", 82.65),
    ("2021-02-28", 84.3),
    ("2021-03-26", 84.8),
)

#: Units of the currency per USD (cross rates); som per unit = som per USD / this.
_CROSS_ANCHORS: dict[str, _Anchors] = {
    "RUB": (
        ("2013-01-01", 30.4),
        ("2013-03-31", 31.1),
        ("2013-06-30", 32.7),
        ("2013-09-30", 32.4),
        ("2013-11-30", 33.0),
        ("2014-01-01", 32.9),
        ("2014-03-03", 36.4),
        ("2014-06-30", 33.8),
        ("2014-09-30", 39.4),
        ("2014-11-10", 47.0),
        ("2014-12-16", 67.8),
        ("2014-12-31", 56.3),
        ("2015-01-30", 68.9),
        ("2015-03-31", 58.5),
        ("2015-05-15", 49.9),
        ("2015-08-24", 70.0),
        ("2015-12-31", 72.9),
        ("2016-01-21", 83.6),
        ("2016-03-31", 67.6),
        ("2016-06-30", 64.3),
        ("2016-12-31", 61.3),
        ("2017-06-30", 59.1),
        ("2017-12-31", 57.6),
        ("2018-03-31", 57.3),
        ("2018-06-30", 62.8),
        ("2018-10-31", 65.6),
        ("2018-12-31", 69.5),
        ("2019-06-30", 63.1),
        ("2019-12-31", 61.9),
        ("2020-02-28", 66.0),
        ("2020-03-19", 80.2),
        ("2020-04-30", 74.0),
        ("2020-06-30", 70.4),
        ("2020-10-31", 79.3),
        ("2020-12-31", 73.9),
        ("2021-03-31", 75.7),
    ),
    "KZT": (
        ("2013-01-01", 150.7),
        ("2013-06-30", 151.9),
        ("2013-10-31", 153.2),
        ("2014-01-01", 154.0),
        ("2014-02-10", 155.5),
        ("2014-02-12", 184.5),
        ("2014-12-31", 182.4),
        ("2015-08-19", 188.4),
        ("2015-08-21", 255.3),
        ("2015-12-31", 340.0),
        ("2016-01-21", 384.0),
        ("2016-06-30", 337.0),
        ("2016-12-31", 333.3),
        ("2017-12-31", 332.3),
        ("2018-06-30", 341.1),
        ("2018-12-31", 384.2),
        ("2019-12-31", 381.2),
        ("2020-03-19", 448.0),
        ("2020-06-30", 403.0),
        ("2020-12-31", 420.9),
    ),
    "EUR": (
        ("2013-01-01", 0.758),
        ("2013-03-31", 0.78),
        ("2013-05-08", 0.76),
        ("2013-06-30", 0.767),
        ("2013-09-30", 0.739),
        ("2013-11-30", 0.736),
        ("2014-01-01", 0.727),
        ("2014-05-08", 0.719),
        ("2014-12-31", 0.826),
        ("2015-03-13", 0.951),
        ("2015-12-31", 0.919),
        ("2016-12-31", 0.951),
        ("2017-12-31", 0.834),
        ("2018-12-31", 0.873),
        ("2019-12-31", 0.893),
        ("2020-03-19", 0.936),
        ("2020-12-31", 0.815),
    ),
}

#: Daily log volatility of the bridge between anchors.
_DAILY_VOL = {"USD": 0.0015, "RUB": 0.007, "KZT": 0.003, "EUR": 0.004}
#: 2013 was calmer: the som drifted, the tenge was managed, the rouble slid slowly.
_EARLY_DAILY_VOL = {"USD": 0.001, "RUB": 0.004, "KZT": 0.001, "EUR": 0.003}
_NO_RATE_SET_AFTER = frozenset({(1, 1), (1, 7), (2, 23), (3, 8), (3, 21), (5, 1), (5, 9), (8, 31)})
_RATES_STREAM = 1  # the rates draw from their own stream of the seed
_EARLY_STREAM = 2013  # 2013 draws from its own sub-stream (seed, _RATES_STREAM, 2013)


def _anchored_log_path(
    anchors: list[tuple[date, float]], days: int, vol: float, rng: np.random.Generator
) -> np.ndarray:
    """Log level on days 0 … days-1 after the first anchor: interpolation plus bridges."""
    positions = [(day - anchors[0][0]).days for day, _ in anchors]
    path = np.interp(np.arange(positions[-1] + 1), positions, np.log([v for _, v in anchors]))
    for first, last in pairwise(positions):
        length = last - first
        walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, vol, length))])
        path[first : last + 1] += walk - np.linspace(0.0, 1.0, length + 1) * walk[-1]
    return np.asarray(path[:days])


def _setting_days(days: list[date]) -> np.ndarray:
    """Index of the day whose rate is in force on each day (last Tue–Sat not after a holiday)."""
    sets = np.array(
        [
            i == 0
            or (
                day.weekday() in (1, 2, 3, 4, 5)
                and ((day - timedelta(days=1)).month, (day - timedelta(days=1)).day)
                not in _NO_RATE_SET_AFTER
            )
            for i, day in enumerate(days)
        ]
    )
    return np.asarray(np.maximum.accumulate(np.where(sets, np.arange(len(days)), 0)))


def synthetic_rates(seed: int, real_rates: pl.DataFrame) -> pl.DataFrame:
    """Synthetic rates SYNTHETIC_START … SYNTHETIC_END with `RATE_SCHEMA`, 4 decimals.

    `real_rates` supplies the joining values: its rates on the day after SYNTHETIC_END.
    """
    join_day = SYNTHETIC_END + timedelta(days=1)
    joining = dict(
        real_rates.filter(pl.col("date") == join_day)
        .select("currency", pl.col("value") / pl.col("nominal"))
        .iter_rows()
    )
    if set(joining) != set(RATE_CURRENCIES):
        raise ValueError(
            f"the real rates lack {set(RATE_CURRENCIES) - set(joining)} "
            f"on {join_day}, the day the synthetic history must join"
        )
    rng = np.random.default_rng([seed, _RATES_STREAM])
    early_rng = np.random.default_rng([seed, _RATES_STREAM, _EARLY_STREAM])
    days = [
        SYNTHETIC_START + timedelta(days=i)
        for i in range((SYNTHETIC_END - SYNTHETIC_START).days + 1)
    ]

    def log_path(table: _Anchors, last: float, currency: str) -> np.ndarray:
        """Log level on every day: 2013 from `early_rng`, 2014-01-01 on from `rng`."""
        points = [(date.fromisoformat(day), value) for day, value in table] + [(join_day, last)]
        split = [day for day, _ in points].index(ORIGINAL_START)
        early = _anchored_log_path(
            points[: split + 1],
            (ORIGINAL_START - SYNTHETIC_START).days,
            _EARLY_DAILY_VOL[currency],
            early_rng,
        )
        later = _anchored_log_path(
            points[split:], (SYNTHETIC_END - ORIGINAL_START).days + 1, _DAILY_VOL[currency], rng
        )
        return np.concatenate([early, later])

    som_per_usd = np.exp(log_path(_USD_ANCHORS, joining["USD"], "USD"))
    som_per_unit = {"USD": som_per_usd}
    for currency, table in _CROSS_ANCHORS.items():
        per_usd = np.exp(log_path(table, joining["USD"] / joining[currency], currency))
        som_per_unit[currency] = som_per_usd / per_usd
    in_force = _setting_days(days)
    return pl.DataFrame(
        {
            "date": np.repeat(np.array(days, dtype="datetime64[D]"), len(RATE_CURRENCIES)),
            "currency": list(RATE_CURRENCIES) * len(days),
            "nominal": np.ones(len(days) * len(RATE_CURRENCIES), dtype=np.int64),
            "value": np.round(
                np.column_stack([som_per_unit[c][in_force] for c in RATE_CURRENCIES]).ravel(), 4
            ),
        },
        schema=RATE_SCHEMA,
    )
