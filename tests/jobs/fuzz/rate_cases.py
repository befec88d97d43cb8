"""Hostile and broken official rate documents (NBKR XML and the history CSV)."""

from __future__ import annotations

from pathlib import Path

from tests.jobs.fuzz.case import DocumentCase, Quarantined, bytes_file, text_file

DECLARATION = '<?xml version="1.0" encoding="windows-1251"?>\n'
CSV_HEADER = "date,currency,nominal,value\n"
UTF16_DECLARATION = '<?xml version="1.0" encoding="utf-16"?>\n'
BIG_BYTES = 100 * 1024 * 1024

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<CurrencyRates Date="03.07.2026">&lol9;</CurrencyRates>\n'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<CurrencyRates Date="03.07.2026"><Currency ISOCode="USD"><Nominal>1</Nominal>'
    "<Value>&secret;</Value></Currency></CurrencyRates>\n"
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE CurrencyRates SYSTEM "http://127.0.0.1:9/rates.dtd">\n'
    '<CurrencyRates Date="03.07.2026"/>\n'
)


def xml(currencies: str, date: str = "03.07.2026", declaration: str = DECLARATION) -> str:
    return f'{declaration}<CurrencyRates Date="{date}">{currencies}</CurrencyRates>\n'


def currency(code: str, nominal: str = "1", value: str = "87,4500") -> str:
    return (
        f'<Currency ISOCode="{code}"><Nominal>{nominal}</Nominal><Value>{value}</Value></Currency>'
    )


def _big_rate_line(path: Path) -> None:
    with path.open("wb") as file:
        file.write(CSV_HEADER.encode() + b"2024-05-02,USD,1,")
        for _ in range(BIG_BYTES // (1024 * 1024)):
            file.write(b"9" * 1024 * 1024)


def _wide_history(path: Path) -> None:
    extra = ",".join(f"extra_{i}" for i in range(10_000))
    values = ",".join("x" for _ in range(10_000))
    path.write_text(
        CSV_HEADER.strip() + "," + extra + "\n2024-05-02,USD,1,87.45," + values + "\n",
        encoding="utf-8",
    )


def _q(row: int, column: str | None, reason: str) -> Quarantined:
    return Quarantined(row, column, reason)


def _xml_case(
    case_id: str,
    document: str | bytes,
    status: str,
    reason: str = "",
    quarantined: tuple[Quarantined, ...] = (),
    rows_new: int | None = None,
) -> DocumentCase:
    data = document.encode("windows-1251") if isinstance(document, str) else document
    return DocumentCase(
        case_id,
        "rates",
        f"{case_id}.xml",
        bytes_file(data),
        status,
        reason=reason,
        quarantined=quarantined,
        rows_new=rows_new,
    )


RATE_CASES: tuple[DocumentCase, ...] = (
    _xml_case(
        "xml-billion-laughs",
        BILLION_LAUGHS,
        "rejected",
        reason="the XML has a document type declaration (<!DOCTYPE>); NBKR rate files have "
        "none, and DTDs are refused because they allow entity-expansion and external-entity "
        "attacks",
    ),
    _xml_case(
        "xml-external-entity",
        EXTERNAL_ENTITY,
        "rejected",
        reason="DTDs are refused because they allow entity-expansion and external-entity attacks",
    ),
    _xml_case(
        "xml-external-dtd",
        EXTERNAL_DTD,
        "rejected",
        reason="the XML has a document type declaration (<!DOCTYPE>)",
    ),
    _xml_case(
        "xml-undeclared-entity",
        xml(currency("USD", value="&lol;")),
        "rejected",
        reason="not well-formed XML (undefined entity",
    ),
    _xml_case(
        "xml-declared-utf8-but-windows-1251",
        xml(
            '<Currency ISOCode="USD" Name="Доллар США"><Nominal>1</Nominal>'
            "<Value>87,45</Value></Currency>",
            declaration='<?xml version="1.0" encoding="utf-8"?>\n',
        ),
        "rejected",
        reason="not well-formed XML (not well-formed (invalid token): line 2",
    ),
    _xml_case(
        "xml-unknown-encoding",
        xml(currency("USD"), declaration='<?xml version="1.0" encoding="x-klingon"?>\n'),
        "rejected",
        reason="x-klingon",
    ),
    _xml_case(
        "xml-utf8-bom",
        b"\xef\xbb\xbf"
        + xml(currency("USD"), declaration='<?xml version="1.0" encoding="utf-8"?>\n').encode(),
        "ingested",
        rows_new=1,
    ),
    _xml_case(
        "xml-utf16-with-bom",
        xml(currency("USD"), declaration=UTF16_DECLARATION).encode("utf-16"),
        "ingested",
        rows_new=1,
    ),
    _xml_case(
        "xml-utf16be-without-bom",
        xml(currency("USD"), declaration=UTF16_DECLARATION).encode("utf-16-be"),
        "ingested",
        rows_new=1,
    ),
    _xml_case(
        "xml-utf16-declared-windows-1251",
        xml(currency("USD")).encode("utf-16"),
        "rejected",
        reason="UTF-16LE encoded (byte-order mark FF FE), but its XML declaration says "
        "encoding='windows-1251'; save it again in the encoding it declares",
    ),
    _xml_case(
        "xml-utf32-with-bom",
        xml(currency("USD"), declaration='<?xml version="1.0" encoding="utf-32"?>\n').encode(
            "utf-32"
        ),
        "rejected",
        reason="UTF-32LE encoded (byte-order mark FF FE 00 00); the NBKR rate XML is expected "
        "in windows-1251 or UTF-8",
    ),
    DocumentCase(
        "rates-csv-utf16-with-bom",
        "rates",
        "history_utf16.csv",
        text_file(CSV_HEADER + "2024-05-02,USD,1,87.45\n", "utf-16"),
        "rejected",
        reason="UTF-16LE encoded (byte-order mark FF FE); "
        "the rate history CSV is expected in UTF-8",
    ),
    _xml_case(
        "xml-huge-numbers",
        xml(
            currency("USD", value="9" * 15)
            + currency("EUR", nominal="9" * 10)
            + currency("RUB", value="1" * 5000)
        ),
        "ingested",
        quarantined=(
            _q(
                1,
                "Value",
                "Value is too large (999999999999999; at most 14 digits before the point)",
            ),
            _q(2, "Nominal", "Nominal is too large (9999999999; at most 9 digits)"),
            _q(3, "Value", "(5000 characters); at most 14 digits"),
        ),
    ),
    _xml_case(
        "xml-nan-and-infinity",
        xml(
            currency("USD", value="NaN")
            + currency("EUR", value="Infinity")
            + currency("RUB", value="1E+2")
        ),
        "ingested",
        quarantined=(
            _q(1, "Value", "Value is not a decimal number ('NaN')"),
            _q(2, "Value", "Value is not a decimal number ('Infinity')"),
            _q(3, "Value", "Value is not a decimal number ('1E+2')"),
        ),
    ),
    _xml_case(
        "xml-thousand-separators",
        xml(
            currency("USD", value="1 087,45")
            + currency("EUR", value="1.087,45")
            + currency("RUB", value="1,087.45")
        ),
        "ingested",
        quarantined=(
            _q(1, "Value", "Value is not a decimal number ('1 087,45')"),
            _q(2, "Value", "Value is not a decimal number ('1.087,45')"),
            _q(3, "Value", "Value is not a decimal number ('1,087.45')"),
        ),
    ),
    _xml_case(
        "xml-date-out-of-range",
        xml(currency("USD"), date="31.02.2026"),
        "rejected",
        reason="Date='31.02.2026' is not a valid date (day is out of range for month)",
    ),
    _xml_case(
        "xml-date-year-zero",
        xml(currency("USD"), date="01.01.0000"),
        "rejected",
        reason="Date='01.01.0000' is not a valid date (year 0 is out of range)",
    ),
    DocumentCase(
        "rates-csv-huge-numbers",
        "rates",
        "history_huge.csv",
        text_file(
            CSV_HEADER + "2024-05-02,USD,1," + "9" * 15 + "\n2024-05-02,EUR,99999999999,99.1\n"
        ),
        "ingested",
        quarantined=(
            _q(1, "value", "value is too large (999999999999999; at most 14 digits"),
            _q(2, "nominal", "nominal is too large (99999999999; at most 9 digits)"),
        ),
    ),
    DocumentCase(
        "rates-csv-dates-out-of-range",
        "rates",
        "history_dates.csv",
        text_file(
            CSV_HEADER + "0000-01-01,USD,1,87.45\n2024-02-30,USD,1,87.45\n+2024-01-01,USD,1,87.45\n"
        ),
        "ingested",
        quarantined=(
            _q(1, "date", "date is not a valid YYYY-MM-DD date ('0000-01-01')"),
            _q(2, "date", "date is not a valid YYYY-MM-DD date ('2024-02-30')"),
            _q(3, "date", "date is not a valid YYYY-MM-DD date ('+2024-01-01')"),
        ),
    ),
    DocumentCase(
        "rates-csv-windows-1251",
        "rates",
        "history_cp1251.csv",
        text_file(CSV_HEADER + "2024-05-02,USD,1,87.45,доллар\n", "windows-1251"),
        "rejected",
        reason="not UTF-8: undecodable bytes b'\\xe4' "
        f"at byte offset {len(CSV_HEADER) + 23} (line 2)",
    ),
    DocumentCase(
        "rates-csv-10000-columns",
        "rates",
        "history_wide.csv",
        _wide_history,
        "ingested",
        rows_new=1,
        heavy=True,
    ),
    DocumentCase(
        "rates-single-100mb-line",
        "rates",
        "history_one_line.csv",
        _big_rate_line,
        "rejected",
        reason="is more than a rate document holds (at most 33554432 bytes)",
        heavy=True,
    ),
)
