"""Validation of transfer rows: one quarantine reason per rule, duplicates, typing, speed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from jobs.errors import RejectedFileError
from jobs.validation import ROW_NUMBER_COLUMN, validate_transfers
from service.store.records import TRANSFER_COLUMNS, TRANSFER_SCHEMA

GOOD_ROW: dict[str, str] = {
    "report_date": "2026-05-01",
    "bank_code": "KICB",
    "system": "Zolotaya Korona",
    "country": "RU",
    "direction": "in",
    "currency": "RUB",
    "amount": "1500000.50",
    "count": "412",
}


def frame(*rows: dict[str, str | None]) -> pl.DataFrame:
    """Raw text rows under our names, numbered from 1 as a reader numbers them."""
    table = pl.DataFrame(
        [{column: row.get(column) for column in TRANSFER_COLUMNS} for row in rows],
        schema={column: pl.String() for column in TRANSFER_COLUMNS},
    )
    return table.with_row_index(ROW_NUMBER_COLUMN, offset=1)


def row(**changes: str | None) -> dict[str, str | None]:
    return {**GOOD_ROW, **changes}


@pytest.mark.parametrize(
    ("column", "text", "reason"),
    [
        ("report_date", "", "report_date is empty"),
        ("report_date", "01.05.2026", "report_date is not a valid YYYY-MM-DD date ('01.05.2026')"),
        ("report_date", "2026-02-30", "report_date is not a valid YYYY-MM-DD date ('2026-02-30')"),
        ("report_date", "2026-5-1", "report_date is not a valid YYYY-MM-DD date ('2026-5-1')"),
        ("bank_code", "  ", "bank_code is empty"),
        ("bank_code", None, "bank_code is empty"),
        ("system", "", "system is empty"),
        ("country", "", "country is empty"),
        ("country", "Russia", "country is not an ISO 3166-1 alpha-2 code ('Russia')"),
        ("country", "RUS", "country is not an ISO 3166-1 alpha-2 code ('RUS')"),
        ("country", "QQ", "country is not an ISO 3166-1 alpha-2 code ('QQ')"),
        ("direction", "inbound", "direction must be 'in' or 'out' ('inbound')"),
        ("direction", "", "direction is empty"),
        ("currency", "RUR", "currency is not an ISO 4217 code ('RUR')"),
        ("currency", "", "currency is empty"),
        ("amount", "", "amount is empty"),
        ("amount", "1 500,50", "amount is not a decimal number ('1 500,50')"),
        ("amount", "1e6", "amount is not a decimal number ('1e6')"),
        ("amount", "١٢", "amount is not a decimal number ('١٢')"),  # Arabic-Indic digits
        ("amount", "-5.00", "amount is negative (-5.00)"),
        ("amount", "5.001", "amount has more than 2 decimal places (5.001)"),
        (
            "amount",
            "12345678901234567",
            "amount is too large (12345678901234567; at most 16 digits before the point)",
        ),
        ("count", "", "count is empty"),
        ("count", "many", "count is not a number ('many')"),
        ("count", "3.5", "count must be a whole number (3.5)"),
        ("count", "-2", "count is negative (-2)"),
        (
            "count",
            "99999999999999999999",
            "count is too large (99999999999999999999; at most 18 digits)",
        ),
    ],
)
def test_each_rule_quarantines_with_a_precise_reason(
    column: str, text: str | None, reason: str
) -> None:
    other = row(bank_code="AYIL")  # a valid row beside it, with another key

    parsed = validate_transfers(frame(other, row(**{column: text})), "may.csv")

    assert parsed.rows.height == 1
    assert parsed.total_rows == 2
    [bad] = parsed.quarantined
    assert (bad.row_number, bad.column, bad.reason) == (2, column, reason)
    assert bad.raw == row(**{column: text})


def test_the_first_failing_column_in_schema_order_is_reported() -> None:
    bad_row = row(report_date="yesterday", country="XX", amount="-1", count="x")

    [bad] = validate_transfers(frame(bad_row), "may.csv").quarantined

    assert bad.column == "report_date"


def test_valid_rows_are_normalised_and_typed_as_the_store_expects() -> None:
    text = row(
        report_date=" 2026-05-01 ",
        bank_code=" KICB ",
        system=" Contact ",
        country=" kz",
        direction="OUT",
        currency="kzt ",
        amount=" 100.5 ",
        count=" 7 ",
    )

    parsed = validate_transfers(frame(text), "may.csv")

    assert parsed.quarantined == []
    assert parsed.rows.schema == pl.Schema(TRANSFER_SCHEMA)
    assert parsed.rows.columns == list(TRANSFER_COLUMNS)
    assert parsed.rows.row(0) == (
        date(2026, 5, 1),
        "KICB",
        "Contact",
        "KZ",
        "out",
        "KZT",
        Decimal("100.50"),
        7,
    )


@pytest.mark.parametrize(
    ("amount", "count", "expected_amount", "expected_count"),
    [
        ("+5", "+5", Decimal("5.00"), 5),
        (".5", "007", Decimal("0.50"), 7),
        ("5.", "3.0", Decimal("5.00"), 3),
        ("5.000", "3.", Decimal("5.00"), 3),
        ("-0.00", "-0", Decimal("0.00"), 0),
        (
            "9999999999999999.99",
            "999999999999999999",
            Decimal("9999999999999999.99"),
            10**18 - 1,
        ),
    ],
)
def test_number_spellings_that_are_exact_are_accepted(
    amount: str, count: str, expected_amount: Decimal, expected_count: int
) -> None:
    parsed = validate_transfers(frame(row(amount=amount, count=count)), "may.csv")

    assert parsed.quarantined == []
    assert parsed.rows.select("amount", "count").row(0) == (expected_amount, expected_count)


def test_kosovo_is_accepted_as_xk() -> None:
    parsed = validate_transfers(frame(row(country="XK", currency="EUR")), "may.csv")

    assert parsed.rows["country"].to_list() == ["XK"]


def test_rows_repeating_a_key_are_all_quarantined() -> None:
    rows = frame(
        row(amount="10.00"),
        row(bank_code="AYIL"),
        row(country="ru", amount="12.00"),  # the same key once normalised
        row(bank_code="AYIL", direction="out"),
    )

    parsed = validate_transfers(rows, "may.csv")

    assert parsed.rows.height == 2
    assert [(bad.row_number, bad.column) for bad in parsed.quarantined] == [(1, None), (3, None)]
    assert {bad.reason for bad in parsed.quarantined} == {"key repeats in this file (rows 1, 3)"}
    assert parsed.quarantined[1].raw["country"] == "ru"  # the original text


def test_a_key_repeated_many_times_names_the_first_rows_only() -> None:
    parsed = validate_transfers(frame(*[row(amount=f"{n}.00") for n in range(25)]), "may.csv")

    assert len(parsed.quarantined) == 25
    assert parsed.quarantined[0].reason == (
        "key repeats in this file (rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more)"
    )


def test_rows_failing_a_rule_do_not_count_as_key_repeats() -> None:
    parsed = validate_transfers(frame(row(), row(amount="-1")), "may.csv")

    assert parsed.rows.height == 1
    assert [bad.column for bad in parsed.quarantined] == ["amount"]


def test_typed_columns_are_read_as_text_first_and_rows_numbered_when_absent() -> None:
    typed = pl.DataFrame(
        {
            "report_date": [date(2026, 5, 1), date(2026, 5, 2)],
            "bank_code": ["KICB", "KICB"],
            "system": ["Contact", "Contact"],
            "country": ["KZ", "KZ"],
            "direction": ["in", "in"],
            "currency": ["KZT", "KZT"],
            "amount": pl.Series([Decimal("1.50"), Decimal("-2.00")], dtype=pl.Decimal(20, 2)),
            "count": [1, 2],
            "branch": ["Osh", "Bishkek"],  # not ours: ignored
        }
    )

    parsed = validate_transfers(typed, "db-batch")

    assert parsed.rows["amount"].to_list() == [Decimal("1.50")]
    [bad] = parsed.quarantined
    assert (bad.row_number, bad.reason) == (2, "amount is negative (-2.00)")
    assert bad.raw["report_date"] == "2026-05-02"


def test_timestamps_at_midnight_are_dates_and_others_keep_their_time() -> None:
    stamped = frame(row(), row(bank_code="AYIL")).with_columns(
        pl.Series(
            "report_date", [datetime(2026, 5, 1), datetime(2026, 5, 1, 13, 30)], pl.Datetime("ns")
        )
    )

    parsed = validate_transfers(stamped, "pandas.parquet")

    assert parsed.rows["report_date"].to_list() == [date(2026, 5, 1)]
    [bad] = parsed.quarantined
    assert bad.reason.startswith("report_date is not a valid YYYY-MM-DD date ('2026-05-01 13:30")


def test_a_missing_column_rejects_the_whole_frame() -> None:
    with pytest.raises(RejectedFileError, match=r"missing required column\(s\) amount, count"):
        validate_transfers(frame(row()).drop("amount", "count"), "db-batch")


def test_a_nested_column_rejects_the_whole_frame() -> None:
    nested = frame(row()).with_columns(pl.concat_list("amount", "amount").alias("amount"))

    with pytest.raises(RejectedFileError, match="column 'amount' has type List"):
        validate_transfers(nested, "db-batch")


def test_an_empty_frame_is_valid_with_no_rows() -> None:
    parsed = validate_transfers(frame(), "empty-batch")

    assert (parsed.rows.height, parsed.quarantined, parsed.total_rows) == (0, [], 0)
    assert parsed.rows.schema == pl.Schema(TRANSFER_SCHEMA)


def test_a_million_rows_validate_in_seconds() -> None:
    # Vectorised: a Python loop per row would take minutes here (5M rows take ~4 s).
    n = 1_000_000
    index = pl.int_range(0, n)
    big = pl.select(
        report_date=pl.lit(date(2000, 1, 1)).dt.offset_by(pl.format("{}d", index // 1000)),
        bank_code=pl.format("B{}", index % 50),
        system=pl.format("S{}", (index // 50) % 4),
        country=pl.lit(pl.Series(["RU", "KZ", "US", "TR", "kr"])).gather((index // 200) % 5),
        direction=pl.lit("in"),
        currency=pl.lit("USD"),
        amount=pl.format("{}.25", index),
        count=(index % 100).cast(pl.String),
    ).with_columns(pl.col("report_date").dt.strftime("%Y-%m-%d"))

    parsed = validate_transfers(big, "big.csv")

    # Speed is measured by bench/ingest.py, not asserted here.
    assert (parsed.rows.height, len(parsed.quarantined)) == (n, 0)
