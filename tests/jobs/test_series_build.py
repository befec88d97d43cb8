"""The derivation of USD series, checked against hand-computed closed-form values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from jobs.series_build import derive_series, series_code, to_usd
from service.store import RATES_SCHEMA, TRANSFER_TOTALS_SCHEMA


def _totals(*rows: tuple[str, str, str, str, str, str]) -> pl.DataFrame:
    """(report_date, system, country, direction, currency, amount)."""
    return pl.DataFrame(
        [(date.fromisoformat(d), s, c, dr, ccy, Decimal(a)) for d, s, c, dr, ccy, a in rows],
        schema=TRANSFER_TOTALS_SCHEMA,
        orient="row",
    )


def _rates(*rows: tuple[str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        [(date.fromisoformat(d), ccy, v) for d, ccy, v in rows], schema=RATES_SCHEMA, orient="row"
    )


RATES = _rates(
    ("2024-01-01", "USD", 89.0),
    ("2024-01-01", "RUB", 1.0),
    ("2024-01-04", "USD", 90.0),  # published for the 4th: in force from the 4th, never before
    ("2024-01-04", "RUB", 0.9),
    ("2024-01-01", "KZT", 0.2),
)


def _value(derived: pl.DataFrame, key: str, period: str) -> float:
    row = derived.filter((pl.col("key") == key) & (pl.col("period") == date.fromisoformat(period)))
    return float(row["value"].item())


def test_conversion_uses_the_rate_in_force_on_the_report_date() -> None:
    totals = _totals(
        ("2024-01-03", "SYS", "RU", "in", "RUB", "8900.00"),  # 8900 * 1.0 / 89
        ("2024-01-04", "SYS", "RU", "in", "RUB", "9000.00"),  # 9000 * 0.9 / 90
        ("2024-01-05", "SYS", "KZ", "in", "KZT", "45000.00"),  # 45000 * 0.2 / 90
        ("2024-01-05", "SYS", "US", "in", "USD", "10.50"),
        ("2024-01-05", "SYS", "RU", "in", "KGS", "900.00"),  # som: 900 / 90
    )
    ready, waiting = to_usd(totals, RATES)
    assert waiting.height == 0
    by_row = dict(
        zip(
            ready.select(pl.concat_str("report_date", "currency")).to_series().to_list(),
            ready["amount_usd"].to_list(),
            strict=True,
        )
    )
    assert by_row["2024-01-03RUB"] == pytest.approx(100.0)
    assert by_row["2024-01-04RUB"] == pytest.approx(90.0)
    assert by_row["2024-01-05KZT"] == pytest.approx(100.0)
    assert by_row["2024-01-05USD"] == pytest.approx(10.5)
    assert by_row["2024-01-05KGS"] == pytest.approx(10.0)


def test_transfers_before_any_rate_wait() -> None:
    totals = _totals(
        ("2023-12-31", "SYS", "RU", "in", "RUB", "100.00"),  # before the first rate
        ("2024-01-02", "SYS", "CN", "in", "CNY", "100.00"),  # currency never published
        ("2024-01-02", "SYS", "RU", "in", "RUB", "89.00"),
    )
    derived = derive_series(totals, RATES, ("USD",))
    assert derived.waiting_rows == 2
    assert derived.waiting_first_date == date(2023, 12, 31)
    assert _value(derived.observations, "remit.in.total.D", "2024-01-02") == 1.0


def test_daily_weekly_monthly_sums_and_net() -> None:
    totals = _totals(
        ("2024-01-01", "Western Union", "RU", "in", "USD", "100.00"),  # Monday
        ("2024-01-07", "Western Union", "KZ", "in", "USD", "50.00"),  # Sunday, same ISO week
        ("2024-01-08", "Contact", "RU", "in", "USD", "25.00"),  # next Monday
        ("2024-01-08", "Contact", "RU", "out", "USD", "5.00"),
        ("2024-02-01", "Contact", "RU", "in", "USD", "1.00"),
    )
    obs = derive_series(totals, RATES, ("USD",)).observations
    assert _value(obs, "remit.in.total.W", "2024-01-01") == 150.0
    assert _value(obs, "remit.in.total.W", "2024-01-08") == 25.0
    assert _value(obs, "remit.in.total.M", "2024-01-01") == 175.0
    assert _value(obs, "remit.out.total.M", "2024-01-01") == 5.0
    assert _value(obs, "remit.net.total.M", "2024-01-01") == 170.0
    assert _value(obs, "remit.net.total.D", "2024-01-01") == 100.0  # no outflow that day
    assert _value(obs, "remit.in.country.RU.M", "2024-01-01") == 125.0
    assert _value(obs, "remit.in.system.WESTERN_UNION.M", "2024-01-01") == 150.0
    assert obs.filter(pl.col("key") == "remit.in.total.M").height == 2


def test_fx_series_carry_the_rate_forward_and_average_the_month() -> None:
    obs = derive_series(_totals(), RATES, ("USD", "RUB")).observations
    usd_daily = obs.filter(pl.col("key") == "fx.USD.D").sort("period")
    assert usd_daily["period"].to_list() == [date(2024, 1, d) for d in range(1, 5)]
    assert usd_daily["value"].to_list() == [89.0, 89.0, 89.0, 90.0]
    assert _value(obs, "fx.USD.M", "2024-01-01") == pytest.approx((89 * 3 + 90) / 4)
    assert obs.filter(pl.col("key").str.starts_with("fx.KZT")).height == 0  # not configured


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Western Union", "WESTERN_UNION"),
        ("zolotaya-korona", "ZOLOTAYA_KORONA"),
        ("***", "UNKNOWN"),
    ],
)
def test_series_codes(name: str, code: str) -> None:
    assert series_code(name) == code
