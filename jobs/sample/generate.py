"""Seeded generator of the bundled sample data in `jobs/sample/data/`.

It writes, for a fixed seed always the same:

* `rates_synthetic_2013-01-01_2021-07-02.csv`: SYNTHETIC daily NBKR-style official rates
  (`date,currency,nominal,value`, som per unit, every calendar day) for USD, EUR, RUB and KZT,
  anchored to known levels and joining the real history smoothly on 2021-07-03;
* `transfers_YYYY.parquet`: SYNTHETIC daily bank transfer reports 2013-01-01 … 2026-08-22
  whose monthly USD inflow totals follow the real published figures (see `_targets.py`);
* a copy of the REAL rates `nbkr_rates_2021-07-03_2026-08-22.csv` when writing elsewhere than
  the package folder (the committed copy is the source; this module never changes it).

`write_bench_csv` writes large transfer CSVs for benchmarks, streaming in chunks.

    python -m jobs.sample.generate                        # rewrite jobs/sample/data/
    python -m jobs.sample.generate --out /tmp/sample      # write the sample elsewhere
    python -m jobs.sample.generate --bench-rows 5000000 --out /tmp/bench.csv
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from jobs.sample._channels import (
    CHANNEL_COLUMNS,
    channel_table,
    month_weights,
    transfer_size_usd,
)
from jobs.sample._rates import (
    RATE_CURRENCIES,
    RATE_SCHEMA,
    SYNTHETIC_END,
    SYNTHETIC_START,
    synthetic_rates,
)
from jobs.sample._targets import FIRST_YEAR, LAST_YEAR, monthly_targets
from service.store.records import TRANSFER_KEY, TRANSFER_SCHEMA

SAMPLE_DIR = Path(__file__).resolve().parent / "data"
REAL_RATES_FILE = "nbkr_rates_2021-07-03_2026-08-22.csv"
SYNTHETIC_RATES_FILE = f"rates_synthetic_{SYNTHETIC_START}_{SYNTHETIC_END}.csv"
SAMPLE_START = SYNTHETIC_START
SAMPLE_END = date(2026, 8, 22)
#: Only a number (it dates from when the sample started in 2014); changing it redraws all.
DEFAULT_SEED = 20140101


#: Relative daily activity Monday … Sunday: busiest on Friday, quiet on Sunday.
_WEEKDAY_ACTIVITY = np.array([1.04, 1.02, 1.0, 1.0, 1.08, 0.97, 0.62])
#: (month, day) of public holidays on which transfer offices are quieter.
_HOLIDAYS = frozenset(
    {
        (1, 1),
        (1, 2),
        (1, 7),
        (2, 23),
        (3, 8),
        (3, 21),
        (5, 1),
        (5, 5),
        (5, 9),
        (8, 31),
        (11, 7),
        (11, 8),
    }
)
_HOLIDAY_ACTIVITY = 0.7
_DAY_NOISE_SD = 0.06  # log sd of the market-wide daily activity factor
_SIZE_NOISE_SD = 0.15  # log sd of a report's average transfer size around the channel's


def read_rates_csv(path: Path) -> pl.DataFrame:
    """Read an NBKR history CSV (`date,currency,nominal,value`) with `RATE_SCHEMA`."""
    return pl.read_csv(path, schema=RATE_SCHEMA)


def som_per_unit_daily(rates: pl.DataFrame, start: date, end: date) -> dict[str, np.ndarray]:
    """Som per unit of each of `RATE_CURRENCIES` in force on every day from start to end.

    The rate in force is the latest on or before the day (`join_asof`, backward).
    """
    days = pl.DataFrame({"day": pl.date_range(start, end, "1d", eager=True)})
    per_unit = rates.select(
        "currency", "date", (pl.col("value") / pl.col("nominal")).alias("som_per_unit")
    ).sort("date")
    result: dict[str, np.ndarray] = {}
    for currency in RATE_CURRENCIES:
        series = days.join_asof(
            per_unit.filter(pl.col("currency") == currency),
            left_on="day",
            right_on="date",
            strategy="backward",
        )["som_per_unit"]
        if series.null_count():
            raise ValueError(f"no {currency} rate in force on or before {start}")
        result[currency] = series.to_numpy()
    return result


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return [first + timedelta(days=offset) for offset in range((following - first).days)]


def _day_activity(days: list[date], rng: np.random.Generator) -> np.ndarray:
    """Share of the month's transfers made on each day (sums to 1)."""
    activity = _WEEKDAY_ACTIVITY[[day.weekday() for day in days]]
    activity = activity * np.where(
        [(d.month, d.day) in _HOLIDAYS for d in days], _HOLIDAY_ACTIVITY, 1.0
    )
    activity = activity * rng.lognormal(0.0, _DAY_NOISE_SD, len(days))
    return np.asarray(activity / activity.sum())


def generate_transfers(
    rates: pl.DataFrame,
    start: date = SAMPLE_START,
    end: date = SAMPLE_END,
    seed: int = DEFAULT_SEED,
) -> pl.DataFrame:
    """Daily transfer reports from `start` to `end` inclusive, with `TRANSFER_SCHEMA`.

    Each month's USD inflow (and outflow) equals its target from `monthly_targets`; it is
    split over the sparse channel table, then over the days by multinomial transfer counts.
    Amounts are converted from USD with `rates` in force on the day. Every month draws
    from its own generator seeded with (seed, year, month), so a month's rows do not depend
    on the range asked for (except the days cut off at either end).
    Raises ValueError for days outside 2013-01-01 … 2026-12-31, which have no targets.
    """
    if not date(FIRST_YEAR, 1, 1) <= start <= end <= date(LAST_YEAR, 12, 31):
        raise ValueError(
            f"transfers can be generated from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31, "
            f"not {start} … {end}"
        )
    channels = channel_table()
    targets = monthly_targets(seed)
    som = som_per_unit_daily(rates, start, end)
    currency_index = {currency: i for i, currency in enumerate(RATE_CURRENCIES)}
    channel_currency = np.array([currency_index[c] for c in channels["currency"]])
    som_matrix = np.stack([som[currency] for currency in RATE_CURRENCIES])
    pieces: dict[str, list[np.ndarray]] = {"day": [], "channel": [], "amount": [], "count": []}
    for year, month in _months(start, end):
        rng = np.random.default_rng([seed, year, month])
        target = targets.row(
            by_predicate=(pl.col("year") == year) & (pl.col("month") == month), named=True
        )
        usd = (
            month_weights(channels, year, month, rng)
            * np.where(
                channels["direction"].to_numpy() == "in",
                target["inflow_usd_m"],
                target["outflow_usd_m"],
            )
            * 1e6
        )
        days = _month_days(year, month)
        transfers = np.where(
            usd > 0, np.maximum(1, np.rint(usd / transfer_size_usd(channels, year))), 0
        ).astype(np.int64)
        counts = rng.multinomial(transfers, _day_activity(days, rng))
        sizes = counts * rng.lognormal(0.0, _SIZE_NOISE_SD, counts.shape)
        size_sums = sizes.sum(axis=1, keepdims=True)
        day_usd = usd[:, None] * np.divide(
            sizes, size_sums, out=np.zeros_like(sizes), where=size_sums > 0
        )
        channel_ix, day_ix = np.nonzero(counts)
        offsets = np.array([(day - start).days for day in days])[day_ix]
        inside = (offsets >= 0) & (offsets <= (end - start).days)
        channel_ix, day_ix, offsets = channel_ix[inside], day_ix[inside], offsets[inside]
        # USD → currency units with the rates in force: amount × som/unit(cur) = USD × som/USD.
        factor = (
            som_matrix[currency_index["USD"], offsets]
            / som_matrix[channel_currency[channel_ix], offsets]
        )
        pieces["day"].append(offsets)
        pieces["channel"].append(channel_ix)
        pieces["amount"].append(np.rint(day_usd[channel_ix, day_ix] * factor * 100) / 100)
        pieces["count"].append(counts[channel_ix, day_ix])
    rows = (
        channels[CHANNEL_COLUMNS]
        .with_row_index("channel")
        .join(
            pl.DataFrame({name: np.concatenate(parts) for name, parts in pieces.items()}),
            on="channel",
            how="right",
        )
    )
    return rows.select(
        (pl.lit(start) + pl.duration(days=pl.col("day"))).cast(pl.Date).alias("report_date"),
        *CHANNEL_COLUMNS,
        pl.col("amount").cast(TRANSFER_SCHEMA["amount"]),
        pl.col("count").cast(pl.Int64),
    ).sort(TRANSFER_KEY)


def write_sample(out_dir: Path = SAMPLE_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the whole sample into `out_dir`; returns the files written, in order.

    The real rates are read from the committed copy in the package folder.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    real_rates_path = out_dir / REAL_RATES_FILE
    if real_rates_path.resolve() != (SAMPLE_DIR / REAL_RATES_FILE).resolve():
        shutil.copyfile(SAMPLE_DIR / REAL_RATES_FILE, real_rates_path)
    synthetic = synthetic_rates(seed, read_rates_csv(real_rates_path))
    synthetic_path = out_dir / SYNTHETIC_RATES_FILE
    synthetic.write_csv(synthetic_path, float_precision=4, date_format="%Y-%m-%d")
    rates = pl.concat([synthetic, read_rates_csv(real_rates_path)])
    transfers = generate_transfers(rates, SAMPLE_START, SAMPLE_END, seed)
    written = [real_rates_path, synthetic_path]
    for (year,), rows in transfers.group_by(pl.col("report_date").dt.year(), maintain_order=True):
        path = out_dir / f"transfers_{year}.parquet"
        rows.write_parquet(path, compression="zstd", compression_level=19, statistics=True)
        written.append(path)
    return written


#: Bench CSV key space per day: 10 banks × 6 systems × 10 countries × 2 directions × 4
#: currencies. Row i is day i // len(key space), key i % len(key space): always unique.
_BENCH_BANKS = tuple(f"BANK{n:02d}" for n in range(1, 11))
_BENCH_SYSTEMS = (
    "ZOLOTAYA_KORONA",
    "UNISTREAM",
    "CONTACT",
    "WESTERN_UNION",
    "MONEYGRAM",
    "BANK_CARD",
)
_BENCH_COUNTRIES = ("RU", "KZ", "US", "KR", "TR", "DE", "GB", "AE", "UZ", "CN")
_BENCH_DIRECTIONS = ("in", "out")
_BENCH_CHUNK_ROWS = 500_000
#: The bench CSV's first day. It stayed at 2014-01-01 when the sample moved to 2013, so
#: benchmark files (cached by row count in bench/) keep their contents.
_BENCH_START = date(2014, 1, 1)
#: Rough units per USD of `RATE_CURRENCIES` (EUR, KZT, RUB, USD), so amounts look plausible.
_BENCH_UNITS_PER_USD = np.array([0.9, 450.0, 80.0, 1.0])


def write_bench_csv(path: Path, rows: int, seed: int = DEFAULT_SEED) -> None:
    """Write `rows` transfer rows as CSV (header included) for benchmarks.

    Columns are those of `TRANSFER_SCHEMA`, amounts with 2 decimals; keys are unique (all
    4,800 keys of a day, then the next day, from 2014-01-01 on: 5,000,000 rows reach
    2016-11-07). Written in chunks of 500,000 rows, so memory stays bounded whatever `rows`
    is. The figures are random, not shaped like the sample.
    """
    labels = [_BENCH_BANKS, _BENCH_SYSTEMS, _BENCH_COUNTRIES, _BENCH_DIRECTIONS, RATE_CURRENCIES]
    per_day = int(np.prod([len(values) for values in labels]))
    epoch_start = (_BENCH_START - date(1970, 1, 1)).days
    with path.open("wb") as sink:
        # At least one (maybe empty) chunk, so even 0 rows writes the header.
        for chunk, first in enumerate(range(0, max(rows, 1), _BENCH_CHUNK_ROWS)):
            rng = np.random.default_rng([seed, chunk])
            index = np.arange(first, min(rows, first + _BENCH_CHUNK_ROWS), dtype=np.int64)
            day, key = np.divmod(index, per_day)
            columns: dict[str, pl.Series] = {
                "report_date": pl.Series(day + epoch_start).cast(pl.Int32).cast(pl.Date)
            }
            for name, values in zip(TRANSFER_KEY[1:], labels, strict=True):
                key, position = np.divmod(key, len(values))
                columns[name] = pl.Series(values).gather(pl.Series(position))
            # `position` is now the currency's: ~40 transfers of ~350 USD each.
            count = rng.poisson(40.0, len(index)).astype(np.int64)
            usd_cents = count * rng.lognormal(np.log(35_000.0), 0.6, len(index))
            cents = np.rint(usd_cents * _BENCH_UNITS_PER_USD[position])
            columns["amount"] = pl.Series(cents / 100)
            columns["count"] = pl.Series(count)
            pl.DataFrame(columns).write_csv(
                sink, include_header=chunk == 0, float_precision=2, float_scientific=False
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.sample.generate",
        description="Write the bundled sample (synthetic rates 2013-2021, the real rates "
        "copy, daily transfer reports 2013-2026 as yearly Parquet) or a large benchmark CSV.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"sample folder (default {SAMPLE_DIR}); with --bench-rows, the CSV file to write",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED}, the committed sample)",
    )
    parser.add_argument(
        "--bench-rows",
        type=int,
        default=None,
        metavar="N",
        help="write N transfer rows of benchmark CSV to --out instead",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.bench_rows is not None:
        if args.out is None or args.bench_rows < 0:
            parser.error("--bench-rows needs a non-negative N and --out FILE.csv")
        write_bench_csv(args.out, args.bench_rows, args.seed)
        print(f"{args.out}: {args.bench_rows:,} rows, {args.out.stat().st_size:,} bytes")
    else:
        for path in write_sample(args.out or SAMPLE_DIR, args.seed):
            print(f"{path}: {path.stat().st_size:,} bytes")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
