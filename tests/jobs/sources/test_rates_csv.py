"""Rate history CSV (`date,currency,nominal,value`): parsing, quarantine, rejection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.errors import RejectedFileError
from jobs.sources.rates_csv import parse_rates_history_csv
from service.store.records import OfficialRate

HEADER = "date,currency,nominal,value\n"
# The first rows of the shared NBKR history (kg-dashboard), as they are in that file.
HISTORY = (
    HEADER + "2021-07-03,EUR,1,100.2740\n"
    "2021-07-03,KZT,1,0.1989\n"
    "2021-07-03,RUB,1,1.1516\n"
    "2021-07-03,USD,1,84.7804\n"
)


def parse(text: str) -> list[OfficialRate]:
    parsed = parse_rates_history_csv(text.encode(), "history.csv")
    assert parsed.quarantined == []
    return parsed.rates


def test_history_rows_become_official_rates_exactly_as_published() -> None:
    rates = parse(HISTORY)

    assert rates[0] == OfficialRate(date(2021, 7, 3), "EUR", 1, Decimal("100.2740"))
    assert [str(rate.value) for rate in rates] == ["100.2740", "0.1989", "1.1516", "84.7804"]


def test_bom_crlf_extra_columns_and_column_order_are_accepted() -> None:
    text = "\ufeffsource,value,nominal,currency,date\r\nnbkr,84.7804,1,USD,2021-07-03\r\n"

    assert parse(text) == [OfficialRate(date(2021, 7, 3), "USD", 1, Decimal("84.7804"))]


def test_decimal_comma_and_nominal_above_one_are_accepted() -> None:
    rates = parse(HEADER + '2026-05-23,JPY,10,"5,4969"\n')

    assert rates[0].value == Decimal("5.4969")
    assert rates[0].som_per_unit == Decimal("0.54969")


def test_header_only_gives_no_rates() -> None:
    assert parse(HEADER) == []


def test_blank_lines_are_skipped_but_keep_their_row_number() -> None:
    parsed = parse_rates_history_csv(
        (HEADER + "2021-07-03,USD,1,84.7804\n\n2021-07-03,EUR,1,x\n").encode(), "h.csv"
    )

    assert len(parsed.rates) == 1
    assert [row.row_number for row in parsed.quarantined] == [3]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("03.07.2021,USD,1,84.78", "date", "date is not a valid YYYY-MM-DD date ('03.07.2021')"),
        ("2021-02-30,USD,1,84.78", "date", "date is not a valid YYYY-MM-DD date ('2021-02-30')"),
        ("2021-7-3,USD,1,84.78", "date", "date is not a valid YYYY-MM-DD date ('2021-7-3')"),
        (",USD,1,84.78", "date", "date is missing or empty"),
        ("2021-07-03,usd,1,84.78", "currency", "currency must be 3 uppercase letters ('usd')"),
        ("2021-07-03,US$,1,84.78", "currency", "currency must be 3 uppercase letters ('US$')"),
        ("2021-07-03,,1,84.78", "currency", "currency is missing or empty"),
        ("2021-07-03,USD,0,84.78", "nominal", "nominal must be positive (0)"),
        ("2021-07-03,USD,-1,84.78", "nominal", "nominal must be positive (-1)"),
        ("2021-07-03,USD,1.5,84.78", "nominal", "nominal is not a whole number ('1.5')"),
        ("2021-07-03,USD,one,84.78", "nominal", "nominal is not a whole number ('one')"),
        ("2021-07-03,USD,١,84.78", "nominal", "nominal is not a whole number ('١')"),
        ("2021-07-03,USD,1,0", "value", "value must be positive (0)"),
        ("2021-07-03,USD,1,-84.78", "value", "value must be positive (-84.78)"),
        ("2021-07-03,USD,1,8.4e1", "value", "value is not a decimal number ('8.4e1')"),
        ("2021-07-03,USD,1,NaN", "value", "value is not a decimal number ('NaN')"),
        ("2021-07-03,USD,1", "value", "value is missing or empty"),
    ],
)
def test_a_bad_row_is_quarantined_and_the_rest_kept(row: str, column: str, reason: str) -> None:
    text = HEADER + "2021-07-03,EUR,1,100.2740\n" + row + "\n2021-07-03,RUB,1,1.1516\n"

    parsed = parse_rates_history_csv(text.encode(), "history.csv")

    assert [rate.currency for rate in parsed.rates] == ["EUR", "RUB"]
    [bad] = parsed.quarantined
    assert (bad.row_number, bad.column, bad.reason) == (2, column, reason)
    assert set(bad.raw) == {"date", "currency", "nominal", "value"}


def test_a_date_and_currency_with_conflicting_figures_are_all_quarantined() -> None:
    text = (
        HEADER + "2021-07-03,USD,1,84.7804\n"
        "2021-07-03,EUR,1,100.2740\n"
        "2021-07-03,USD,1,84.7804\n"
        "2021-07-03,USD,1,85.0000\n"
    )

    parsed = parse_rates_history_csv(text.encode(), "history.csv")

    assert [rate.currency for rate in parsed.rates] == ["EUR"]
    assert [row.row_number for row in parsed.quarantined] == [1, 3, 4]
    assert {row.column for row in parsed.quarantined} == {None}
    assert parsed.quarantined[0].reason == (
        "USD on 2021-07-03 appears with different figures (rows 1, 3, 4)"
    )


def test_exact_repeats_collapse_to_one_rate() -> None:
    rates = parse(HEADER + "2021-07-03,USD,1,84.7804\n2021-07-03,USD,1,84.78040\n")

    assert rates == [OfficialRate(date(2021, 7, 3), "USD", 1, Decimal("84.7804"))]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "the file is empty (no header row)", id="empty"),
        pytest.param(
            b"date,currency,value\n2021-07-03,USD,84.78\n",
            "missing required column(s) nominal; columns found: 'date', 'currency', 'value'",
            id="missing-column",
        ),
        pytest.param(
            b"day,ccy,n,v\n",
            "missing required column(s) date, currency, nominal, value",
            id="foreign-header",
        ),
        pytest.param(
            b"date,currency,nominal,value,value\n", "value appear more than once", id="repeated"
        ),
        pytest.param(
            # windows-1251 text where UTF-8 is required: 28 + 23 + 11 bytes precede it.
            HEADER.encode() + b"2021-07-03,USD,1,84.78\n2021-07-03,\xc0\xd1\xc4,1,1\n",
            "not UTF-8: undecodable bytes b'\\xc0' at byte offset 62 (line 3)",
            id="not-utf8",
        ),
    ],
)
def test_unusable_files_are_rejected_whole(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedFileError) as raised:
        parse_rates_history_csv(data, "history.csv")

    assert raised.value.name == "history.csv"
    assert reason in raised.value.reason


valid_rows = st.lists(
    st.tuples(
        st.dates(min_value=date(1993, 5, 10), max_value=date(2100, 12, 31)),
        st.sampled_from(["USD", "EUR", "RUB", "KZT", "BYR"]),
        st.integers(min_value=1, max_value=1000),
        st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999"), places=4),
    ),
    max_size=30,
    unique_by=lambda row: (row[0], row[1]),
)


@given(rows=valid_rows, comma=st.booleans())
def test_generated_histories_round_trip(
    rows: list[tuple[date, str, int, Decimal]], comma: bool
) -> None:
    def written(value: Decimal) -> str:
        return f'"{str(value).replace(".", ",")}"' if comma else str(value)

    text = HEADER + "".join(
        f"{day.isoformat()},{code},{nominal},{written(value)}\n"
        for day, code, nominal, value in rows
    )

    assert parse(text) == [OfficialRate(*row) for row in rows]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=400), with_header=st.booleans())
def test_arbitrary_bytes_are_parsed_or_rejected_never_crash(body: bytes, with_header: bool) -> None:
    data = HEADER.encode() + body if with_header else body
    try:
        parsed = parse_rates_history_csv(data, "fuzz.csv")
    except RejectedFileError:
        return
    numbers = [row.row_number for row in parsed.quarantined]
    assert all(number >= 1 for number in numbers)
