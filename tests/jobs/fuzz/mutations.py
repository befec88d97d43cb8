"""Hypothesis strategies shared by the fuzzers: hostile field text and byte mutations."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Multiplies every fuzzer's examples: `REMITWATCH_FUZZ_SCALE=50` for a long hunt; the
#: default keeps the folder under a minute on two cores.
FUZZ_SCALE_VARIABLE = "REMITWATCH_FUZZ_SCALE"


def fuzz_examples(default: int) -> int:
    return default * int(os.environ.get(FUZZ_SCALE_VARIABLE, "1"))


#: The fuzzers' settings: a store per test shared by its examples, slow examples allowed.
FUZZ = settings(
    max_examples=fuzz_examples(80),
    deadline=10_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


#: Field text that has broken parsers before, or might: numbers in every spelling,
#: separators, quotes, control characters, other scripts' digits, dates out of range.
HOSTILE_FIELDS: tuple[str, ...] = (
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e300",
    "1E+2",
    "9" * 17,
    "9" * 40,
    "-0",
    "-0.00",
    "0.001",
    "1,500.00",
    "1 500,00",
    "1.500,00",
    "1'500",
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "0000-01-01",
    "9999-12-31",
    "2024-02-30",
    "10000-01-01",
    "31.12.2024",
    '"',
    '""',
    "a\nb",
    "\r",
    "\x00",
    "\ufeff",
    "\u202e",
    "DROP TABLE received_files;--",
    "USD",
    "RU",
    "in",
)
VALID_TRANSFER = ("2024-05-02", "B1", "CONTACT", "RU", "in", "RUB", "1500.00", "3")
VALID_RATE = ("2024-05-02", "USD", "1", "87.4500")

field_text = st.one_of(
    st.sampled_from(HOSTILE_FIELDS),
    st.text(max_size=12),
    st.from_regex(r"[+-]?[0-9]{0,20}([.,][0-9]{0,6})?", fullmatch=True),
)


#: Values at and past each column's limits, where the parsers and the store must agree.
AT_THE_LIMITS: dict[str, tuple[str, ...]] = {
    "report_date": ("0000-01-01", "0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29"),
    "date": ("0000-01-01", "0001-01-01", "9999-12-31", "2023-02-29"),
    "amount": ("9" * 16 + ".99", "9" * 17, "9" * 18 + ".99", "0.001", "1e300", "-0.00"),
    "count": ("9" * 18, "9" * 19, "3.0", "3.", "-1", "2147483648"),
    "value": ("9" * 14 + ".9999", "9" * 15, "9" * 400, "0.00001", "0.0001", "-1"),
    "Value": ("9" * 14 + ",9999", "9" * 15, "9" * 400, "0,00001", "0,0001", "-1"),
    "nominal": ("9" * 9, "9" * 10, "2147483648", "0", "-1"),
    "Nominal": ("9" * 9, "9" * 10, "2147483648", "0", "-1"),
    "currency": ("usd", "US", "ÜSD", "XXX", "BYR"),
    "country": ("ru", "XK", "EU", "R"),
}


def hostile(column: str) -> st.SearchStrategy[str]:
    """Hostile text for `column`: its limits, or anything from `field_text`."""
    return st.one_of(st.sampled_from(AT_THE_LIMITS.get(column, HOSTILE_FIELDS)), field_text)


def quoted(text: str) -> str:
    """`text` as one CSV field: quoted (quotes doubled) when it needs to be."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def mutated(draw: st.DrawFn, document: bytes) -> bytes:
    """`document` with up to three byte-level edits: insert, delete, replace, cut, repeat."""
    data = bytearray(document)
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(("insert", "delete", "replace", "cut", "repeat")))
        at = draw(st.integers(0, len(data)))
        if edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif edit == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[at:]
        elif edit == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data)
