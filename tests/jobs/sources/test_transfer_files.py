"""Bank transfer files: CSV and Parquet reading, column maps, rejection, row accounting."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.errors import RejectedFileError
from jobs.sources.transfer_files import parse_transfer_file
from service.store.records import TRANSFER_COLUMNS, TRANSFER_KEY, TRANSFER_SCHEMA

HEADER = ",".join(TRANSFER_COLUMNS)
ROW_KICB = "2026-05-01,KICB,Zolotaya Korona,RU,in,RUB,1500000.50,412"
ROW_AYIL = "2026-05-01,AYIL,Contact,KZ,in,KZT,250000.00,38"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines, ""]).encode()


def parquet_bytes(table: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.write_parquet(buffer)
    return buffer.getvalue()


def typed_table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "report_date": [date(2026, 5, 1), date(2026, 5, 1)],
            "bank_code": ["KICB", "AYIL"],
            "system": ["Zolotaya Korona", "Contact"],
            "country": ["RU", "KZ"],
            "direction": ["in", "in"],
            "currency": ["RUB", "KZT"],
            "amount": pl.Series(
                [Decimal("1500000.50"), Decimal("250000.00")], dtype=pl.Decimal(20, 2)
            ),
            "count": [412, 38],
        }
    )


# --- CSV ----------------------------------------------------------------------------------


def test_csv_rows_are_typed_as_the_store_expects() -> None:
    parsed = parse_transfer_file(csv_bytes(ROW_KICB, ROW_AYIL), "kicb_2026-05.csv")

    assert parsed.quarantined == []
    assert parsed.total_rows == 2
    assert parsed.rows.schema == pl.Schema(TRANSFER_SCHEMA)
    assert parsed.rows.row(0) == (
        date(2026, 5, 1),
        "KICB",
        "Zolotaya Korona",
        "RU",
        "in",
        "RUB",
        Decimal("1500000.50"),
        412,
    )


def test_bom_crlf_quotes_extra_columns_and_column_order_are_accepted() -> None:
    text = (
        "\ufeffcount,amount,currency,direction,country,system,bank_code,report_date,branch\r\n"
        '412,1500000.50,RUB,in,RU,"Zolotaya Korona",KICB,2026-05-01,"Osh, main"\r\n'
    )

    parsed = parse_transfer_file(text.encode(), "kicb.csv")

    assert parsed.quarantined == []
    assert (
        parsed.rows.to_dicts() == parse_transfer_file(csv_bytes(ROW_KICB), "k.csv").rows.to_dicts()
    )


def test_header_only_is_a_valid_file_with_no_rows() -> None:
    parsed = parse_transfer_file(csv_bytes(), "empty_month.csv")

    assert (parsed.rows.height, parsed.quarantined, parsed.total_rows) == (0, [], 0)
    assert parsed.rows.schema == pl.Schema(TRANSFER_SCHEMA)


def test_blank_lines_are_not_rows_but_keep_the_numbering() -> None:
    parsed = parse_transfer_file(
        csv_bytes(ROW_KICB, "", "2026-05-01,AYIL,Contact,KZ,in,KZT,-1,38", ""), "k.csv"
    )

    assert parsed.total_rows == 2
    assert [(bad.row_number, bad.reason) for bad in parsed.quarantined] == [
        (3, "amount is negative (-1)")
    ]


def test_short_rows_are_quarantined_with_their_empty_fields() -> None:
    parsed = parse_transfer_file(csv_bytes(ROW_KICB, "2026-05-01,AYIL,Contact"), "k.csv")

    [bad] = parsed.quarantined
    assert (bad.row_number, bad.column, bad.reason) == (2, "country", "country is empty")
    assert bad.raw["system"] == "Contact"


def test_every_row_with_a_repeated_key_is_quarantined() -> None:
    repeat = ROW_KICB.replace("1500000.50", "1400000.00")

    parsed = parse_transfer_file(csv_bytes(ROW_KICB, ROW_AYIL, repeat), "k.csv")

    assert parsed.rows["bank_code"].to_list() == ["AYIL"]
    assert [(bad.row_number, bad.column) for bad in parsed.quarantined] == [(1, None), (3, None)]
    assert parsed.quarantined[0].reason == "key repeats in this file (rows 1, 3)"


# --- column maps ----------------------------------------------------------------------------

BANK_HEADER = "Дата,Банк,Система,Страна,Направление,Валюта,Сумма,Количество"
BANK_MAP = dict(zip(BANK_HEADER.split(","), TRANSFER_COLUMNS, strict=True))


def test_column_map_renames_the_bank_columns_to_ours() -> None:
    data = csv_bytes(ROW_KICB, header=BANK_HEADER)

    parsed = parse_transfer_file(data, "bank.csv", BANK_MAP)

    assert parsed.quarantined == []
    assert parsed.rows["amount"].to_list() == [Decimal("1500000.50")]


def test_without_the_map_the_bank_columns_are_reported_missing() -> None:
    with pytest.raises(RejectedFileError) as raised:
        parse_transfer_file(csv_bytes(ROW_KICB, header=BANK_HEADER), "bank.csv")

    assert raised.value.reason.startswith(
        "missing required column(s) report_date, bank_code, system, country, direction, "
        "currency, amount, count; columns found: 'Дата', 'Банк'"
    )


def test_a_mapped_column_takes_precedence_over_one_already_named_like_ours() -> None:
    header = HEADER + ",amount_kgs"
    data = csv_bytes(ROW_KICB + ",127500042.50", header=header)

    parsed = parse_transfer_file(data, "bank.csv", {"amount_kgs": "amount"})

    assert parsed.rows["amount"].to_list() == [Decimal("127500042.50")]


def test_a_column_given_twice_is_rejected() -> None:
    data = csv_bytes(ROW_KICB + ",1", header=HEADER + ",amount")

    with pytest.raises(
        RejectedFileError, match=r"column amount is given 2 times \('amount', 'amount'\)"
    ):
        parse_transfer_file(data, "bank.csv")


# --- Parquet --------------------------------------------------------------------------------


def test_typed_parquet_is_read_and_validated() -> None:
    parsed = parse_transfer_file(parquet_bytes(typed_table()), "kicb_2026-05.parquet")

    assert parsed.quarantined == []
    assert parsed.rows.equals(typed_table())


def test_parquet_values_are_validated_like_csv_text() -> None:
    table = typed_table().with_columns(
        pl.Series("count", [412.0, 3.5]), pl.Series("country", ["ru", "Kazakhstan"])
    )

    parsed = parse_transfer_file(parquet_bytes(table), "k.parquet")

    assert parsed.rows["country"].to_list() == ["RU"]
    [bad] = parsed.quarantined
    assert (bad.row_number, bad.column) == (2, "country")
    assert bad.raw["report_date"] == "2026-05-01"


def test_parquet_column_map_is_applied() -> None:
    table = typed_table().rename({ours: bank for bank, ours in BANK_MAP.items()})

    parsed = parse_transfer_file(parquet_bytes(table), "bank.parquet", BANK_MAP)

    assert parsed.rows.equals(typed_table())


# --- whole-file rejection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "the file is empty (no header row)", id="empty"),
        pytest.param(b"\xef\xbb\xbf \r\n\n", "the file is empty (no header row)", id="blank-lines"),
        pytest.param(
            b"\n" + csv_bytes(ROW_KICB),
            "the first line is blank: expected the header row",
            id="blank-first-line",
        ),
        pytest.param(
            csv_bytes(ROW_KICB.rsplit(",", 1)[0], header=HEADER.removesuffix(",count")),
            "missing required column(s) count; columns found: 'report_date'",
            id="missing-column",
        ),
        pytest.param(
            csv_bytes(ROW_KICB, "2026-05-01,KICB,Contact,KG,in,KGS,1,1,extra,fields"),
            "malformed CSV: found more fields than defined in 'Schema' (a row has more fields",
            id="ragged",
        ),
        pytest.param(
            csv_bytes(ROW_KICB, '2026-05-01,KICB,"Contact,KG,in,KGS,1,1'),
            "malformed CSV",
            id="unclosed-quote",
        ),
        pytest.param(
            csv_bytes(ROW_KICB.replace("Zolotaya Korona", "Золотая Корона"))
            .decode()
            .encode("cp1251"),
            "not UTF-8: undecodable bytes b'\\xc7' at byte offset 85 (line 2)",
            id="windows-1251",
        ),
        pytest.param(
            parquet_bytes(typed_table().drop("bank_code")),
            "missing required column(s) bank_code; columns found: 'report_date', 'system'",
            id="parquet-missing-column",
        ),
        pytest.param(
            parquet_bytes(
                typed_table().with_columns(pl.concat_list("count", "count").alias("count"))
            ),
            "column 'count' has type List(Int64), which cannot be read as text",
            id="parquet-nested-column",
        ),
        pytest.param(
            b"PAR1 not really parquet PAR1", "not a readable Parquet file", id="parquet-corrupt"
        ),
        pytest.param(
            parquet_bytes(typed_table())[:-20],
            "not a readable Parquet file",
            id="parquet-truncated",
        ),
    ],
)
def test_unusable_files_are_rejected_whole(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedFileError) as raised:
        parse_transfer_file(data, "inbox/kicb_2026-05.dat")

    assert raised.value.name == "inbox/kicb_2026-05.dat"
    assert reason in raised.value.reason


# --- properties -----------------------------------------------------------------------------

# Each column's spellings: (text, is valid). Few valid spellings, so keys repeat often.
SPELLINGS: dict[str, list[tuple[str, bool]]] = {
    "report_date": [
        ("2026-05-01", True),
        (" 2026-05-02", True),
        ("2026-02-30", False),
        ("", False),
    ],
    "bank_code": [("KICB", True), ("AYIL", True), (" ", False)],
    "system": [("Contact", True), ("", False)],
    "country": [("RU", True), ("kz", True), ("XK", True), ("RUS", False)],
    "direction": [("in", True), ("OUT", True), ("both", False)],
    "currency": [("RUB", True), ("usd", True), ("RUR", False)],
    "amount": [("10.50", True), ("0", True), ("-1", False), ("1.005", False), ("x", False)],
    "count": [("3", True), ("3.0", True), ("3.5", False), ("-1", False)],
}


def normalised(column: str, text: str) -> str:
    if column in ("country", "currency"):
        return text.strip().upper()
    return text.strip().lower() if column == "direction" else text.strip()


generated_rows = st.lists(
    st.fixed_dictionaries(
        {column: st.sampled_from(SPELLINGS[column]) for column in TRANSFER_COLUMNS}
    ),
    max_size=40,
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(rows=generated_rows, as_parquet=st.booleans())
def test_every_generated_row_is_kept_or_quarantined_exactly_once(
    rows: list[dict[str, tuple[str, bool]]], as_parquet: bool
) -> None:
    table = pl.DataFrame(
        [{column: text for column, (text, _) in row.items()} for row in rows],
        schema={column: pl.String() for column in TRANSFER_COLUMNS},
    )
    data = parquet_bytes(table) if as_parquet else csv_bytes(*(",".join(r) for r in table.rows()))

    parsed = parse_transfer_file(data, "generated")

    # The model: the first invalid column in order, else a key shared with another valid row.
    first_invalid = [next((c for c in TRANSFER_COLUMNS if not row[c][1]), None) for row in rows]
    keys = [tuple(normalised(c, row[c][0]) for c in TRANSFER_KEY) for row in rows]
    valid_keys = [key for key, failure in zip(keys, first_invalid, strict=True) if failure is None]
    expected = {
        number: failure
        for number, (key, failure) in enumerate(zip(keys, first_invalid, strict=True), start=1)
        if failure is not None or valid_keys.count(key) > 1
    }
    assert parsed.total_rows == len(rows)
    assert parsed.rows.height + len(parsed.quarantined) == parsed.total_rows
    assert {bad.row_number: bad.column for bad in parsed.quarantined} == expected
    assert len({bad.row_number for bad in parsed.quarantined}) == len(parsed.quarantined)
    assert parsed.rows.schema == pl.Schema(TRANSFER_SCHEMA)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    body=st.binary(max_size=300), prefix=st.sampled_from([b"", HEADER.encode() + b"\n", b"PAR1"])
)
def test_arbitrary_bytes_are_parsed_or_rejected_never_crash(body: bytes, prefix: bytes) -> None:
    try:
        parsed = parse_transfer_file(prefix + body, "fuzz")
    except RejectedFileError:
        return
    assert parsed.rows.height + len(parsed.quarantined) == parsed.total_rows
