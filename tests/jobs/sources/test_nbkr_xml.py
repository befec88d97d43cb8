"""NBKR rate XML: the real files, hostile and broken XML, per-currency quarantine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.errors import RejectedFileError
from jobs.sources.nbkr_xml import parse_rates_xml
from service.store.records import OfficialRate

FIXTURES = Path(__file__).parents[2] / "fixtures" / "nbkr_xml"
DAILY_0703 = FIXTURES / "daily_2026-07-03_kg-dashboard.xml"
DAILY_0524 = FIXTURES / "daily_2026-05-24_frankfurter.xml"
WEEKLY_0523 = FIXTURES / "weekly_2026-05-23_frankfurter.xml"
DECLARATION = '<?xml version="1.0" encoding="windows-1251" ?>\n'


def document(currencies: str, date_attribute: str = 'Date="03.07.2026"') -> bytes:
    """A daily-style file around the given <Currency> elements, encoded as NBKR does."""
    return (
        f'{DECLARATION}<CurrencyRates Name="Daily Exchange Rates" {date_attribute}>\n'
        f"{currencies}</CurrencyRates>\n"
    ).encode("windows-1251")


def currency(code: str | None, nominal: str | None = "1", value: str | None = "87,4500") -> str:
    code_attribute = "" if code is None else f' ISOCode="{code}"'
    nominal_element = "" if nominal is None else f"<Nominal>{nominal}</Nominal>"
    value_element = "" if value is None else f"<Value>{value}</Value>"
    return f"<Currency{code_attribute}>{nominal_element}{value_element}</Currency>\n"


def by_code(rates: list[OfficialRate]) -> dict[str, OfficialRate]:
    return {rate.currency: rate for rate in rates}


# --- the real files -------------------------------------------------------------------


def test_daily_file_of_3_july_2026_gives_the_published_figures() -> None:
    parsed = parse_rates_xml(DAILY_0703.read_bytes(), DAILY_0703.name)

    assert parsed.quarantined == []
    rates = by_code(parsed.rates)
    assert list(rates) == ["USD", "EUR", "CNY", "KZT", "RUB"]
    assert {rate.rate_date for rate in parsed.rates} == {date(2026, 7, 3)}
    assert {rate.nominal for rate in parsed.rates} == {1}
    assert str(rates["USD"].value) == "87.4500"  # exactly as published, scale kept
    assert rates["RUB"].value == Decimal("1.1239")
    assert rates["KZT"].value == Decimal("0.1842")
    assert rates["EUR"].value == Decimal("99.8679")
    assert rates["CNY"].value == Decimal("12.8835")


def test_evening_file_is_keyed_on_its_date_not_the_fetch_day() -> None:
    # Recorded on 23 May 2026; the file already carries the next day's date.
    parsed = parse_rates_xml(DAILY_0524.read_bytes(), DAILY_0524.name)

    rates = by_code(parsed.rates)
    assert {rate.rate_date for rate in parsed.rates} == {date(2026, 5, 24)}
    assert rates["USD"].value == Decimal("87.4500")
    assert rates["RUB"].value == Decimal("1.2263")


def test_weekly_file_gives_40_currencies_with_their_nominals() -> None:
    parsed = parse_rates_xml(WEEKLY_0523.read_bytes(), WEEKLY_0523.name)

    assert parsed.quarantined == []
    rates = by_code(parsed.rates)
    assert len(rates) == 40
    assert {rate.rate_date for rate in parsed.rates} == {date(2026, 5, 23)}
    assert {code for code, rate in rates.items() if rate.nominal == 10} == {
        "JPY",
        "AMD",
        "HUF",
        "IRR",
        "IDR",
    }
    assert rates["JPY"].nominal == 10
    assert rates["JPY"].value == Decimal("5.4969")
    assert rates["JPY"].som_per_unit == Decimal("0.54969")
    assert rates["BYR"].nominal == 100  # legacy code, still published
    assert rates["BYR"].som_per_unit == Decimal("0.003402")
    assert rates["BYN"].nominal == 1
    assert rates["BYN"].som_per_unit == Decimal("32.0154")
    assert rates["IRR"].som_per_unit == Decimal("0.00007")


def test_windows_1251_declaration_decides_the_decoding() -> None:
    name = "Официальные курсы валют НБКР"
    data = (
        f'{DECLARATION}<CurrencyRates Name="{name}" Date="03.07.2026">\n'
        f"<!-- сом за единицу -->\n{currency('USD')}</CurrencyRates>\n"
    ).encode("windows-1251")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # read as UTF-8 text, these bytes would not even decode

    parsed = parse_rates_xml(data, "cyrillic.xml")

    assert parsed.rates == [OfficialRate(date(2026, 7, 3), "USD", 1, Decimal("87.4500"))]


def test_decimal_point_is_accepted_as_well_as_the_comma() -> None:
    parsed = parse_rates_xml(document(currency("USD", value="87.45")), "point.xml")

    assert parsed.rates[0].value == Decimal("87.45")


# --- whole-file rejection -------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CurrencyRates Date="03.07.2026"><Currency ISOCode="USD"><Nominal>1</Nominal>
<Value>&lol4;</Value></Currency></CurrencyRates>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CurrencyRates [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CurrencyRates Date="03.07.2026"><Currency ISOCode="USD"><Nominal>1</Nominal>
<Value>&secret;</Value></Currency></CurrencyRates>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CurrencyRates SYSTEM "http://example.invalid/rates.dtd">
<CurrencyRates Date="03.07.2026"><Currency ISOCode="USD"><Nominal>1</Nominal>
<Value>87,45</Value></Currency></CurrencyRates>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(BILLION_LAUGHS, "DTD", id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, "DTD", id="external-entity"),
        pytest.param(EXTERNAL_DTD, "DTD", id="external-dtd"),
        pytest.param(DAILY_0703.read_bytes()[:300], "not well-formed", id="truncated"),
        pytest.param(b"", "not well-formed", id="empty"),
        pytest.param(b"USD;87,45\n", "not well-formed", id="not-xml"),
        pytest.param(
            b'<?xml version="1.0" encoding="no-such-codec"?><CurrencyRates/>',
            "unknown encoding",
            id="unknown-encoding",
        ),
        pytest.param(
            b'<ValCurs Date="03.07.2026">' + currency("USD").encode() + b"</ValCurs>",
            "root element is <ValCurs>",
            id="wrong-root",
        ),
        pytest.param(document(currency("USD"), date_attribute=""), "no Date", id="no-date"),
        pytest.param(
            document(currency("USD"), 'Date="2026-07-03"'), "not a DD.MM.YYYY", id="iso-date"
        ),
        pytest.param(
            document(currency("USD"), 'Date="31.02.2026"'), "not a valid date", id="31-february"
        ),
        pytest.param(document(""), "no <Currency>", id="no-currency"),
    ],
)
def test_unusable_files_are_rejected_whole(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedFileError) as raised:
        parse_rates_xml(data, "https://www.nbkr.kg/XML/daily.xml")

    assert raised.value.name == "https://www.nbkr.kg/XML/daily.xml"
    assert reason in raised.value.reason


# --- per-currency quarantine ----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "column", "reason"),
    [
        (currency(None), "ISOCode", "ISOCode is missing or empty"),
        (currency("usd"), "ISOCode", "ISOCode must be 3 uppercase letters ('usd')"),
        (currency("US"), "ISOCode", "ISOCode must be 3 uppercase letters ('US')"),
        (currency("EURO"), "ISOCode", "ISOCode must be 3 uppercase letters ('EURO')"),
        (currency("EUR", nominal=None), "Nominal", "Nominal is missing or empty"),
        (currency("EUR", nominal=""), "Nominal", "Nominal is missing or empty"),
        (currency("EUR", nominal="1,5"), "Nominal", "Nominal is not a whole number ('1,5')"),
        (currency("EUR", nominal="0"), "Nominal", "Nominal must be positive (0)"),
        (currency("EUR", nominal="-10"), "Nominal", "Nominal must be positive (-10)"),
        (currency("EUR", value=None), "Value", "Value is missing or empty"),
        (currency("EUR", value="n/a"), "Value", "Value is not a decimal number ('n/a')"),
        (currency("EUR", value="1e3"), "Value", "Value is not a decimal number ('1e3')"),
        (currency("EUR", value="0,0000"), "Value", "Value must be positive (0,0000)"),
        (currency("EUR", value="-99,87"), "Value", "Value must be positive (-99,87)"),
    ],
)
def test_a_bad_currency_entry_is_quarantined_and_the_rest_kept(
    entry: str, column: str, reason: str
) -> None:
    data = document(currency("USD") + entry + currency("RUB", value="1,1239"))

    parsed = parse_rates_xml(data, "daily.xml")

    assert [rate.currency for rate in parsed.rates] == ["USD", "RUB"]
    [bad] = parsed.quarantined
    assert (bad.row_number, bad.column, bad.reason) == (2, column, reason)
    assert set(bad.raw) >= {"ISOCode", "Nominal", "Value"}


def test_quarantined_entry_keeps_all_its_fields_as_text() -> None:
    entry = (
        '<Currency ISOCode="JPY"><Nominal>10</Nominal><ValidFor>7</ValidFor>'
        "<Value>abc</Value></Currency>\n"
    )

    [bad] = parse_rates_xml(document(entry), "weekly.xml").quarantined

    assert bad.raw == {"ISOCode": "JPY", "Nominal": "10", "Value": "abc", "ValidFor": "7"}


def test_a_code_repeated_with_other_figures_is_quarantined_every_time() -> None:
    data = document(
        currency("USD", value="87,4500")
        + currency("EUR", value="99,8679")
        + currency("USD", value="88,0000")
    )

    parsed = parse_rates_xml(data, "daily.xml")

    assert [rate.currency for rate in parsed.rates] == ["EUR"]
    assert [(row.row_number, row.column) for row in parsed.quarantined] == [
        (1, "ISOCode"),
        (3, "ISOCode"),
    ]
    assert "USD on 2026-07-03 appears with different figures" in parsed.quarantined[0].reason
    assert "1, 3" in parsed.quarantined[0].reason


def test_a_code_repeated_with_the_same_figures_collapses_to_one() -> None:
    data = document(currency("USD", value="87,4500") + currency("USD", value="87,45"))

    parsed = parse_rates_xml(data, "daily.xml")

    assert parsed.rates == [OfficialRate(date(2026, 7, 3), "USD", 1, Decimal("87.4500"))]
    assert parsed.quarantined == []


# --- properties ------------------------------------------------------------------------

codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
published_values = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("99999.9999"), places=4
)
rate_entries = st.lists(
    st.tuples(codes, st.sampled_from([1, 10, 100, 1000]), published_values),
    min_size=1,
    max_size=12,
    unique_by=lambda entry: entry[0],
)


@given(
    entries=rate_entries,
    rate_date=st.dates(min_value=date(1993, 5, 10), max_value=date(2100, 12, 31)),
    weekly=st.booleans(),
)
def test_generated_rate_documents_round_trip(
    entries: list[tuple[str, int, Decimal]], rate_date: date, weekly: bool
) -> None:
    valid_for = "<ValidFor>7</ValidFor>" if weekly else ""
    body = "".join(
        f'<Currency ISOCode="{code}"><Nominal>{nominal}</Nominal>{valid_for}'
        f"<Value>{str(value).replace('.', ',')}</Value></Currency>\n"
        for code, nominal, value in entries
    )
    data = document(body, f'Date="{rate_date:%d.%m.%Y}"')

    parsed = parse_rates_xml(data, "generated.xml")

    assert parsed.quarantined == []
    assert parsed.rates == [
        OfficialRate(rate_date, code, nominal, value) for code, nominal, value in entries
    ]
    assert [str(rate.value) for rate in parsed.rates] == [str(value) for _, _, value in entries]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_are_parsed_or_rejected_never_crash(data: bytes) -> None:
    try:
        parsed = parse_rates_xml(data, "fuzz.xml")
    except RejectedFileError:
        return
    assert all(row.row_number >= 1 for row in parsed.quarantined)


@given(st.data())
def test_damaged_real_files_are_parsed_or_rejected_never_crash(data: st.DataObject) -> None:
    original = bytearray(WEEKLY_0523.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        position = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
        original[position] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(original)))
    try:
        parsed = parse_rates_xml(bytes(original[:cut]), "damaged.xml")
    except RejectedFileError:
        return
    assert len(parsed.rates) + len(parsed.quarantined) <= 40
