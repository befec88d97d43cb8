"""What the parsers hand to the ingest job, and the rules both rate parsers share.

A parser never drops a row: every data row it read ends either in the accepted rows or
in `quarantined`, with the reason and its original text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl

from jobs.errors import RejectedFileError
from service.store.records import OfficialRate, QuarantinedRow

# ASCII only: `int()` and `Decimal()` would also take other scripts' digits.
#: Official rates are published with 4 decimals; the store keeps exactly that scale.
RATE_DECIMALS = 4
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_NONZERO_DIGIT = re.compile(r"[1-9]")
#: How many row numbers a duplicate message lists before it says "and N more".
ROWS_SHOWN = 10
#: Digits before the point a rate value may have: the store keeps it exact in 64-bit
#: minor units (10**-4 som) on SQLite, so at most 922,337,203,685,477.5807.
RATE_INTEGER_DIGITS = 14
#: Digits of a nominal: PostgreSQL stores it as a 32-bit INTEGER.
NOMINAL_DIGITS = 9
#: Characters of a received value or name quoted in a message; the rest is elided.
QUOTED_CHARACTERS = 60
#: Column names listed in a "columns found" message before "and N more".
COLUMNS_SHOWN = 20
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ParsedRates:
    """Official rates read from one file; `quarantined` holds the entries that failed."""

    rates: list[OfficialRate]
    quarantined: list[QuarantinedRow]


@dataclass(frozen=True)
class ParsedTransfers:
    """Transfer aggregates read from one file.

    `rows` has exactly `TRANSFER_SCHEMA` (columns in `TRANSFER_COLUMNS` order) and holds the
    valid rows only, in file order. `total_rows` counts the data rows read, so
    `rows.height + len(quarantined) == total_rows`.
    """

    rows: pl.DataFrame
    quarantined: list[QuarantinedRow]
    total_rows: int


@dataclass(frozen=True)
class RateCandidate:
    """A rate entry whose fields are individually valid, before duplicates are settled."""

    row_number: int
    rate: OfficialRate
    raw: dict[str, str | None] = field(default_factory=dict)


class RateFieldError(ValueError):
    """One field of a rate entry is invalid; `column` names it as the file does."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def parse_currency_code(text: str | None, column: str) -> str:
    """Return the code if it is three uppercase letters (legacy codes such as BYR included)."""
    code = _present(text, column)
    if not _CURRENCY_CODE.fullmatch(code):
        raise RateFieldError(column, f"{column} must be 3 uppercase letters ({shorten(code)!r})")
    return code


def parse_nominal(text: str | None, column: str) -> int:
    """Return the nominal (units of the currency the value is quoted for), a positive integer."""
    nominal_text = _present(text, column)
    if not _INTEGER.fullmatch(nominal_text):
        raise RateFieldError(column, f"{column} is not a whole number ({shorten(nominal_text)!r})")
    if len(nominal_text.lstrip("+-").lstrip("0")) > NOMINAL_DIGITS:
        raise RateFieldError(
            column,
            f"{column} is too large ({shorten(nominal_text)}; at most {NOMINAL_DIGITS} digits)",
        )
    nominal = int(nominal_text)
    if nominal <= 0:
        raise RateFieldError(column, f"{column} must be positive ({nominal_text})")
    return nominal


def parse_rate_value(text: str | None, column: str) -> Decimal:
    """Return som per nominal units exactly as published; a decimal comma or point is accepted."""
    value_text = _present(text, column)
    if not _DECIMAL.fullmatch(value_text):
        raise RateFieldError(column, f"{column} is not a decimal number ({shorten(value_text)!r})")
    # Checked on the text: `Decimal` of a million digits is slow and `normalize` overflows.
    whole, _, fraction = value_text.lstrip("+-").replace(",", ".").partition(".")
    if len(whole.lstrip("0")) > RATE_INTEGER_DIGITS:
        raise RateFieldError(
            column,
            f"{column} is too large ({shorten(value_text)}; at most {RATE_INTEGER_DIGITS} "
            "digits before the point)",
        )
    if value_text.startswith("-") or not _NONZERO_DIGIT.search(value_text):
        raise RateFieldError(column, f"{column} must be positive ({shorten(value_text)})")
    if len(fraction.rstrip("0")) > RATE_DECIMALS:
        raise RateFieldError(
            column,
            f"{column} has more than {RATE_DECIMALS} decimal places ({shorten(value_text)})",
        )
    return Decimal(value_text.replace(",", "."))


def settle_duplicate_rates(
    candidates: Sequence[RateCandidate], column: str | None, entries: str
) -> ParsedRates:
    """Collapse exact repeats of a (date, currency) and quarantine conflicting ones.

    When the same date and currency appear with different figures the file contradicts
    itself, so every occurrence is quarantined (with `column`); `entries` names what the
    row numbers count ("rows", "Currency elements"). Figures compare by value, so 87.45 and
    87.4500 are the same figure.
    """
    by_key: defaultdict[tuple[date, str], list[RateCandidate]] = defaultdict(list)
    for candidate in candidates:
        by_key[(candidate.rate.rate_date, candidate.rate.currency)].append(candidate)

    rates: list[OfficialRate] = []
    quarantined: list[QuarantinedRow] = []
    for (rate_date, currency), group in by_key.items():
        figures = {(c.rate.nominal, c.rate.value) for c in group}
        if len(figures) == 1:
            rates.append(group[0].rate)
            continue
        shown = describe_row_numbers([c.row_number for c in group])
        reason = (
            f"{currency} on {rate_date.isoformat()} appears with different figures "
            f"({entries} {shown})"
        )
        quarantined.extend(QuarantinedRow(c.row_number, column, reason, c.raw) for c in group)
    quarantined.sort(key=lambda row: row.row_number)
    return ParsedRates(rates=rates, quarantined=quarantined)


def describe_row_numbers(row_numbers: Sequence[int], occurrences: int | None = None) -> str:
    """'3, 7' for short lists; the first `ROWS_SHOWN` and 'and N more' for long ones.

    `occurrences` is the full count when `row_numbers` holds only the first few.
    """
    ordered = sorted(row_numbers)
    shown = ", ".join(str(n) for n in ordered[:ROWS_SHOWN])
    hidden = (len(ordered) if occurrences is None else occurrences) - min(len(ordered), ROWS_SHOWN)
    if hidden > 0:
        shown += f" and {hidden} more"
    return shown


def shorten(text: str, limit: int = QUOTED_CHARACTERS) -> str:
    """`text`, or its first `limit` characters and how long it was: hostile values can run
    to megabytes, and a message is stored, logged and written beside rejected files."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def describe_columns(found: Sequence[str]) -> str:
    """The column names as a message lists them: quoted, shortened, the first `COLUMNS_SHOWN`."""
    shown = ", ".join(repr(shorten(str(name))) for name in found[:COLUMNS_SHOWN])
    if len(found) > COLUMNS_SHOWN:
        shown += f" and {len(found) - COLUMNS_SHOWN} more"
    return shown


def require_utf8(data: bytes, origin: str) -> None:
    """Raise `RejectedFileError` naming the byte offset and line unless `data` is UTF-8.

    A leading byte-order mark is allowed.
    """
    if data.isascii():  # the common case, checked without decoding
        return
    body_start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        str(memoryview(data)[body_start:], "utf-8")
    except UnicodeDecodeError as error:
        offset = body_start + error.start
        line = data.count(b"\n", 0, offset) + 1
        bad_bytes = data[offset : body_start + error.end]
        raise RejectedFileError(
            origin,
            f"not UTF-8: undecodable bytes {bad_bytes!r} at byte offset {offset} (line {line})",
        ) from error


def _present(text: str | None, column: str) -> str:
    stripped = (text or "").strip()
    if not stripped:
        raise RateFieldError(column, f"{column} is missing or empty")
    return stripped
