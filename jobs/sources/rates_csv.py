"""Parse a history of official rates from CSV: `date,currency,nominal,value`.

UTF-8 (a byte-order mark is allowed), a header row, one rate per row: `value` is som per
`nominal` units of `currency` in force on `date` (YYYY-MM-DD). Extra columns are ignored.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from jobs.errors import RejectedFileError
from jobs.sources.parsed import (
    ParsedRates,
    RateCandidate,
    RateFieldError,
    describe_columns,
    parse_currency_code,
    parse_nominal,
    parse_rate_value,
    require_utf8,
    settle_duplicate_rates,
    shorten,
)
from service.store.records import OfficialRate, QuarantinedRow

RATE_HISTORY_COLUMNS: tuple[str, ...] = ("date", "currency", "nominal", "value")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_rates_history_csv(data: bytes, origin: str) -> ParsedRates:
    """Read a rate history; `origin` (file name or URL) names it in errors.

    Raises `RejectedFileError` for bytes that are not UTF-8 (naming the byte offset), an
    empty file, a header without a required column, or CSV the reader cannot parse. A bad
    row is quarantined; rows repeating a (date, currency) with other figures are all
    quarantined, exact repeats collapse to one. Blank lines are skipped but keep their
    place in the row numbering.
    """
    require_utf8(data, origin)
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise RejectedFileError(origin, "the file is empty (no header row)")
        positions = _column_positions(header, origin)
        candidates: list[RateCandidate] = []
        quarantined: list[QuarantinedRow] = []
        for row_number, fields in enumerate(reader, start=1):
            if not any(field.strip() for field in fields):
                continue
            raw = {
                column: fields[index] if index < len(fields) else None
                for column, index in positions.items()
            }
            try:
                candidates.append(RateCandidate(row_number, _rate(raw), raw))
            except RateFieldError as error:
                quarantined.append(QuarantinedRow(row_number, error.column, error.reason, raw))
    except csv.Error as error:
        raise RejectedFileError(
            origin, f"malformed CSV at line {reader.line_num}: {error}"
        ) from error

    settled = settle_duplicate_rates(candidates, None, "rows")
    all_quarantined = sorted([*quarantined, *settled.quarantined], key=lambda r: r.row_number)
    return ParsedRates(rates=settled.rates, quarantined=all_quarantined)


def _column_positions(header: list[str], origin: str) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    missing = [column for column in RATE_HISTORY_COLUMNS if column not in names]
    if missing:
        raise RejectedFileError(
            origin,
            f"missing required column(s) {', '.join(missing)}; "
            f"columns found: {describe_columns(header)}",
        )
    repeated = [column for column in RATE_HISTORY_COLUMNS if names.count(column) > 1]
    if repeated:
        raise RejectedFileError(
            origin, f"column(s) {', '.join(repeated)} appear more than once in the header"
        )
    return {column: names.index(column) for column in RATE_HISTORY_COLUMNS}


def _rate(raw: dict[str, str | None]) -> OfficialRate:
    return OfficialRate(
        rate_date=_rate_date(raw["date"]),
        currency=parse_currency_code(raw["currency"], "currency"),
        nominal=parse_nominal(raw["nominal"], "nominal"),
        value=parse_rate_value(raw["value"], "value"),
    )


def _rate_date(text: str | None) -> date:
    date_text = (text or "").strip()
    if not date_text:
        raise RateFieldError("date", "date is missing or empty")
    if _ISO_DATE.fullmatch(date_text):
        try:
            return date.fromisoformat(date_text)
        except ValueError:
            pass
    raise RateFieldError("date", f"date is not a valid YYYY-MM-DD date ({shorten(date_text)!r})")
