"""Validate bank transfer aggregates, vectorised in polars, and quarantine what fails.

The input holds our column names (`TRANSFER_COLUMNS`) as text, plus `ROW_NUMBER_COLUMN`.
Every row ends either in the valid rows (typed as `TRANSFER_SCHEMA`) or in quarantine, once,
with the first failing column in `TRANSFER_COLUMNS` order. Rows whose key repeats inside
the file are all quarantined: the file contradicts itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import time
from functools import cache
from typing import TypeVar

import polars as pl
import pycountry

from jobs.errors import RejectedFileError
from jobs.sources.parsed import (
    ROWS_SHOWN,
    ParsedTransfers,
    describe_columns,
    describe_row_numbers,
    shorten,
)
from service.store.records import (
    MONEY_DTYPE,
    TRANSFER_COLUMNS,
    TRANSFER_KEY,
    TRANSFER_SCHEMA,
    QuarantinedRow,
)

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

#: 1-based data row number (the first row after a CSV header is 1).
ROW_NUMBER_COLUMN = "row_number"
#: Digits of a count: Int64 holds them.
_MAX_INTEGER_DIGITS = 18
#: Digits before the point of an amount: the SQLite store keeps amounts exact as 64-bit
#: integers of cents, so at most 92,233,720,368,547,758.07.
_MAX_AMOUNT_DIGITS = 16
# [0-9], not \d: the regex engine's \d also matches other scripts' digits.
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
#: A non-zero digit after the second decimal place (trailing zeros add no precision).
_BEYOND_CENTS = r"\.[0-9]{2}0*[1-9]"
_NONZERO_FRACTION = r"\.[0-9]*[1-9]"
_TOO_MANY_DIGITS = rf"^[+-]?0*[1-9][0-9]{{{_MAX_INTEGER_DIGITS}}}"
_TOO_MANY_AMOUNT_DIGITS = rf"^[+-]?0*[1-9][0-9]{{{_MAX_AMOUNT_DIGITS}}}"
#: Year 0 parses in polars but no Python `date` (nor the store's drivers) holds it.
_YEAR_ZERO = "0000-"
_DIRECTIONS = ("in", "out")
_PROBLEM = "__problem"
_FAILED = "__failed"
_HASH = "__key_hash"
_SHOWN = "__shown"
_OCCURRENCES = "__occurrences"
_CLEAN = "__clean"
_TYPED = "__typed"
_KEY_TYPED = [column + _TYPED for column in TRANSFER_KEY]
_EMPTY = pl.DataFrame(schema={"row_number": pl.Int64, **dict.fromkeys(TRANSFER_COLUMNS, pl.String)})
#: Kosovo: not in ISO 3166-1, but its user-assigned code is what banks report.
_EXTRA_COUNTRY_CODES = ("XK",)


def validate_transfers(
    raw: pl.DataFrame, name: str, repeats: pl.DataFrame | None = None
) -> ParsedTransfers:
    """Split `raw` into valid, typed rows and quarantined rows; `name` names the file.

    `repeats` (from `repeated_key_groups` over the whole file) says which keys repeat
    when `raw` is one batch of a larger file; by default `raw` is the whole file.

    Columns other than ours and `ROW_NUMBER_COLUMN` are ignored; when the row-number column
    is absent the rows are numbered 1..n. Non-text columns are turned into text first
    (dates as YYYY-MM-DD). Text is trimmed; country and currency are uppercased and
    direction lowercased before they are checked. Raises `RejectedFileError` when one of
    our columns is missing or has a type that cannot be read as text.
    """
    missing = [column for column in TRANSFER_COLUMNS if column not in raw.columns]
    if missing:
        raise RejectedFileError(
            name,
            f"missing required column(s) {', '.join(missing)}; "
            f"columns found: {describe_columns(raw.columns)}",
        )
    if ROW_NUMBER_COLUMN not in raw.columns:
        raw = raw.with_row_index(ROW_NUMBER_COLUMN, offset=1)
    ours = raw.select(pl.col(ROW_NUMBER_COLUMN).cast(pl.Int64), *TRANSFER_COLUMNS)
    # Readers return many chunks; the string checks run about twice as fast on one.
    text = as_text(ours, name).rechunk()

    rules = {column: _rules(column) for column in TRANSFER_COLUMNS}
    checked = _checked(text.lazy(), rules).collect()
    bad = checked.filter(pl.col(_FAILED))
    good = checked.filter(~pl.col(_FAILED))
    if repeats is None:
        repeats = _repeat_groups(good.lazy()).collect()
    good = good.join(repeats, on=_KEY_TYPED, how="left", maintain_order="left")
    repeated = good.filter(pl.col(_OCCURRENCES).is_not_null())
    valid = good.filter(pl.col(_OCCURRENCES).is_null()).select(
        pl.col(column + _TYPED).cast(dtype).alias(column)
        for column, dtype in TRANSFER_SCHEMA.items()
    )

    templates = {column: [template for _, template in rules[column]] for column in rules}
    quarantined = [*_column_failures(bad, templates), *_repeated_keys(repeated)]
    quarantined.sort(key=lambda row: row.row_number)
    return ParsedTransfers(rows=valid, quarantined=quarantined, total_rows=raw.height)


def repeated_key_groups(text: Callable[[], Iterable[pl.DataFrame]]) -> pl.DataFrame:
    """The keys that more than one valid row of a whole file carries; `text()` reads the
    file afresh as text frames (our columns and `ROW_NUMBER_COLUMN`), piece by piece.

    One row per repeated key: the typed key, the first `ROWS_SHOWN` row numbers and the
    number of occurrences. Memory: one 64-bit hash per row, then only the rows whose hash
    repeats, so a file of unique keys costs 8 bytes a row (16 while sorted), not the file.

    The first pass hashes each row's clean key text without checking the row: among valid
    rows the clean text and the typed key determine each other (a valid date has one
    YYYY-MM-DD spelling), so every repeat of a valid key is among the rows whose hash
    repeats. Only those suspects are checked in full, in a second pass.
    """
    rules = {column: _rules(column) for column in TRANSFER_COLUMNS}
    clean_key_hash = pl.struct(_clean(column) for column in TRANSFER_KEY).hash()

    def good(piece: pl.DataFrame) -> pl.LazyFrame:
        return _checked(piece.lazy(), rules).filter(~pl.col(_FAILED))

    pieces = [piece.select(clean_key_hash).to_series() for piece in text()]
    # Chunks, not one copy: the sort makes the only contiguous one.
    hashes = pl.concat(pieces, rechunk=False) if pieces else pl.Series(_HASH, [], pl.UInt64)
    del pieces
    hashes = hashes.sort()
    repeated_hashes = hashes.filter(hashes == hashes.shift(1)).unique().implode()
    del hashes
    suspects = [
        good(piece.filter(clean_key_hash.is_in(repeated_hashes))).collect()
        for piece in (text() if repeated_hashes.list.len().item() else ())
    ]
    if not suspects:
        return _repeat_groups(good(_EMPTY)).collect()
    return _repeat_groups(pl.concat(suspects).lazy()).collect()


def _checked(text: pl.LazyFrame, rules: dict[str, list[tuple[pl.Expr, str]]]) -> pl.LazyFrame:
    """`text` with each column's clean text, typed value and first failing rule, and _FAILED."""
    return (
        text.with_columns(_clean(column).alias(column + _CLEAN) for column in TRANSFER_COLUMNS)
        .with_columns(_typed(column).alias(column + _TYPED) for column in TRANSFER_COLUMNS)
        .with_columns(_first_failure(rules[column]).alias(column + _PROBLEM) for column in rules)
        .with_columns(
            pl.any_horizontal(pl.col(column + _PROBLEM).is_not_null() for column in rules).alias(
                _FAILED
            )
        )
    )


def _repeat_groups(good: pl.LazyFrame) -> pl.LazyFrame:
    # Per key only the rows a message shows and the count: a file that repeats one key
    # a million times must not build a million-long list per row.
    return (
        good.group_by(_KEY_TYPED)
        .agg(
            pl.col(ROW_NUMBER_COLUMN).cast(pl.Int64).bottom_k(ROWS_SHOWN).sort().alias(_SHOWN),
            pl.len().cast(pl.Int64).alias(_OCCURRENCES),
        )
        .filter(pl.col(_OCCURRENCES) > 1)
    )


def as_text(frame: FrameT, name: str) -> FrameT:
    """Turn every column but the row number into text, dates as YYYY-MM-DD.

    A timestamp at midnight is a date (pandas writes dates as timestamps); any other
    timestamp keeps its time, so a report date carrying one fails validation visibly.
    """
    converted: list[pl.Expr] = []
    for column, dtype in frame.collect_schema().items():
        if column == ROW_NUMBER_COLUMN or dtype == pl.String:
            continue
        values = pl.col(column)
        if dtype == pl.Date:
            converted.append(values.dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Datetime:
            at_midnight = values.dt.time() == time(0)
            as_date = values.dt.strftime("%Y-%m-%d")
            converted.append(pl.when(at_midnight).then(as_date).otherwise(values.cast(pl.String)))
        elif dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            raise RejectedFileError(
                name,
                f"column {shorten(column)!r} has type {dtype}, which cannot be read as text",
            )
        else:
            converted.append(values.cast(pl.String))
    return frame.with_columns(converted)


def _clean(column: str) -> pl.Expr:
    """The trimmed text, cased as we store it (country/currency upper, direction lower)."""
    trimmed = pl.col(column).str.strip_chars()
    if column in ("country", "currency"):
        return trimmed.str.to_uppercase()
    if column == "direction":
        return trimmed.str.to_lowercase()
    return trimmed


def _typed(column: str) -> pl.Expr:
    """The clean text read as `TRANSFER_SCHEMA` types it; null where it cannot be.

    Only meaningful where `_rules` finds nothing: e.g. the cast to `MONEY_DTYPE` alone
    would silently cut a third decimal place, which `_rules` reports.
    """
    value = pl.col(column + _CLEAN)
    if column == "report_date":
        return value.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if column == "amount":
        return value.cast(MONEY_DTYPE, strict=False)
    if column == "count":
        # "3.0" and "3." are whole numbers too (a float column exported as text).
        whole = value.str.strip_chars_end("0").str.strip_suffix(".")
        has_point = value.str.contains(".", literal=True)
        return pl.when(has_point).then(whole).otherwise(value).cast(pl.Int64, strict=False)
    return value


def _rules(column: str) -> list[tuple[pl.Expr, str]]:
    """The checks of one column, in order: (fails, message template with {value}).

    {value} stands for the trimmed text; templates are formatted only for failing rows.
    The last rule, "could not be read", guarantees that a row without a problem has a
    typed value, whatever the rules before it missed.
    """
    value = pl.col(column + _CLEAN)
    rules: list[tuple[pl.Expr, str]] = [(value.is_null() | (value == ""), f"{column} is empty")]
    if column == "report_date":
        rules.append(
            (
                ~value.str.contains(_ISO_DATE) | pl.col(column + _TYPED).is_null(),
                "report_date is not a valid YYYY-MM-DD date ({value!r})",
            )
        )
        rules.append(
            (
                value.str.starts_with(_YEAR_ZERO),
                "report_date is out of range ({value}; years 0001 to 9999)",
            )
        )
    elif column == "country":
        message = "country is not an ISO 3166-1 alpha-2 code ({value!r})"
        rules.append((~value.is_in(_country_codes()), message))
    elif column == "currency":
        message = "currency is not an ISO 4217 code ({value!r})"
        rules.append((~value.is_in(_currency_codes()), message))
    elif column == "direction":
        rules.append((~value.is_in(_DIRECTIONS), "direction must be 'in' or 'out' ({value!r})"))
    elif column == "amount":
        rules += _amount_rules(value)
    elif column == "count":
        rules += _count_rules(value)
    rules.append((pl.col(column + _TYPED).is_null(), f"{column} could not be read ({{value!r}})"))
    return rules


def _first_failure(rules: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The index of the first rule that fails, or null; small integers keep 5M rows cheap."""
    # `when` without `otherwise` is null, so the coalesce yields the first failing rule.
    return pl.coalesce(
        pl.when(fails).then(pl.lit(index, dtype=pl.UInt8)) for index, (fails, _) in enumerate(rules)
    )


def _amount_rules(value: pl.Expr) -> list[tuple[pl.Expr, str]]:
    return [
        (~value.str.contains(_NUMBER), "amount is not a decimal number ({value!r})"),
        (_is_negative(value), "amount is negative ({value})"),
        (
            value.str.contains(_BEYOND_CENTS),
            "amount has more than 2 decimal places ({value})",
        ),
        (
            value.str.contains(_TOO_MANY_AMOUNT_DIGITS),
            f"amount is too large ({{value}}; at most {_MAX_AMOUNT_DIGITS} digits before the "
            "point)",
        ),
    ]


def _count_rules(value: pl.Expr) -> list[tuple[pl.Expr, str]]:
    return [
        (~value.str.contains(_NUMBER), "count is not a number ({value!r})"),
        (value.str.contains(_NONZERO_FRACTION), "count must be a whole number ({value})"),
        (_is_negative(value), "count is negative ({value})"),
        (
            value.str.contains(_TOO_MANY_DIGITS),
            f"count is too large ({{value}}; at most {_MAX_INTEGER_DIGITS} digits)",
        ),
    ]


def _is_negative(value: pl.Expr) -> pl.Expr:
    # "-0.00" is zero, not negative.
    return value.str.starts_with("-") & value.str.contains(r"[1-9]")


def _column_failures(
    bad: pl.DataFrame, templates: dict[str, list[str]]
) -> Iterator[QuarantinedRow]:
    problem_columns = [column + _PROBLEM for column in TRANSFER_COLUMNS]
    for row in bad.select(ROW_NUMBER_COLUMN, *TRANSFER_COLUMNS, *problem_columns).iter_rows(
        named=True
    ):
        column = next(c for c in TRANSFER_COLUMNS if row[c + _PROBLEM] is not None)
        value = shorten((row[column] or "").strip())
        yield QuarantinedRow(
            row_number=row[ROW_NUMBER_COLUMN],
            column=column,
            reason=templates[column][row[column + _PROBLEM]].format(value=value),
            raw={c: row[c] for c in TRANSFER_COLUMNS},
        )


def _repeated_keys(repeated: pl.DataFrame) -> Iterator[QuarantinedRow]:
    columns = (ROW_NUMBER_COLUMN, *TRANSFER_COLUMNS, _SHOWN, _OCCURRENCES)
    for row in repeated.select(columns).iter_rows(named=True):
        rows = describe_row_numbers(row[_SHOWN], row[_OCCURRENCES])
        yield QuarantinedRow(
            row_number=row[ROW_NUMBER_COLUMN],
            column=None,
            reason=f"key repeats in this file (rows {rows})",
            raw={c: row[c] for c in TRANSFER_COLUMNS},
        )


@cache
def _country_codes() -> tuple[str, ...]:
    return (*(country.alpha_2 for country in pycountry.countries), *_EXTRA_COUNTRY_CODES)


@cache
def _currency_codes() -> tuple[str, ...]:
    return tuple(currency.alpha_3 for currency in pycountry.currencies)
