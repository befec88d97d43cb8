"""The bundled sample: the generator is deterministic, the committed files are what it writes,
they have the transfer schema, and their monthly USD inflows follow the real figures."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jobs.ingest_sample import sample_files
from jobs.sample import generate
from jobs.sample._rates import synthetic_rates
from jobs.sample.generate import (
    DEFAULT_SEED,
    REAL_RATES_FILE,
    SAMPLE_DIR,
    SAMPLE_START,
    SYNTHETIC_RATES_FILE,
    generate_transfers,
    read_rates_csv,
    write_bench_csv,
)
from service.store.records import TRANSFER_SCHEMA

#: sha256 of /work/shared/data/nbkr_rates_daily.csv (kg-dashboard commit 3cf9dd3…), which the
#: committed copy must equal byte for byte; the README records the same digest.
REAL_RATES_SHA256 = "934a17ca6d52af321b05519b06cb8f91d54723e7cff1cdcf6ec1795061d7f2b9"

EXPECTED_SCHEMA = pl.Schema(TRANSFER_SCHEMA)  # what the store accepts
KEY = ["report_date", "bank_code", "system", "country", "direction", "currency"]
TRANSFER_FILES = sorted(SAMPLE_DIR.glob("transfers_*.parquet"))


@pytest.fixture(scope="module")
def rates() -> pl.DataFrame:
    """The committed rates, synthetic then real."""
    return pl.concat(
        [
            read_rates_csv(SAMPLE_DIR / SYNTHETIC_RATES_FILE),
            read_rates_csv(SAMPLE_DIR / REAL_RATES_FILE),
        ]
    )


@pytest.fixture(scope="module")
def transfers() -> pl.DataFrame:
    return pl.concat([pl.read_parquet(path) for path in TRANSFER_FILES])


@pytest.fixture(scope="module")
def monthly_usd_m(transfers: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """USD millions by (year, month, direction, country), with the rate in force on the day."""
    per_unit = rates.select(
        "date", "currency", (pl.col("value") / pl.col("nominal")).alias("som_per_unit")
    ).sort("date")
    som_per_usd = per_unit.filter(pl.col("currency") == "USD").select(
        "date", pl.col("som_per_unit").alias("som_per_usd")
    )
    converted = (
        transfers.sort("report_date")
        .join_asof(
            per_unit,
            left_on="report_date",
            right_on="date",
            by="currency",
            strategy="backward",
            check_sortedness=False,
        )
        .join_asof(som_per_usd, left_on="report_date", right_on="date", strategy="backward")
    )
    return converted.group_by(
        pl.col("report_date").dt.year().alias("year"),
        pl.col("report_date").dt.month().alias("month"),
        "direction",
        "country",
    ).agg(
        (pl.col("amount").cast(pl.Float64) * pl.col("som_per_unit") / pl.col("som_per_usd"))
        .sum()
        .truediv(1e6)
        .alias("usd_m")
    )


def _usd_m(
    table: pl.DataFrame, year: int, months: range, direction: str = "in", country: str | None = None
) -> float:
    rows = table.filter(
        (pl.col("year") == year)
        & pl.col("month").is_in(list(months))
        & (pl.col("direction") == direction)
    )
    if country is not None:
        rows = rows.filter(pl.col("country") == country)
    return float(rows["usd_m"].sum())


# --- the generator ----------------------------------------------------------------------


def test_generator_is_deterministic(rates: pl.DataFrame) -> None:
    first = generate_transfers(rates, date(2020, 3, 25), date(2020, 4, 5), seed=7)
    again = generate_transfers(rates, date(2020, 3, 25), date(2020, 4, 5), seed=7)
    other = generate_transfers(rates, date(2020, 3, 25), date(2020, 4, 5), seed=8)
    assert first.height > 1000
    assert_frame_equal(first, again)
    assert not first.equals(other)
    assert first.schema == EXPECTED_SCHEMA


def test_committed_transfers_are_the_generator_output(rates: pl.DataFrame) -> None:
    # Each month draws from its own seeded stream, so one month regenerates on its own.
    regenerated = generate_transfers(rates, date(2020, 4, 1), date(2020, 4, 30), DEFAULT_SEED)
    committed = pl.read_parquet(SAMPLE_DIR / "transfers_2020.parquet").filter(
        pl.col("report_date").dt.month() == 4
    )
    assert_frame_equal(regenerated, committed)


def test_committed_synthetic_rates_are_the_generator_output() -> None:
    real = read_rates_csv(SAMPLE_DIR / REAL_RATES_FILE)
    first = synthetic_rates(DEFAULT_SEED, real)
    assert_frame_equal(first, synthetic_rates(DEFAULT_SEED, real))
    assert_frame_equal(first, read_rates_csv(SAMPLE_DIR / SYNTHETIC_RATES_FILE))


def test_help_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generate.main(["--help"])
    assert exit_info.value.code == 0
    assert "--bench-rows" in capsys.readouterr().out


# --- the committed files ----------------------------------------------------------------


def test_real_rates_copy_is_byte_identical() -> None:
    digest = hashlib.sha256((SAMPLE_DIR / REAL_RATES_FILE).read_bytes()).hexdigest()
    assert digest == REAL_RATES_SHA256
    assert REAL_RATES_SHA256 in (SAMPLE_DIR.parent / "README.md").read_text()


def test_rates_cover_every_day_and_join_smoothly(rates: pl.DataFrame) -> None:
    days = rates.group_by("date").agg(pl.col("currency").sort()).sort("date")
    calendar = pl.date_range(date(2013, 1, 1), date(2026, 8, 22), "1d", eager=True).to_list()
    # The real history has one gap (Saturday 2026-07-04): Friday's rate stays in force.
    assert days["date"].to_list() == [day for day in calendar if day != date(2026, 7, 4)]
    assert days["currency"].to_list() == [["EUR", "KZT", "RUB", "USD"]] * days.height
    wide = rates.pivot(on="currency", index="date", values="value").sort("date")
    around_join = wide.filter(pl.col("date").is_between(date(2021, 7, 2), date(2021, 7, 3)))
    for currency in ("USD", "EUR", "RUB", "KZT"):
        before, after = around_join[currency].to_list()
        assert abs(after / before - 1) < 0.03, currency

    def value(day: date, currency: str) -> float:
        return float(wide.filter(pl.col("date") == day)[currency].item())

    assert 47 < value(date(2013, 1, 1), "USD") < 48
    assert 48.5 < value(date(2013, 12, 31), "USD") < 50
    assert 1.5 < value(date(2013, 1, 1), "RUB") < 1.6
    assert 0.3 < value(date(2013, 1, 1), "KZT") < 0.33
    assert 60 < value(date(2013, 1, 1), "EUR") < 66
    # 2013 runs into 2014 without a jump (the collapse comes later, in 2014).
    for currency in ("USD", "EUR", "RUB", "KZT"):
        dec_31, jan_1 = value(date(2013, 12, 31), currency), value(date(2014, 1, 1), currency)
        assert abs(jan_1 / dec_31 - 1) < 0.01, currency
    assert 48 < value(date(2014, 1, 1), "USD") < 50
    assert 1.4 < value(date(2014, 1, 1), "RUB") < 1.6
    assert value(date(2015, 2, 1), "RUB") < 1.1
    assert 68 < value(date(2017, 6, 1), "USD") < 71
    # The som lost about 22 % against the dollar from 1 January to 20 March 2020.
    assert 1.18 < value(date(2020, 3, 20), "USD") / value(date(2020, 1, 1), "USD") < 1.26


@pytest.mark.parametrize("path", TRANSFER_FILES, ids=lambda path: path.name)
def test_transfer_file_schema_keys_and_signs(path: Path) -> None:
    frame = pl.read_parquet(path)
    assert frame.schema == EXPECTED_SCHEMA
    year = int(path.stem.removeprefix("transfers_"))
    assert frame["report_date"].dt.year().unique().to_list() == [year]
    assert frame.select(KEY).is_unique().all()
    assert frame.filter((pl.col("amount") < 0) | (pl.col("count") < 0)).is_empty()
    assert frame.null_count().sum_horizontal().item() == 0


def test_transfers_span_and_vocabulary(transfers: pl.DataFrame) -> None:
    assert [path.name for path in TRANSFER_FILES] == [
        f"transfers_{year}.parquet" for year in range(2013, 2027)
    ]
    assert transfers["report_date"].min() == date(2013, 1, 1)
    assert transfers["report_date"].max() == date(2026, 8, 22)
    assert 300_000 <= transfers.height <= 650_000
    assert transfers["bank_code"].n_unique() == 10
    assert set(transfers["system"]) == {
        "ZOLOTAYA_KORONA",
        "UNISTREAM",
        "CONTACT",
        "WESTERN_UNION",
        "MONEYGRAM",
        "BANK_CARD",
    }
    assert set(transfers["country"]) == {"RU", "KZ", "US", "KR", "TR", "DE", "GB", "AE", "UZ", "CN"}
    assert set(transfers["direction"]) == {"in", "out"}
    assert set(transfers["currency"]) == {"USD", "RUB", "KZT", "EUR"}


# --- the real figures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "months", "expected"),
    [
        (2017, range(3, 4), 191.0),
        (2017, range(4, 5), 170.7),
        (2019, range(4, 5), 200.1),
        (2020, range(1, 2), 148.5),
        (2020, range(2, 3), 161.1),
        (2020, range(3, 4), 144.0),
        (2020, range(4, 5), 76.3),
        (2020, range(5, 6), 165.3),
        (2020, range(6, 7), 277.9),
        (2024, range(5, 6), 253.0),
        (2025, range(5, 6), 299.0),
        (2025, range(1, 6), 1367.0),
        (2015, range(1, 13), 1600.0),
        (2017, range(1, 13), 2400.0),
        (2019, range(1, 13), 2406.85),
        (2020, range(1, 13), 2377.16),
        (2023, range(1, 13), 2700.0),
        (2024, range(1, 13), 3000.0),
    ],
)
def test_inflow_matches_real_figure(
    monthly_usd_m: pl.DataFrame, year: int, months: range, expected: float
) -> None:
    assert _usd_m(monthly_usd_m, year, months) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    ("year", "months", "country", "expected"),
    [
        (2013, range(1, 4), "RU", 411.0),
        (2014, range(1, 13), "RU", 2170.0),
        (2015, range(1, 4), "RU", 267.4),
        (2021, range(1, 12), "RU", 2450.0),
        (2022, range(1, 12), "RU", 2600.0),
    ],
)
def test_inflow_from_russia_matches_real_figure(
    monthly_usd_m: pl.DataFrame, year: int, months: range, country: str, expected: float
) -> None:
    assert _usd_m(monthly_usd_m, year, months, country=country) == pytest.approx(expected, rel=0.01)


def test_episodes(monthly_usd_m: pl.DataFrame) -> None:
    # The 2020 pandemic: April 2020 less than half of April 2019.
    assert _usd_m(monthly_usd_m, 2020, range(4, 5)) < 0.5 * _usd_m(monthly_usd_m, 2019, range(4, 5))
    # The rouble's collapse: Q1 2015 from Russia at least 25 % below Q1 2014 (real: −33 %).
    q1_2014 = _usd_m(monthly_usd_m, 2014, range(1, 4), country="RU")
    q1_2015 = _usd_m(monthly_usd_m, 2015, range(1, 4), country="RU")
    assert q1_2015 <= 0.75 * q1_2014
    # 2022 surge above 2021 from June on; 2023 decline; 2024 rebound.
    assert _usd_m(monthly_usd_m, 2022, range(6, 11)) > 1.15 * _usd_m(
        monthly_usd_m, 2021, range(6, 11)
    )
    year_total = {y: _usd_m(monthly_usd_m, y, range(1, 13)) for y in (2022, 2023, 2024)}
    assert year_total[2023] < year_total[2022] and year_total[2024] > year_total[2023]


def test_sample_starts_in_2013(
    rates: pl.DataFrame, transfers: pl.DataFrame, monthly_usd_m: pl.DataFrame
) -> None:
    # A seasonal model (period 12, seasonal differencing) burns in the first 13 months, so
    # starting in January 2013 leaves all of 2014 and 2015, the rouble's collapse, scored.
    assert date(2013, 1, 1) == SAMPLE_START
    assert rates["date"].min() == date(2013, 1, 1)
    assert transfers["report_date"].min() == date(2013, 1, 1)
    assert SYNTHETIC_RATES_FILE == "rates_synthetic_2013-01-01_2021-07-02.csv"
    # The ingest job orders rate files by their start date: the synthetic history first.
    rate_files, transfer_files = sample_files()
    assert [path.name for path in rate_files] == [SYNTHETIC_RATES_FILE, REAL_RATES_FILE]
    assert transfer_files[0].name == "transfers_2013.parquet"
    # Q1 2013 from Russia: $411m (NBKR data via Izvestia).
    q1_2013 = _usd_m(monthly_usd_m, 2013, range(1, 4), country="RU")
    assert q1_2013 == pytest.approx(411.0, rel=0.02)
    # 2013 has no shock; the collapse stands out against it. The rouble fell from
    # mid-December 2014, so December holds up and January 2015 takes the fall.
    dec_2013 = _usd_m(monthly_usd_m, 2013, range(12, 13))
    dec_2014 = _usd_m(monthly_usd_m, 2014, range(12, 13))
    jan_2014 = _usd_m(monthly_usd_m, 2014, range(1, 2))
    jan_2015 = _usd_m(monthly_usd_m, 2015, range(1, 2))
    assert 0.9 * dec_2013 < dec_2014 < dec_2013
    assert jan_2015 < 0.7 * jan_2014
    year_2013 = _usd_m(monthly_usd_m, 2013, range(1, 13))
    assert 0.95 < year_2013 / _usd_m(monthly_usd_m, 2014, range(1, 13)) < 1.05


def test_outflows(monthly_usd_m: pl.DataFrame) -> None:
    assert _usd_m(monthly_usd_m, 2023, range(1, 13), "out") == pytest.approx(561.0, rel=0.01)
    assert _usd_m(monthly_usd_m, 2017, range(4, 5), "out") == pytest.approx(32.1, rel=0.01)
    assert _usd_m(monthly_usd_m, 2022, range(9, 10), "out") > 170.0
    for year in range(2013, 2027):
        ratio = _usd_m(monthly_usd_m, year, range(1, 13), "out") / _usd_m(
            monthly_usd_m, year, range(1, 13)
        )
        assert 0.15 <= ratio <= 0.33, year


def test_russia_dominates_and_sundays_are_quiet(
    transfers: pl.DataFrame, monthly_usd_m: pl.DataFrame
) -> None:
    inflow = monthly_usd_m.filter(pl.col("direction") == "in")
    shares = (
        inflow.group_by("country")
        .agg(pl.col("usd_m").sum())
        .with_columns(pl.col("usd_m") / pl.col("usd_m").sum())
    )
    ranked = shares.sort("usd_m", descending=True)["country"].to_list()
    assert ranked[:2] == ["RU", "KZ"]
    assert 0.8 <= shares.filter(pl.col("country") == "RU")["usd_m"].item() <= 0.92
    by_weekday = (
        transfers.filter(pl.col("direction") == "in")
        .group_by(pl.col("report_date").dt.weekday().alias("weekday"))
        .agg(pl.col("count").sum())
        .sort("weekday")["count"]
        .to_list()
    )
    assert by_weekday[6] < 0.8 * min(by_weekday[:6])


def test_average_transfer_is_plausible(
    transfers: pl.DataFrame, monthly_usd_m: pl.DataFrame
) -> None:
    total_usd = float(monthly_usd_m["usd_m"].sum()) * 1e6
    assert 300 <= total_usd / int(transfers["count"].sum()) <= 500


# --- the benchmark CSV ------------------------------------------------------------------


def test_bench_csv_has_the_rows_and_unique_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "_BENCH_CHUNK_ROWS", 100)  # exercise the chunk seams
    path = tmp_path / "bench.csv"
    write_bench_csv(path, 12_345, seed=3)
    lines = path.read_text().splitlines()
    assert lines[0] == "report_date,bank_code,system,country,direction,currency,amount,count"
    assert len(lines) == 12_346
    amounts = [row["amount"] for row in csv.DictReader(lines)]
    assert all(re.fullmatch(r"\d+\.\d{2}", amount) for amount in amounts)
    frame = pl.read_csv(path, schema_overrides={"amount": pl.Decimal(20, 2)}, try_parse_dates=True)
    assert frame.schema == EXPECTED_SCHEMA
    assert frame.select(KEY).is_unique().all()
    assert frame.filter((pl.col("amount") < 0) | (pl.col("count") < 0)).is_empty()
    again = tmp_path / "again.csv"
    write_bench_csv(again, 12_345, seed=3)
    assert again.read_bytes() == path.read_bytes()
