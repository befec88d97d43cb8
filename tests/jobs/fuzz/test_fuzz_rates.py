"""Fuzzing the official rate path end to end (SQLite store): NBKR XML and history CSV.

Every document ends as "ingested" (bad entries quarantined with row, column and reason),
"rejected" (with a reason, nothing stored) or "duplicate"; `ingest_rate_document` never
raises, entities and DTDs never expand, and the counts add up.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.ingest_rates import RateDocument, ingest_rate_document
from service.store import Store
from tests.jobs.fuzz.ledger import check_outcome, check_reasons, table_sizes
from tests.jobs.fuzz.mutations import (
    FUZZ,
    VALID_RATE,
    field_text,
    fuzz_examples,
    hostile,
    mutated,
    quoted,
)
from tests.jobs.fuzz.rate_cases import BILLION_LAUGHS, EXTERNAL_ENTITY

RATE_COLUMNS = ("ISOCode", "Nominal", "Value", "date", "currency", "nominal", "value")
CODES = ("USD", "EUR", "RUB", "KZT", "CNY", "GBP", "JPY", "CHF")
_names = itertools.count()


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


@st.composite
def rate_xml(draw: st.DrawFn) -> bytes:
    """An NBKR-like file: any declared encoding, any Date, entries of valid and hostile
    fields, sometimes a DTD (which must be refused)."""
    encoding = draw(st.sampled_from(["windows-1251", "utf-8", "utf-16", "latin-1", "x-unknown"]))
    day = draw(
        st.one_of(
            st.just("03.07.2026"),
            st.sampled_from(["31.02.2026", "00.00.0000", "01.01.0001", "3.7.2026"]),
            field_text,
        )
    )
    entries = []
    for code in draw(st.lists(st.sampled_from([*CODES, "usd", "US", ""]), max_size=6)):
        nominal, value = "1", "87,4500"
        if draw(st.booleans()):
            nominal = draw(hostile("Nominal"))
        if draw(st.booleans()):
            value = draw(hostile("Value"))
        entries.append(
            f'<Currency ISOCode="{_xml_text(code)}"><Nominal>{_xml_text(nominal)}</Nominal>'
            f"<Value>{_xml_text(value)}</Value></Currency>"
        )
    body = f'<CurrencyRates Name="Курсы" Date="{_xml_text(day)}">{"".join(entries)}</CurrencyRates>'
    prolog = draw(st.sampled_from(["", '<!DOCTYPE CurrencyRates [<!ENTITY e "x">]>']))
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}{body}\n'
    try:
        data = text.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        data = text.encode("windows-1251", errors="replace")
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"  \n"])) + data


@st.composite
def rate_csv(draw: st.DrawFn) -> bytes:
    header = list(draw(st.permutations(["date", "currency", "nominal", "value"])))
    header += draw(st.lists(st.sampled_from(["extra", "DATE", " value"]), max_size=2))
    valid = dict(zip(("date", "currency", "nominal", "value"), VALID_RATE, strict=True))
    rows = []
    for code in draw(st.lists(st.sampled_from(CODES), max_size=8)):
        fields = [{**valid, "currency": code}.get(c.strip().lower(), "x") for c in header]
        for _ in range(draw(st.integers(0, 2))):
            position = draw(st.integers(0, len(fields) - 1))
            fields[position] = draw(hostile(header[position].strip().lower()))
        rows.append(fields)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(",".join(quoted(f) for f in line) for line in [header, *rows]) + newline
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode("utf-8")


def _ingest(store: Store, data: bytes) -> None:
    name = f"rates-{next(_names)}"
    before = table_sizes(store)
    outcome = ingest_rate_document(store, RateDocument(name, data))
    check_outcome(store, outcome, name, before)
    check_reasons(store, outcome, name, RATE_COLUMNS)


@FUZZ
@given(data=rate_xml().flatmap(mutated))
def test_mutated_rate_xml_ends_in_a_documented_outcome(sqlite_store: Store, data: bytes) -> None:
    _ingest(sqlite_store, data)


@FUZZ
@given(data=rate_csv().flatmap(mutated))
def test_mutated_rate_history_ends_in_a_documented_outcome(
    sqlite_store: Store, data: bytes
) -> None:
    _ingest(sqlite_store, data)


@FUZZ
@given(
    data=st.tuples(
        st.sampled_from([b"", b"<", b"<?xml version='1.0'?><CurrencyRates"]),
        st.binary(max_size=2_000),
    ).map(b"".join)
)
def test_arbitrary_rate_bytes_end_in_a_documented_outcome(sqlite_store: Store, data: bytes) -> None:
    _ingest(sqlite_store, data)


@settings(FUZZ, max_examples=fuzz_examples(30))
@given(data=st.sampled_from([BILLION_LAUGHS, EXTERNAL_ENTITY]).map(str.encode).flatmap(mutated))
def test_entity_attacks_never_expand(sqlite_store: Store, data: bytes) -> None:
    """However an attack is mangled, nothing is stored from it and no entity text leaks."""
    name = f"attack-{next(_names)}"
    before = table_sizes(sqlite_store)
    outcome = ingest_rate_document(sqlite_store, RateDocument(name, data))
    check_outcome(sqlite_store, outcome, name, before)
    assert outcome.rows_new == 0
    assert "lollol" not in (outcome.reason or "") and "root:" not in (outcome.reason or "")
